// Shared pieces of the storage tests: temp directories cleaned up after each test, entry and
// snapshot builders, a logger that records what it was told, and a reader for WAL record offsets.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { EntryType } from '../../../../src/raft/core/messages.js';
import type { Entry, Snapshot } from '../../../../src/raft/core/messages.js';
import type { Logger } from '../../../../src/util/logger.js';
import type { RaftStorage } from '../../../../src/raft/storage/index.js';

/** Registers an afterEach that closes every storage and removes every directory handed out. */
export function useTempDirs(): { makeDir(): Promise<string>; track(storage: RaftStorage): RaftStorage } {
  const dirs: string[] = [];
  const storages: RaftStorage[] = [];
  afterEach(async () => {
    // Storages may already be closed or have failed to open; closing twice is a no-op.
    await Promise.all(storages.splice(0).map((storage) => storage.close()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return {
    async makeDir() {
      const dir = await mkdtemp(join(tmpdir(), 'flotilla-storage-'));
      dirs.push(dir);
      return dir;
    },
    track(storage) {
      storages.push(storage);
      return storage;
    },
  };
}

/** Entries `from`..`to` in `term`, each carrying `dataBytes` bytes that encode its index and term. */
export function entries(from: number, to: number, term = 1, dataBytes = 16): Entry[] {
  const result: Entry[] = [];
  for (let index = from; index <= to; index++) {
    const data = new Uint8Array(dataBytes);
    for (let i = 0; i < dataBytes; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
    result.push({ term, index, type: EntryType.Normal, data });
  }
  return result;
}

export function snapshotAt(index: number, term = 1, data = `state@${index}`): Snapshot {
  return {
    metadata: {
      index,
      term,
      confState: {
        voters: ['m1', 'm2', 'm3'],
        learners: ['m4'],
        addresses: { m1: '10.0.0.1:4242', m4: '10.0.0.4:4242' },
      },
    },
    data: new TextEncoder().encode(data),
  };
}

/** The index of each entry, for compact assertions. */
export function indexes(list: Entry[]): number[] {
  return list.map((entry) => entry.index);
}

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(
  lines: LogLine[] = [],
  base: Record<string, unknown> = {},
): Logger & { lines: LogLine[] } {
  const record =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, msg, fields: { ...base, ...fields } });
    };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: (fields) => recordingLogger(lines, { ...base, ...fields }),
  };
}

/** Segment files of `dir/wal`, oldest first. */
export async function segmentPaths(dir: string): Promise<string[]> {
  const names = (await readdir(join(dir, 'wal'))).filter((name) => name.endsWith('.wal')).sort();
  return names.map((name) => join(dir, 'wal', name));
}

/** Byte offset of each record in a segment, found by walking the length fields. */
export async function recordOffsets(path: string): Promise<number[]> {
  const buf = await readFile(path);
  const offsets: number[] = [];
  for (let offset = 0; offset + 8 <= buf.length; offset += 8 + buf.readUInt32LE(offset)) offsets.push(offset);
  return offsets;
}
