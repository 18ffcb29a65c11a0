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

/**
 * Stored data is sealed (encrypted at rest) and the storage was opened without a cipher: the member
 * needs its data encryption key (for a manager, from its key files, unlocked if autolocked).
 */
export class StorageEncryptionError extends Error {
  readonly code = 'RAFT_STORAGE_ENCRYPTED';

  constructor(
    readonly file: string,
    /** What is sealed: "entry 123", "the snapshot at index 40". */
    readonly what: string,
  ) {
    super(`${file}: ${what} is encrypted and no key was given`);
    this.name = 'StorageEncryptionError';
  }
}

/**
 * Sealed data does not open: the key with its id is not among those given, or the key does not
 * match the one it was sealed with, or the bytes were altered (AES-GCM cannot tell these two apart).
 * Never a torn write: the record's CRC matched, so these are the bytes that were written.
 */
export class StorageDecryptionError extends Error {
  readonly code = 'RAFT_STORAGE_DECRYPT';

  constructor(
    readonly file: string,
    /** Byte offset within `file` of the WAL record, or of a snapshot's sealed data. */
    readonly offset: number,
    /** What is sealed: "entry 123", "the snapshot at index 40". */
    readonly what: string,
    readonly keyId: number,
    readonly reason: string,
  ) {
    super(
      `${file} at byte offset ${offset}: ${what} (sealed with key id ${keyId}) does not decrypt: ${reason}`,
    );
    this.name = 'StorageDecryptionError';
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
