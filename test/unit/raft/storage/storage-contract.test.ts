// The RaftStorage contract, run against MemoryStorage and the disk storage (reloaded in place, and
// closed and reopened, also encrypted), so the simulation's storage behaves like the real one.

import { describe, expect, it } from 'vitest';
import { EntryType } from '../../../../src/raft/core/messages.js';
import {
  aesGcmCipher,
  MemoryStorage,
  openDiskStorage,
  SnapshotOutOfDateError,
  StorageArgumentError,
  StorageClosedError,
} from '../../../../src/raft/storage/index.js';
import type { DiskStorageOptions, PersistedState, RaftStorage } from '../../../../src/raft/storage/index.js';
import { entries, indexes, snapshotAt, useTempDirs } from './helpers.js';

interface Subject {
  name: string;
  open(): Promise<RaftStorage>;
  /** What a restarted member gets back: the same storage, or the one reopened from its files. */
  restart(storage: RaftStorage): Promise<RaftStorage>;
}

const temp = useTempDirs();
const dirOf = new WeakMap<RaftStorage, string>();

async function openDisk(dir?: string, options: DiskStorageOptions = {}): Promise<RaftStorage> {
  const storageDir = dir ?? (await temp.makeDir());
  const storage = temp.track(await openDiskStorage(storageDir, options));
  dirOf.set(storage, storageDir);
  return storage;
}

const subjects: Subject[] = [
  { name: 'MemoryStorage', open: async () => new MemoryStorage(), restart: async (storage) => storage },
  { name: 'disk storage, reloaded in place', open: () => openDisk(), restart: async (storage) => storage },
  {
    name: 'disk storage, closed and reopened',
    open: () => openDisk(),
    restart: async (storage) => {
      await storage.close();
      return openDisk(dirOf.get(storage));
    },
  },
  {
    name: 'encrypted disk storage, closed and reopened',
    open: () => openDisk(undefined, { cipher: encrypted() }),
    restart: async (storage) => {
      await storage.close();
      return openDisk(dirOf.get(storage), { cipher: encrypted() });
    },
  },
];

function encrypted() {
  return aesGcmCipher({ keys: [{ id: 7, key: new Uint8Array(32).fill(0x42) }] });
}

describe.each(subjects)('$name', (subject) => {
  async function reload(storage: RaftStorage): Promise<PersistedState> {
    const restarted = await subject.restart(storage);
    return restarted.load();
  }

  it('starts empty: no hard state, no snapshot, no entries', async () => {
    const storage = await subject.open();
    expect(await storage.load()).toEqual({
      hardState: { term: 0, vote: '', commit: 0 },
      snapshot: null,
      entries: [],
    });
  });

  it('returns the saved entries and the latest hard state', async () => {
    const storage = await subject.open();
    const saved = entries(1, 5, 2);
    await storage.save({ term: 1, vote: 'm1', commit: 0 }, saved.slice(0, 3));
    await storage.save({ term: 2, vote: 'm2', commit: 3 }, saved.slice(3));

    const loaded = await reload(storage);
    expect(loaded.hardState).toEqual({ term: 2, vote: 'm2', commit: 3 });
    expect(loaded.snapshot).toBeNull();
    expect(loaded.entries).toEqual(saved);
  });

  it('records a hard state without entries and entries without a hard state', async () => {
    const storage = await subject.open();
    await storage.save({ term: 3, vote: 'm3', commit: 0 }, []);
    await storage.save(null, entries(1, 2, 3));

    const loaded = await reload(storage);
    expect(loaded.hardState).toEqual({ term: 3, vote: 'm3', commit: 0 });
    expect(indexes(loaded.entries)).toEqual([1, 2]);
  });

  it('replaces the stored suffix when an append starts at or below the last index', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 10, 1));
    await storage.save(null, entries(6, 7, 2));

    const loaded = await reload(storage);
    expect(loaded.entries).toEqual([...entries(1, 5, 1), ...entries(6, 7, 2)]);
  });

  it('replaces the whole log when an append starts at index 1', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 4, 1));
    await storage.save(null, entries(1, 2, 5));

    expect((await reload(storage)).entries).toEqual(entries(1, 2, 5));
  });

  it('appends after a truncation as after any other entry', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 10, 1));
    await storage.save(null, entries(4, 4, 2));
    await storage.save(null, entries(5, 6, 2));

    expect((await reload(storage)).entries).toEqual([...entries(1, 3, 1), ...entries(4, 6, 2)]);
  });

  it('rejects an append that would leave a gap after the last index, storing nothing', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 3));

    await expect(storage.save({ term: 9, vote: '', commit: 0 }, entries(5, 6))).rejects.toBeInstanceOf(
      StorageArgumentError,
    );
    const loaded = await reload(storage);
    expect(indexes(loaded.entries)).toEqual([1, 2, 3]);
    expect(loaded.hardState.term).toBe(0);
  });

  it('rejects a batch whose indexes are not consecutive', async () => {
    const storage = await subject.open();
    const batch = [...entries(1, 2), ...entries(4, 4)];
    await expect(storage.save(null, batch)).rejects.toBeInstanceOf(StorageArgumentError);
  });

  it('keeps what was saved even if the caller later changes its entry objects and bytes', async () => {
    const storage = await subject.open();
    const batch = entries(1, 1, 1, 4);
    await storage.save(null, batch);
    batch[0]!.data[0] = 99;
    batch[0]!.term = 7;

    expect((await reload(storage)).entries).toEqual(entries(1, 1, 1, 4));
  });

  it('keeps membership, addresses and data of a saved snapshot', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 3));
    await storage.saveSnapshot(snapshotAt(3, 1, 'the state machine'));

    expect((await reload(storage)).snapshot).toEqual(snapshotAt(3, 1, 'the state machine'));
  });

  it('returns only the entries after the snapshot index once a snapshot is saved', async () => {
    const storage = await subject.open();
    await storage.save({ term: 1, vote: 'm1', commit: 8 }, entries(1, 10));
    await storage.saveSnapshot(snapshotAt(6));

    const loaded = await reload(storage);
    expect(loaded.snapshot?.metadata.index).toBe(6);
    expect(indexes(loaded.entries)).toEqual([7, 8, 9, 10]);
    expect(loaded.hardState).toEqual({ term: 1, vote: 'm1', commit: 8 });
  });

  it('starts the log afresh after a snapshot beyond the last stored entry', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 3));
    await storage.saveSnapshot(snapshotAt(50, 4));
    expect((await storage.load()).entries).toEqual([]);

    await expect(storage.save(null, entries(52, 52, 4))).rejects.toBeInstanceOf(StorageArgumentError);
    await storage.save(null, entries(51, 53, 4));
    const loaded = await reload(storage);
    expect(loaded.snapshot?.metadata.index).toBe(50);
    expect(loaded.entries).toEqual(entries(51, 53, 4));
  });

  it('skips entries of an append that the snapshot already covers', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 5));
    await storage.saveSnapshot(snapshotAt(5));
    await storage.save(null, entries(3, 8, 2));

    expect((await reload(storage)).entries).toEqual(entries(6, 8, 2));
  });

  it('rejects a snapshot that is not newer than the stored one', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 5));
    await storage.saveSnapshot(snapshotAt(4));

    await expect(storage.saveSnapshot(snapshotAt(4))).rejects.toBeInstanceOf(SnapshotOutOfDateError);
    await expect(storage.saveSnapshot(snapshotAt(2))).rejects.toBeInstanceOf(SnapshotOutOfDateError);
    expect((await reload(storage)).snapshot?.metadata.index).toBe(4);
  });

  describe('installing a snapshot with discardLog (Raft §7)', () => {
    it('discards every stored entry, also those after the snapshot index, and keeps the hard state', async () => {
      const storage = await subject.open();
      await storage.save({ term: 2, vote: 'm2', commit: 4 }, entries(1, 10, 2));
      await storage.saveSnapshot(snapshotAt(6, 3), { discardLog: true });

      expect((await storage.load()).entries).toEqual([]);
      const loaded = await reload(storage);
      expect(loaded.snapshot).toEqual(snapshotAt(6, 3));
      expect(loaded.entries).toEqual([]);
      expect(loaded.hardState).toEqual({ term: 2, vote: 'm2', commit: 4 });
    });

    it('continues the log at the snapshot index + 1 and rejects an append beyond it', async () => {
      const storage = await subject.open();
      await storage.save(null, entries(1, 10, 2));
      await storage.saveSnapshot(snapshotAt(6, 3), { discardLog: true });

      await expect(storage.save(null, entries(8, 9, 3))).rejects.toBeInstanceOf(StorageArgumentError);
      await storage.save(null, entries(4, 8, 3)); // 4..6 are covered by the snapshot
      await storage.save(null, entries(9, 9, 3));
      expect((await reload(storage)).entries).toEqual(entries(7, 9, 3));
    });

    it('accepts a snapshot at or below the last stored index, but not one that is not newer than the stored snapshot', async () => {
      const storage = await subject.open();
      await storage.save(null, entries(1, 10, 2));
      await storage.saveSnapshot(snapshotAt(4, 2));

      await expect(storage.saveSnapshot(snapshotAt(4, 3), { discardLog: true })).rejects.toBeInstanceOf(
        SnapshotOutOfDateError,
      );
      await expect(storage.saveSnapshot(snapshotAt(3, 3), { discardLog: true })).rejects.toBeInstanceOf(
        SnapshotOutOfDateError,
      );
      expect(indexes((await storage.load()).entries)).toEqual([5, 6, 7, 8, 9, 10]);
      await storage.saveSnapshot(snapshotAt(10, 3), { discardLog: true });
      const loaded = await reload(storage);
      expect(loaded.snapshot?.metadata).toMatchObject({ index: 10, term: 3 });
      expect(loaded.entries).toEqual([]);
    });

    it('starts the log afresh after a snapshot beyond the last stored entry', async () => {
      const storage = await subject.open();
      await storage.save(null, entries(1, 3));
      await storage.saveSnapshot(snapshotAt(50, 4), { discardLog: true });
      await storage.save(null, entries(51, 52, 4));

      const loaded = await reload(storage);
      expect(loaded.snapshot?.metadata.index).toBe(50);
      expect(loaded.entries).toEqual(entries(51, 52, 4));
    });

    it('discards entries saved after an earlier discard when a newer snapshot discards again', async () => {
      const storage = await subject.open();
      await storage.save(null, entries(1, 10, 1));
      await storage.saveSnapshot(snapshotAt(5, 2), { discardLog: true });
      await storage.save(null, entries(6, 12, 2));
      await storage.saveSnapshot(snapshotAt(8, 4), { discardLog: true });
      await storage.save(null, entries(9, 9, 4));

      expect((await reload(storage)).entries).toEqual(entries(9, 9, 4));
    });

    it('keeps the entries saved after a discard through a later snapshot taken without discardLog', async () => {
      const storage = await subject.open();
      await storage.save(null, entries(1, 20, 1));
      await storage.saveSnapshot(snapshotAt(5, 2), { discardLog: true });
      await storage.save(null, entries(6, 12, 2));
      await storage.saveSnapshot(snapshotAt(9, 2));

      const loaded = await reload(storage);
      expect(loaded.snapshot?.metadata.index).toBe(9);
      expect(loaded.entries).toEqual(entries(10, 12, 2));
    });
  });

  it('stores both entry types', async () => {
    const storage = await subject.open();
    const confChange = { term: 1, index: 2, type: EntryType.ConfChange, data: new Uint8Array([1, 2, 3]) };
    await storage.save(null, [...entries(1, 1), confChange]);

    expect((await reload(storage)).entries[1]).toEqual(confChange);
  });

  it('rejects every operation after close with StorageClosedError', async () => {
    const storage = await subject.open();
    await storage.save(null, entries(1, 1));
    await storage.close();

    await expect(storage.load()).rejects.toBeInstanceOf(StorageClosedError);
    await expect(storage.save(null, entries(2, 2))).rejects.toBeInstanceOf(StorageClosedError);
    await expect(storage.saveSnapshot(snapshotAt(1))).rejects.toBeInstanceOf(StorageClosedError);
    await expect(storage.load()).rejects.toThrow(/closed/);
  });
});
