// The disk storage as an object: operations run in call order, close waits for them, and a failed
// write stops all further operations until the storage is reopened.

import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  openDiskStorage,
  StorageClosedError,
  StorageFailedError,
} from '../../../../src/raft/storage/index.js';
import { entries, indexes, snapshotAt, useTempDirs } from './helpers.js';

const temp = useTempDirs();

describe('disk storage', () => {
  it('applies operations in the order they were called when callers do not wait in between', async () => {
    const dir = await temp.makeDir();
    const storage = temp.track(await openDiskStorage(dir));
    const done = [
      storage.save({ term: 1, vote: 'm1', commit: 0 }, entries(1, 10)),
      storage.save(null, entries(8, 12, 2)),
      storage.saveSnapshot(snapshotAt(9, 2)),
      storage.save({ term: 2, vote: 'm2', commit: 11 }, entries(13, 13, 2)),
    ];
    const loaded = storage.load();
    await Promise.all(done);

    expect(indexes((await loaded).entries)).toEqual([10, 11, 12, 13]);
    expect((await loaded).hardState).toEqual({ term: 2, vote: 'm2', commit: 11 });
  });

  it('finishes the writes already requested before close resolves', async () => {
    const dir = await temp.makeDir();
    const storage = temp.track(await openDiskStorage(dir));
    const saved = storage.save(null, entries(1, 3));
    await storage.close();
    await saved;
    await expect(storage.save(null, entries(4, 4))).rejects.toBeInstanceOf(StorageClosedError);

    const reopened = temp.track(await openDiskStorage(dir));
    expect(indexes((await reopened.load()).entries)).toEqual([1, 2, 3]);
  });

  it('refuses every operation after a failed write, and recovers what was acknowledged when reopened', async () => {
    const dir = await temp.makeDir();
    const storage = temp.track(await openDiskStorage(dir, { segmentBytes: 1024 }));
    await storage.save({ term: 1, vote: 'm1', commit: 0 }, entries(1, 4, 1, 64));
    await storage.save(null, entries(5, 8, 1, 64));
    // The next save must roll over to this segment name; something already sits there.
    const blocker = join(dir, 'wal', '0000000000000001-0000000000000009.wal');
    await mkdir(blocker);

    await expect(storage.save(null, entries(9, 12, 1, 64))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(storage.save(null, entries(9, 9, 1, 64))).rejects.toBeInstanceOf(StorageFailedError);
    await expect(storage.load()).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await storage.close();

    await rmdir(blocker);
    const reopened = temp.track(await openDiskStorage(dir, { segmentBytes: 1024 }));
    expect((await reopened.load()).entries).toEqual(entries(1, 8, 1, 64));
  });
});
