// The disk storage's WAL: segment layout and rollover, torn-tail repair, and refusing to start on
// corruption that a crash cannot explain.

import { readdir, readFile, stat, truncate, unlink, writeFile, appendFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openDiskStorage, WalCorruptionError } from '../../../../src/raft/storage/index.js';
import type { DiskStorageOptions } from '../../../../src/raft/storage/index.js';
import { entries, indexes, recordingLogger, recordOffsets, segmentPaths, useTempDirs } from './helpers.js';

const temp = useTempDirs();

async function open(dir: string, options: DiskStorageOptions = {}) {
  return temp.track(await openDiskStorage(dir, options));
}

/** Writes `batches` batches of 4 entries (64-byte payloads) in term 1, starting at index 1. */
async function fill(dir: string, batches: number, options: DiskStorageOptions = {}): Promise<number> {
  const storage = await open(dir, options);
  for (let b = 0; b < batches; b++)
    await storage.save({ term: 1, vote: 'm1', commit: b * 4 }, entries(b * 4 + 1, b * 4 + 4, 1, 64));
  await storage.close();
  return batches * 4;
}

async function expectCorruption(dir: string): Promise<WalCorruptionError> {
  const error: unknown = await openDiskStorage(dir).then(
    (storage) => {
      temp.track(storage);
      return null;
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WalCorruptionError);
  return error as WalCorruptionError;
}

describe('WAL segments', () => {
  it('creates dir/wal and dir/snap with a first segment named <seq>-<first index>.wal', async () => {
    const dir = await temp.makeDir();
    await open(dir);

    expect((await readdir(dir)).sort()).toEqual(['snap', 'wal']);
    expect(await readdir(join(dir, 'wal'))).toEqual(['0000000000000000-0000000000000001.wal']);
  });

  it('rolls over to a new segment before one would exceed segmentBytes, and reloads across all of them', async () => {
    const dir = await temp.makeDir();
    const last = await fill(dir, 30, { segmentBytes: 1024 });

    const paths = await segmentPaths(dir);
    expect(paths.length).toBeGreaterThan(5);
    for (const [seq, path] of paths.entries()) {
      expect(basename(path)).toMatch(
        new RegExp(`^${seq.toString(16).padStart(16, '0')}-[0-9a-f]{16}\\.wal$`),
      );
      expect((await stat(path)).size).toBeLessThanOrEqual(1024);
    }
    const loaded = await (await open(dir, { segmentBytes: 1024 })).load();
    expect(loaded.entries).toEqual(entries(1, last, 1, 64));
    expect(loaded.hardState).toEqual({ term: 1, vote: 'm1', commit: last - 4 });
  });

  it('names each segment after the index of the first entry it was started for', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 30, { segmentBytes: 1024 });

    for (const path of await segmentPaths(dir)) {
      const firstIndex = Number.parseInt(basename(path).slice(17, 33), 16);
      const firstEntryOffset = (await recordOffsets(path))[1]!; // record 0 is the opening hard state
      const firstEntryIndex = (await readFile(path)).readUInt32LE(firstEntryOffset + 8 + 9);
      expect(firstEntryIndex).toBe(firstIndex);
    }
  });

  it('keeps appending where it left off after reopening', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 3, { segmentBytes: 1024 });
    const storage = await open(dir, { segmentBytes: 1024 });
    await storage.save(null, entries(13, 40, 2, 64));
    await storage.close();

    expect((await (await open(dir)).load()).entries).toEqual([
      ...entries(1, 12, 1, 64),
      ...entries(13, 40, 2, 64),
    ]);
  });

  it('replays a truncation written to a later segment than the entries it replaces', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 30, { segmentBytes: 1024 });
    const storage = await open(dir, { segmentBytes: 1024 });
    await storage.save(null, entries(3, 5, 2, 64));
    await storage.close();

    expect(indexes((await (await open(dir)).load()).entries)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('WAL torn tail', () => {
  it('truncates a record cut short at the end of the last segment, warns, and keeps working', async () => {
    const dir = await temp.makeDir();
    const last = await fill(dir, 3);
    const [segment] = await segmentPaths(dir);
    const sizeBefore = (await stat(segment!)).size;
    await truncate(segment!, sizeBefore - 5);

    // The cut lands in the hard state record that ends the last batch; the batch's entries survive.
    const logger = recordingLogger();
    const storage = await open(dir, { logger });
    const loaded = await storage.load();
    expect(loaded.entries).toEqual(entries(1, last, 1, 64));
    expect(loaded.hardState.commit).toBe(4);
    // Exactly the torn record is gone: a hard state record for vote 'm1' takes 8 + 19 + 2 bytes.
    const tornRecordOffset = sizeBefore - 29;
    expect((await stat(segment!)).size).toBe(tornRecordOffset);
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ file: segment, offset: tornRecordOffset });

    await storage.save({ term: 2, vote: 'm2', commit: 13 }, entries(13, 14, 2, 64));
    await storage.close();
    const again = recordingLogger();
    const reloaded = await (await open(dir, { logger: again })).load();
    expect(reloaded.entries).toEqual([...entries(1, last, 1, 64), ...entries(13, 14, 2, 64)]);
    expect(reloaded.hardState).toEqual({ term: 2, vote: 'm2', commit: 13 });
    expect(again.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('drops a last entry whose bytes were only partly written', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir);
    await storage.save(null, entries(1, 6, 1, 64));
    await storage.close();
    const [segment] = await segmentPaths(dir);
    await truncate(segment!, (await stat(segment!)).size - 20);

    expect(indexes((await (await open(dir)).load()).entries)).toEqual([1, 2, 3, 4, 5]);
  });

  it('treats a final record that fails its CRC with nothing after it as a torn write', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir);
    await storage.save(null, entries(1, 6, 1, 64));
    await storage.close();
    const [segment] = await segmentPaths(dir);
    const bytes = await readFile(segment!);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(segment!, bytes);

    expect(indexes((await (await open(dir)).load()).entries)).toEqual([1, 2, 3, 4, 5]);
  });

  it('treats zero bytes after the last good record as a torn write (a file extended but never written)', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 2);
    const [segment] = await segmentPaths(dir);
    const size = (await stat(segment!)).size;
    await appendFile(segment!, Buffer.alloc(4096));

    const storage = await open(dir);
    expect(indexes((await storage.load()).entries)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await stat(segment!)).size).toBe(size);
  });

  it('restores the opening hard state when the cut takes the last segment back to nothing', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 30, { segmentBytes: 1024 });
    const segment = (await segmentPaths(dir)).at(-1)!;
    await truncate(segment, 3);

    const storage = await open(dir);
    const loaded = await storage.load();
    expect(loaded.hardState.vote).toBe('m1');
    expect((await recordOffsets(segment))[0]).toBe(0);
    expect((await stat(segment)).size).toBeGreaterThan(0);
  });
});

describe('WAL corruption', () => {
  it('refuses to start when a record before the tail fails its CRC, naming the file and byte offset', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 3);
    const [segment] = await segmentPaths(dir);
    const offset = (await recordOffsets(segment!))[2]!;
    const bytes = await readFile(segment!);
    bytes[offset + 20]! ^= 0x01;
    await writeFile(segment!, bytes);

    const error = await expectCorruption(dir);
    expect(error.code).toBe('WAL_CORRUPT');
    expect(error.file).toBe(segment);
    expect(error.offset).toBe(offset);
    expect(error.message).toContain(segment);
    expect(error.message).toContain(`byte offset ${offset}`);
    expect(error.message).toContain('CRC mismatch');
  });

  it('refuses to start when a segment before the last ends in a cut-off record', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 30, { segmentBytes: 1024 });
    const [first] = await segmentPaths(dir);
    const size = (await stat(first!)).size;
    await truncate(first!, size - 10);

    const error = await expectCorruption(dir);
    expect(error.file).toBe(first);
    expect(error.message).toMatch(/runs past the end of the file/);
  });

  it('refuses to start on an unknown record type even when its CRC is valid', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 3);
    const [segment] = await segmentPaths(dir);
    const offset = (await recordOffsets(segment!))[1]!;
    const bytes = await readFile(segment!);
    const end = offset + 8 + bytes.readUInt32LE(offset);
    bytes[offset + 8] = 0x7f;
    bytes.writeUInt32LE(crc32(bytes.subarray(offset + 8, end)), offset + 4);
    await writeFile(segment!, bytes);

    const error = await expectCorruption(dir);
    expect(error.offset).toBe(offset);
    expect(error.message).toContain('unknown record type 127');
  });

  it('refuses to start when a segment between others is missing', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 30, { segmentBytes: 1024 });
    const paths = await segmentPaths(dir);
    await unlink(paths[2]!);

    const error = await expectCorruption(dir);
    expect(error.file).toBe(paths[3]);
    expect(error.message).toMatch(/a segment is missing/);
  });

  it('refuses to start when the oldest segment is missing and no snapshot covers it', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 30, { segmentBytes: 1024 });
    const paths = await segmentPaths(dir);
    await unlink(paths[0]!);

    const error = await expectCorruption(dir);
    expect(error.file).toBe(paths[1]);
    expect(error.message).toMatch(/entries in between are missing/);
  });

  it('refuses to start when an entry index jumps forward inside a segment', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 2);
    const [segment] = await segmentPaths(dir);
    const offset = (await recordOffsets(segment!))[3]!;
    const bytes = await readFile(segment!);
    const end = offset + 8 + bytes.readUInt32LE(offset);
    bytes.writeUInt32LE(9, offset + 8 + 9); // the entry's index: 3 becomes 9
    bytes.writeUInt32LE(crc32(bytes.subarray(offset + 8, end)), offset + 4);
    await writeFile(segment!, bytes);

    const error = await expectCorruption(dir);
    expect(error.offset).toBe(offset);
    expect(error.message).toContain('entry 9 follows entry 2');
  });

  it('refuses to start on a log reset past the newest snapshot (the snapshot it follows is missing)', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 2);
    const [segment] = await segmentPaths(dir);
    const offset = (await stat(segment!)).size;
    const record = Buffer.alloc(8 + 17);
    record.writeUInt32LE(17, 0);
    record[8] = 3; // log reset at index 6, term 2
    record.writeUInt32LE(6, 9);
    record.writeUInt32LE(2, 17);
    record.writeUInt32LE(crc32(record.subarray(8)), 4);
    await appendFile(segment!, record);

    const error = await expectCorruption(dir);
    expect(error).toMatchObject({ file: segment, offset });
    expect(error.message).toMatch(/log reset at index 6 but the newest snapshot ends at index 0/);
  });

  it('removes leftover temporary files when opening', async () => {
    const dir = await temp.makeDir();
    await fill(dir, 1);
    await writeFile(join(dir, 'wal', 'leftover.tmp'), 'x');
    await writeFile(join(dir, 'snap', '0000000000000001-0000000000000004.snap.tmp'), 'half a snapshot');

    const storage = await open(dir);
    expect(indexes((await storage.load()).entries)).toEqual([1, 2, 3, 4]);
    expect(await readdir(join(dir, 'wal'))).not.toContain('leftover.tmp');
    expect(await readdir(join(dir, 'snap'))).toEqual([]);
  });
});
