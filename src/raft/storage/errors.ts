// Errors raised by the Raft storage. Each carries a stable `code`; corruption errors name the file
// (and byte offset) so an operator can inspect it or restore the member from a peer.

/** The WAL is damaged somewhere a crash cannot explain; the member refuses to start. */
export class WalCorruptionError extends Error {
  readonly code = 'WAL_CORRUPT';

  constructor(
    /** The segment file (or the WAL directory when a whole segment is missing). */
    readonly file: string,
    /** Byte offset of the damaged record within `file`. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`WAL corrupt: ${file} at byte offset ${offset}: ${reason}`);
    this.name = 'WalCorruptionError';
  }
}

/** The newest snapshot file is damaged; the member refuses to start. */
export class SnapshotCorruptionError extends Error {
  readonly code = 'SNAPSHOT_CORRUPT';

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`snapshot corrupt: ${file}: ${reason}`);
    this.name = 'SnapshotCorruptionError';
  }
}

export class StorageClosedError extends Error {
  readonly code = 'STORAGE_CLOSED';

  constructor() {
    super('raft storage is closed');
    this.name = 'StorageClosedError';
  }
}

/**
 * An earlier write or fsync failed, so what is on disk is unknown (a failed fsync cannot be retried
 * safely). Every later operation rejects with this error; reopening the storage recovers.
 */
export class StorageFailedError extends Error {
  readonly code = 'STORAGE_FAILED';

  constructor(cause: unknown) {
    super(`raft storage failed earlier and refuses further writes; reopen it: ${describe(cause)}`, { cause });
    this.name = 'StorageFailedError';
  }
}

/** The caller broke the storage contract (a gap in the log, a value the format cannot hold). */
export class StorageArgumentError extends Error {
  readonly code = 'STORAGE_INVALID_ARGUMENT';

  constructor(readonly reason: string) {
    super(`invalid raft storage call: ${reason}`);
    this.name = 'StorageArgumentError';
  }
}

/** A snapshot at or below the index of the one already stored (etcd's ErrSnapOutOfDate). */
export class SnapshotOutOfDateError extends Error {
  readonly code = 'SNAPSHOT_OUT_OF_DATE';

  constructor(
    readonly currentIndex: number,
    readonly snapshotIndex: number,
  ) {
    super(`snapshot at index ${snapshotIndex} is not newer than the stored one at index ${currentIndex}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
