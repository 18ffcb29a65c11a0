// RaftStorage on local disk: a WAL (wal.ts) for entries and hard state plus snapshot files
// (snapshots.ts) under one directory. Operations run one at a time, in the order they were called.

import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Entry, HardState, Snapshot } from '../core/messages.js';
import { silentLogger } from '../../util/logger.js';
import type { Logger } from '../../util/logger.js';
import {
  StorageClosedError,
  StorageFailedError,
  SnapshotOutOfDateError,
  StorageArgumentError,
  WalCorruptionError,
} from './errors.js';
import type { StorageCipher } from './cipher.js';
import { fsyncDirectory } from './fs-util.js';
import { SnapshotStore } from './snapshots.js';
import type { StoredSnapshot } from './snapshots.js';
import { checkHardState, checkSnapshot, entriesToAppend } from './storage.js';
import type { PersistedState, RaftStorage, SaveSnapshotOptions } from './storage.js';
import { Wal } from './wal.js';
import { emptyLogBase, replayWal } from './wal-replay.js';
import type { LogBase } from './wal-replay.js';

export interface DiskStorageOptions {
  /** A segment rolls over once the next write would take it past this size. Default 64 MiB. */
  segmentBytes?: number;
  logger?: Logger;
  /** fsync/fdatasync before resolving. Default true; false only for tests that say so. */
  sync?: boolean;
  /**
   * Encryption at rest: seals the data of every entry and snapshot written from now on, and opens
   * sealed ones read (records written without it stay readable: turning encryption on migrates as
   * the log is replaced). Without it, opening storage that holds sealed data needed on replay fails.
   */
  cipher?: StorageCipher;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Snapshot files kept: the newest, and the one before it for an operator to fall back to. */
const SNAPSHOTS_KEPT = 2;

/**
 * Opens (creating if needed) the storage in `dir`: `dir/wal/` and `dir/snap/`. Replays the WAL,
 * truncating a torn write at its very end; throws WalCorruptionError or SnapshotCorruptionError
 * for any other damage rather than start without acknowledged data, and StorageEncryptionError or
 * StorageDecryptionError when sealed data is needed and `options.cipher` cannot open it.
 */
export async function openDiskStorage(dir: string, options: DiskStorageOptions = {}): Promise<RaftStorage> {
  const sync = options.sync ?? true;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) {
    throw new StorageArgumentError(`segmentBytes must be a positive integer, got ${segmentBytes}`);
  }
  const root = resolve(dir);
  const logger = (options.logger ?? silentLogger).child({ component: 'raft-storage', dir: root });
  const walDir = join(root, 'wal');
  const snapDir = join(root, 'snap');
  const createdWal = await mkdir(walDir, { recursive: true });
  const createdSnap = await mkdir(snapDir, { recursive: true });
  const topCreated = createdWal ?? createdSnap;
  if (topCreated !== undefined && sync) await syncNewDirectories(root, topCreated);
  const cipher = options.cipher ?? null;
  const snapshots = await SnapshotStore.open(snapDir, { sync, logger, cipher });
  const stored = await snapshots.readNewest();
  const base = logBase(stored);
  const opened = await Wal.open(walDir, base, { segmentBytes, sync, logger, cipher });
  const initial: PersistedState = {
    hardState: opened.hardState,
    snapshot: stored?.snapshot ?? null,
    entries: opened.entries,
  };
  return new DiskStorage(
    walDir,
    opened.wal,
    snapshots,
    cipher,
    logger,
    base.index,
    opened.lastIndex,
    initial,
  );
}

function logBase(stored: StoredSnapshot | null): LogBase {
  if (stored === null) return emptyLogBase;
  const { index, term } = stored.snapshot.metadata;
  return { index, term, replacesLog: stored.replacesLog };
}

class DiskStorage implements RaftStorage {
  /** Tail of the chain that runs operations one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;
  /** Set when a write failed: the disk's contents are then unknown and nothing more is written. */
  private failure: unknown = null;

  constructor(
    private readonly walDir: string,
    private readonly wal: Wal,
    private readonly snapshots: SnapshotStore,
    private readonly cipher: StorageCipher | null,
    private readonly logger: Logger,
    private snapshotIndex: number,
    /** The log's last index: the last entry's, or the snapshot's if that is higher. */
    private lastIndex: number,
    /** What opening read, handed to the first load() unless something was written since. */
    private initial: PersistedState | null,
  ) {}

  load(): Promise<PersistedState> {
    return this.enqueue(async () => {
      const initial = this.initial;
      if (initial) {
        this.initial = null;
        return initial;
      }
      const stored = await this.snapshots.readNewest();
      const replay = await replayWal(this.walDir, logBase(stored), this.logger, this.cipher);
      // Opening cut off any torn tail and finished any log reset, and every write since
      // completed: someone else wrote here.
      if (replay.tornTail) {
        const { path, offset, reason } = replay.tornTail;
        throw new WalCorruptionError(path, offset, reason);
      }
      if (replay.resetPending) {
        throw new WalCorruptionError(this.walDir, 0, 'the log reset after the newest snapshot is missing');
      }
      return { hardState: replay.hardState, snapshot: stored?.snapshot ?? null, entries: replay.entries };
    });
  }

  save(hardState: HardState | null, entries: Entry[]): Promise<void> {
    return this.enqueue(async () => {
      if (hardState) checkHardState(hardState);
      const toAppend = entriesToAppend(entries, this.lastIndex, this.snapshotIndex);
      this.initial = null;
      await this.failOnError(this.wal.append(toAppend, hardState, this.lastIndex));
      const last = toAppend.at(-1);
      if (last) this.lastIndex = last.index;
    });
  }

  saveSnapshot(snapshot: Snapshot, options: SaveSnapshotOptions = {}): Promise<void> {
    return this.enqueue(async () => {
      checkSnapshot(snapshot);
      const { index, term } = snapshot.metadata;
      if (index <= this.snapshotIndex) throw new SnapshotOutOfDateError(this.snapshotIndex, index);
      const discardLog = options.discardLog ?? false;
      // A failure before the rename leaves the old state intact; after it, the state is unknown.
      // With discardLog the rename is also the commit point of the log reset: the file says it
      // replaces the log, and opening writes the WAL's reset record if a crash came first.
      const prepared = await this.snapshots.prepare(snapshot, discardLog);
      await this.failOnError(this.snapshots.publish(prepared));
      this.initial = null;
      this.snapshotIndex = index;
      if (discardLog) {
        // Raft §7: the log does not hold the snapshot's last entry, so none of it is kept. The
        // record orders the reset before the entries saved next, and frees the old segments.
        await this.failOnError(this.wal.resetLog({ index, term }));
        this.lastIndex = index;
      } else {
        this.lastIndex = Math.max(this.lastIndex, index);
      }
      try {
        await this.wal.removeSegmentsCoveredBy(index);
        await this.snapshots.prune(SNAPSHOTS_KEPT);
      } catch (err) {
        // Safe to resolve: the snapshot is durable, and leftovers are retried after the next one.
        this.logger.warn('could not remove files covered by a new snapshot', { snapshotIndex: index, err });
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= this.queue.then(() => this.wal.close());
    return this.closing;
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new StorageClosedError());
    const result = this.queue.then(() => {
      if (this.failure !== null) throw new StorageFailedError(this.failure);
      return operation();
    });
    // The chain only orders operations; each caller receives its own outcome through `result`.
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async failOnError(write: Promise<void>): Promise<void> {
    try {
      await write;
    } catch (err) {
      this.failure = err;
      this.logger.error('raft storage write failed; refusing further operations until reopened', { err });
      throw err;
    }
  }
}

/**
 * Makes newly created directories durable: each one's entry lives in its parent, so sync `root`
 * and its ancestors up to the parent of `topCreated`, the highest directory mkdir created.
 */
async function syncNewDirectories(root: string, topCreated: string): Promise<void> {
  for (let dir = root; ; dir = dirname(dir)) {
    await fsyncDirectory(dir);
    if (dir === dirname(topCreated) || dir === dirname(dir)) return;
  }
}
