// The disk storage's log reset (saveSnapshot with discardLog, Raft §7) at every point a crash can
// interrupt it: before the snapshot file is renamed, after it but before the WAL's reset record,
// in the middle of that record, and before the segments it voids are removed.

import { copyFile, cp, readdir, stat, truncate } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDiskStorage } from '../../../../src/raft/storage/index.js';
import type { DiskStorageOptions, RaftStorage } from '../../../../src/raft/storage/index.js';
import type { Snapshot } from '../../../../src/raft/core/messages.js';
import { entries, indexes, recordingLogger, segmentPaths, snapshotAt, useTempDirs } from './helpers.js';

const temp = useTempDirs();

/** The follower's hard state, saved with every batch. */
const hardState = { term: 1, vote: 'm1', commit: 20 };
/** The leader's snapshot: index 40 in term 3, while the follower holds entries 21..60 of term 1. */
const installed = snapshotAt(40, 3, 'the leader state');

// A batch of 4 entries takes 360 bytes, a segment's opening hard state record 29, and the first
// batch carries one more hard state record.
const layouts = [
  // The last segment holds one batch (389 bytes); the reset record (25 bytes) fits after it.
  { name: 'the reset record in the current segment', options: { segmentBytes: 1024 }, resetRolls: false },
  // The last segment holds two batches (749 bytes); the reset record would take it past 760.
  { name: 'the reset record starting a new segment', options: { segmentBytes: 760 }, resetRolls: true },
];

describe.each(layouts)('log reset on disk, $name', ({ options, resetRolls }) => {
  async function open(dir: string, extra: DiskStorageOptions = {}): Promise<RaftStorage> {
    return temp.track(await openDiskStorage(dir, { ...options, ...extra }));
  }

  /** A follower with entries 1..60 of term 1 over 8 segments and its own snapshot at 20; closed. */
  async function divergentFollower(): Promise<string> {
    const dir = await temp.makeDir();
    const storage = await open(dir);
    for (let index = 1; index <= 60; index += 4)
      await storage.save(hardState, entries(index, index + 3, 1, 64));
    await storage.saveSnapshot(snapshotAt(20, 1));
    await storage.close();
    return dir;
  }

  /** Copies `dir`, installs `snapshot` with discardLog in the copy, and returns the copy. */
  async function installInCopy(dir: string, snapshot: Snapshot): Promise<string> {
    const copy = await temp.makeDir();
    await cp(dir, copy, { recursive: true });
    const storage = await open(copy);
    await storage.saveSnapshot(snapshot, { discardLog: true });
    await storage.close();
    return copy;
  }

  /** Copies the segments of `from` that `to` lacks into `to`: removals that never reached the disk. */
  async function restoreRemovedSegments(from: string, to: string): Promise<string[]> {
    const present = new Set((await segmentPaths(to)).map((path) => basename(path)));
    const restored: string[] = [];
    for (const path of await segmentPaths(from)) {
      if (present.has(basename(path))) continue;
      await copyFile(path, join(to, 'wal', basename(path)));
      restored.push(basename(path));
    }
    return restored;
  }

  /** Copies the snapshot files of `from` that `to` lacks into `to`, under `suffix`. */
  async function copyNewSnapshots(from: string, to: string, suffix = ''): Promise<void> {
    const present = new Set(await readdir(join(to, 'snap')));
    for (const name of await readdir(join(from, 'snap'))) {
      if (!present.has(name)) await copyFile(join(from, 'snap', name), join(to, 'snap', name + suffix));
    }
  }

  /**
   * Opens `dir` and checks that it holds the installed snapshot and none of the stale entries,
   * that the log continues at 41, and that this survives another restart.
   */
  async function expectLogReset(dir: string): Promise<void> {
    const storage = await open(dir);
    const loaded = await storage.load();
    expect(loaded.snapshot).toEqual(installed);
    expect(loaded.entries).toEqual([]);
    expect(loaded.hardState).toEqual(hardState);

    await storage.save(null, entries(41, 44, 3, 64));
    await storage.close();
    const again = recordingLogger();
    const reloaded = await (await open(dir, { logger: again })).load();
    expect(reloaded.snapshot).toEqual(installed);
    expect(reloaded.entries).toEqual(entries(41, 44, 3, 64));
    expect(again.lines.filter((line) => line.level === 'warn')).toEqual([]);
  }

  it('discards the stale entries after the snapshot and removes the segments that held them', async () => {
    const before = await divergentFollower();
    const after = await installInCopy(before, installed);

    const segments = await segmentPaths(after);
    expect(segments).toHaveLength(1);
    // A segment started for the reset is named after the next index, 41 (0x29).
    expect(basename(segments[0]!).endsWith('-0000000000000029.wal')).toBe(resetRolls);
    await expectLogReset(after);
  });

  it('keeps the old snapshot and log when the crash came before the snapshot file was renamed', async () => {
    const dir = await divergentFollower();
    const after = await installInCopy(dir, installed);
    await copyNewSnapshots(after, dir, '.tmp');

    const loaded = await (await open(dir)).load();
    expect(loaded.snapshot).toEqual(snapshotAt(20, 1));
    expect(loaded.entries).toEqual(entries(21, 60, 1, 64));
    expect(await readdir(join(dir, 'snap'))).toEqual(['0000000000000001-0000000000000014.snap']);
  });

  it('finishes the reset when the crash came after the snapshot file but before the reset record', async () => {
    const dir = await divergentFollower();
    const after = await installInCopy(dir, installed);
    await copyNewSnapshots(after, dir);

    const logger = recordingLogger();
    const storage = await open(dir, { logger });
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/finished a log reset/);
    expect(warnings[0]!.fields).toMatchObject({ snapshotIndex: 40, snapshotTerm: 3 });
    await storage.close();
    await expectLogReset(dir);
  });

  it('finishes the reset when the crash tore the reset record', async () => {
    const before = await divergentFollower();
    const dir = await installInCopy(before, installed);
    // Segments are removed only once the record is durable, so they are all still there.
    await restoreRemovedSegments(before, dir);
    const last = (await segmentPaths(dir)).at(-1)!;
    await truncate(last, (await stat(last)).size - 5);

    await expectLogReset(dir);
  });

  it('ignores the voided segments when their removal had not reached the disk', async () => {
    const before = await divergentFollower();
    const dir = await installInCopy(before, installed);
    expect(await restoreRemovedSegments(before, dir)).toHaveLength(5);

    await expectLogReset(dir);
  });

  it('ignores a voided segment that came back without those between it and the reset', async () => {
    const before = await divergentFollower();
    const dir = await installInCopy(before, installed);
    const oldest = (await segmentPaths(before))[0]!;
    await copyFile(oldest, join(dir, 'wal', basename(oldest)));

    await expectLogReset(dir);
  });

  it('continues the log across segment rollovers and drops the reset segment once a later snapshot covers it', async () => {
    const dir = await installInCopy(await divergentFollower(), installed);
    const storage = await open(dir);
    const resetSegment = (await segmentPaths(dir))[0]!;
    for (let index = 41; index <= 120; index += 4) await storage.save(null, entries(index, index + 3, 3, 64));
    await storage.saveSnapshot(snapshotAt(100, 3));
    await storage.close();

    expect(await segmentPaths(dir)).not.toContain(resetSegment);
    const loaded = await (await open(dir)).load();
    expect(loaded.snapshot?.metadata).toMatchObject({ index: 100, term: 3 });
    expect(loaded.entries).toEqual(entries(101, 120, 3, 64));
  });

  it('finishes the newer of two resets when the crash came before its record', async () => {
    const dir = await installInCopy(await divergentFollower(), installed);
    const storage = await open(dir);
    await storage.save(null, entries(41, 56, 3, 64));
    await storage.close();
    const newer = snapshotAt(50, 5, 'a later leader state');
    await copyNewSnapshots(await installInCopy(dir, newer), dir);

    const reopened = await open(dir);
    const loaded = await reopened.load();
    expect(loaded.snapshot).toEqual(newer);
    expect(loaded.entries).toEqual([]);
    await reopened.save(null, entries(51, 52, 5, 64));
    await reopened.close();
    expect(indexes((await (await open(dir)).load()).entries)).toEqual([51, 52]);
  });
});
