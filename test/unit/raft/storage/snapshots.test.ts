// The disk storage's snapshots: atomic files, removal of what a snapshot covers, reloading only
// later entries, and refusing to start on a corrupt snapshot or a log with a hole after it.

import { readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  openDiskStorage,
  SnapshotCorruptionError,
  WalCorruptionError,
} from '../../../../src/raft/storage/index.js';
import type { DiskStorageOptions, RaftStorage } from '../../../../src/raft/storage/index.js';
import { entries, segmentPaths, snapshotAt, useTempDirs } from './helpers.js';

const temp = useTempDirs();
const small: DiskStorageOptions = { segmentBytes: 1024 };

async function open(dir: string, options: DiskStorageOptions = {}): Promise<RaftStorage> {
  return temp.track(await openDiskStorage(dir, options));
}

/** Entries 1..`last` (64-byte payloads) in batches of 4, in segments of about 1 KiB. */
async function fill(dir: string, last: number): Promise<RaftStorage> {
  const storage = await open(dir, small);
  for (let index = 1; index <= last; index += 4) {
    await storage.save(
      { term: 1, vote: 'm1', commit: index - 1 },
      entries(index, Math.min(last, index + 3), 1, 64),
    );
  }
  return storage;
}

async function openError(dir: string): Promise<unknown> {
  return openDiskStorage(dir).then(
    (storage) => {
      temp.track(storage);
      return null;
    },
    (err: unknown) => err,
  );
}

describe('snapshots on disk', () => {
  it('writes snapshot files named <term>-<index>.snap and leaves no temp file', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 8);
    await storage.saveSnapshot(snapshotAt(8, 3));

    expect(await readdir(join(dir, 'snap'))).toEqual(['0000000000000003-0000000000000008.snap']);
  });

  it('removes the segments a snapshot covers and reloads only the entries after it', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 100);
    const before = await segmentPaths(dir);
    await storage.saveSnapshot(snapshotAt(60));
    const after = await segmentPaths(dir);
    await storage.close();

    expect(after.length).toBeLessThan(before.length);
    expect(after).toEqual(before.slice(before.length - after.length));
    const reopened = await (await open(dir, small)).load();
    expect(reopened.snapshot).toEqual(snapshotAt(60));
    expect(reopened.entries).toEqual(entries(61, 100, 1, 64));
    expect(reopened.hardState).toEqual({ term: 1, vote: 'm1', commit: 96 });
  });

  it('keeps every segment holding an entry after the snapshot, and always the last one', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 100);
    await storage.saveSnapshot(snapshotAt(60));
    const oldest = (await segmentPaths(dir))[0]!;
    await storage.saveSnapshot(snapshotAt(100));
    await storage.close();

    // The oldest kept segment must reach past index 60, else it would have gone.
    expect(oldest).not.toBe((await segmentPaths(dir))[0]);
    expect(await segmentPaths(dir)).toHaveLength(1);
    const reopened = await (await open(dir, small)).load();
    expect(reopened.entries).toEqual([]);
    expect(reopened.hardState.vote).toBe('m1');
  });

  it('keeps the newest two snapshot files', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 30);
    for (const index of [10, 20, 30]) await storage.saveSnapshot(snapshotAt(index));

    expect((await readdir(join(dir, 'snap'))).sort()).toEqual([
      '0000000000000001-0000000000000014.snap',
      '0000000000000001-000000000000001e.snap',
    ]);
  });

  it('continues a log that restarts after a snapshot past its end, across segment rollovers', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 5);
    await storage.saveSnapshot(snapshotAt(500, 7));
    for (let index = 501; index <= 560; index += 4)
      await storage.save(null, entries(index, index + 3, 7, 64));
    await storage.close();

    expect((await segmentPaths(dir)).length).toBeGreaterThan(3);
    const reopened = await (await open(dir, small)).load();
    expect(reopened.snapshot?.metadata.index).toBe(500);
    expect(reopened.entries).toEqual(entries(501, 560, 7, 64));
  });

  it('still reads a snapshot file of format version 1 (no flags byte) as one that kept the log', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 10);
    await storage.saveSnapshot(snapshotAt(6, 1, 'older format'));
    await storage.close();
    const file = join(dir, 'snap', '0000000000000001-0000000000000006.snap');
    const v2 = await readFile(file);
    expect(v2.readUInt32LE(4)).toBe(2);
    // Version 1: the same header over the body without its leading flags byte.
    const body = v2.subarray(20 + 1);
    const header = Buffer.alloc(20);
    header.write('FSNP', 0, 'latin1');
    header.writeUInt32LE(1, 4);
    header.writeUInt32LE(crc32(body), 8);
    header.writeUInt32LE(body.length, 12);
    await writeFile(file, Buffer.concat([header, body]));

    const reopened = await (await open(dir, small)).load();
    expect(reopened.snapshot).toEqual(snapshotAt(6, 1, 'older format'));
    expect(reopened.entries).toEqual(entries(7, 10, 1, 64));
  });

  it('refuses to start when the newest snapshot fails its checksum, naming the file', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 20);
    await storage.saveSnapshot(snapshotAt(10));
    await storage.saveSnapshot(snapshotAt(20));
    await storage.close();
    const file = join(dir, 'snap', '0000000000000001-0000000000000014.snap');
    const bytes = await readFile(file);
    bytes[bytes.length - 2]! ^= 0x20;
    await writeFile(file, bytes);

    const error = await openError(dir);
    expect(error).toBeInstanceOf(SnapshotCorruptionError);
    expect(error).toMatchObject({ code: 'SNAPSHOT_CORRUPT', file });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('CRC mismatch');
  });

  it('refuses to start when the newest snapshot is cut short', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 8);
    await storage.saveSnapshot(snapshotAt(8));
    await storage.close();
    const file = join(dir, 'snap', '0000000000000001-0000000000000008.snap');
    await truncate(file, (await stat(file)).size - 1);

    const error = await openError(dir);
    expect(error).toBeInstanceOf(SnapshotCorruptionError);
    expect((error as Error).message).toContain(file);
  });

  it('refuses to start when a snapshot file holds another index than its name says', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 8);
    await storage.saveSnapshot(snapshotAt(8));
    await storage.close();
    const snap = join(dir, 'snap');
    await writeFile(
      join(snap, '0000000000000001-0000000000000009.snap'),
      await readFile(join(snap, '0000000000000001-0000000000000008.snap')),
    );

    expect(await openError(dir)).toBeInstanceOf(SnapshotCorruptionError);
  });

  it('refuses to start when entries between the snapshot and the first remaining segment are missing', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 100);
    await storage.saveSnapshot(snapshotAt(20));
    await storage.close();
    const [first, second] = await segmentPaths(dir);
    await unlink(first!);

    const error = await openError(dir);
    expect(error).toBeInstanceOf(WalCorruptionError);
    expect(error).toMatchObject({ file: second, offset: 0 });
    expect((error as Error).message).toMatch(/snapshot ends at index 20/);
  });

  it('refuses to start when every WAL segment is gone but a snapshot exists (the vote would be lost)', async () => {
    const dir = await temp.makeDir();
    const storage = await fill(dir, 8);
    await storage.saveSnapshot(snapshotAt(8));
    await storage.close();
    for (const path of await segmentPaths(dir)) await unlink(path);

    expect(await openError(dir)).toBeInstanceOf(WalCorruptionError);
  });
});
