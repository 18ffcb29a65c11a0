// The contract between the Raft node and stable storage, the checks both implementations share, and
// MemoryStorage: the same semantics without files, for tests and deterministic simulation.

import { emptyHardState, EntryType } from '../core/messages.js';
import type { Entry, HardState, Snapshot } from '../core/messages.js';
import { isU64 } from './binary.js';
import { SnapshotOutOfDateError, StorageArgumentError, StorageClosedError } from './errors.js';

export interface PersistedState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** The entries after the snapshot index (all entries when there is no snapshot), contiguous. */
  entries: Entry[];
}

export interface RaftStorage {
  load(): Promise<PersistedState>;
  /** Durably (fdatasync before resolving) records hardState (if not null) and appends entries.
   * A save that only moves the commit index may skip the fdatasync (etcd's MustSync): the commit
   * index is recovered from the leader, while entries, term and vote must never be lost.
   * If entries[0].index <= the last stored index, the stored suffix from entries[0].index on is replaced (Raft log truncation).
   * Entries at or below the snapshot index are already covered by it and skipped (as etcd's MemoryStorage.Append does);
   * an entries[0].index beyond the last stored index + 1 is rejected with StorageArgumentError. */
  save(hardState: HardState | null, entries: Entry[]): Promise<void>;
  /** Atomically persists a snapshot (temp file + fsync + rename + fsync of the directory), then removes WAL segments and older snapshot files wholly covered by it (keep the newest 2 snapshot files).
   * Stored entries after the snapshot index are kept unless options.discardLog; a snapshot not newer than the stored one rejects with SnapshotOutOfDateError. */
  saveSnapshot(snapshot: Snapshot, options?: SaveSnapshotOptions): Promise<void>;
  close(): Promise<void>;
}

export interface SaveSnapshotOptions {
  /**
   * Discard the whole stored log, as a follower must when it installs a leader's snapshot whose
   * last entry (index, term) its log does not hold (Raft §7). Once the snapshot is durable, load()
   * returns no entries until more are saved, the next at snapshot index + 1; a crash at any point
   * leaves either the old snapshot and log or the new snapshot without them. The snapshot may lie
   * at or below the last stored index (it still has to be newer than the stored snapshot).
   * Default false: the caller's log holds that entry (it took the snapshot itself), so the
   * entries after it are kept.
   */
  discardLog?: boolean;
}

/** Largest byte length of a member id or address: the formats store it in a u16. */
const MAX_ID_BYTES = 0xffff;
/** Largest entry payload: a WAL record's length is a u32 and includes 18 bytes of entry header. */
const MAX_ENTRY_DATA_BYTES = 0xffff_ffff - 18;

/**
 * Checks an append against the stored log (last index, snapshot index) and returns the entries to
 * store: `entries` minus any prefix the snapshot already covers. Throws StorageArgumentError.
 */
export function entriesToAppend(entries: Entry[], lastIndex: number, snapshotIndex: number): Entry[] {
  const first = entries[0];
  if (first === undefined) return entries;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.index !== first.index + i || !isU64(entry.index) || entry.index < 1) {
      throw new StorageArgumentError(
        `entries must have consecutive indexes from 1 up; entry ${i} has index ${entry.index}`,
      );
    }
    if (!isU64(entry.term)) throw new StorageArgumentError(`entry ${entry.index} has term ${entry.term}`);
    if (entry.type !== EntryType.Normal && entry.type !== EntryType.ConfChange) {
      throw new StorageArgumentError(`entry ${entry.index} has unknown type ${String(entry.type)}`);
    }
    if (entry.data.length > MAX_ENTRY_DATA_BYTES) {
      throw new StorageArgumentError(`entry ${entry.index} carries ${entry.data.length} bytes`);
    }
  }
  if (first.index > lastIndex + 1) {
    throw new StorageArgumentError(
      `appending at index ${first.index} would leave a gap after index ${lastIndex}`,
    );
  }
  if (first.index > snapshotIndex) return entries;
  return entries.slice(snapshotIndex - first.index + 1);
}

export function checkHardState(hardState: HardState): void {
  if (!isU64(hardState.term) || !isU64(hardState.commit)) {
    throw new StorageArgumentError(`hard state term ${hardState.term} / commit ${hardState.commit}`);
  }
  checkMemberId(hardState.vote, 'vote');
}

export function checkSnapshot(snapshot: Snapshot): void {
  const { index, term, confState } = snapshot.metadata;
  if (!isU64(index) || !isU64(term)) throw new StorageArgumentError(`snapshot index ${index} / term ${term}`);
  for (const id of confState.voters) checkMemberId(id, 'voter');
  for (const id of confState.learners) checkMemberId(id, 'learner');
  for (const [id, address] of Object.entries(confState.addresses)) {
    checkMemberId(id, 'address book');
    checkMemberId(address, `address of ${id}`);
  }
}

function checkMemberId(id: string, what: string): void {
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES)
    throw new StorageArgumentError(`${what} longer than ${MAX_ID_BYTES} bytes`);
}

/**
 * RaftStorage in memory. Copies what it is given and hands out copies, so callers can neither
 * change what was "persisted" nor see later changes in what they loaded — as with files.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = { ...emptyHardState };
  private snapshot: Snapshot | null = null;
  /** Entries after the snapshot index, contiguous. */
  private entries: Entry[] = [];
  private closed = false;

  async load(): Promise<PersistedState> {
    this.assertOpen();
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot && copySnapshot(this.snapshot),
      entries: this.entries.map((entry) => ({ ...entry })),
    };
  }

  async save(hardState: HardState | null, entries: Entry[]): Promise<void> {
    this.assertOpen();
    if (hardState) checkHardState(hardState);
    const snapshotIndex = this.snapshotIndex();
    const toAppend = entriesToAppend(entries, this.lastIndex(), snapshotIndex);
    const first = toAppend[0];
    if (first !== undefined) {
      // Kept entries start at snapshotIndex + 1, so this many come before `first`.
      this.entries.length = Math.min(this.entries.length, first.index - snapshotIndex - 1);
      for (const entry of toAppend) this.entries.push({ ...entry, data: new Uint8Array(entry.data) });
    }
    if (hardState) this.hardState = { ...hardState };
  }

  async saveSnapshot(snapshot: Snapshot, options: SaveSnapshotOptions = {}): Promise<void> {
    this.assertOpen();
    checkSnapshot(snapshot);
    const { index } = snapshot.metadata;
    const current = this.snapshotIndex();
    if (index <= current) throw new SnapshotOutOfDateError(current, index);
    this.snapshot = copySnapshot(snapshot);
    this.entries = options.discardLog ? [] : this.entries.slice(Math.max(0, index - current));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private snapshotIndex(): number {
    return this.snapshot?.metadata.index ?? 0;
  }

  private lastIndex(): number {
    return this.entries.at(-1)?.index ?? this.snapshotIndex();
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }
}

function copySnapshot(snapshot: Snapshot): Snapshot {
  const { index, term, confState } = snapshot.metadata;
  return {
    metadata: {
      index,
      term,
      confState: {
        voters: [...confState.voters],
        learners: [...confState.learners],
        addresses: { ...confState.addresses },
      },
    },
    data: new Uint8Array(snapshot.data),
  };
}
