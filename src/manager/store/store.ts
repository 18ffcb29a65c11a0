// ReplicatedStore: the cluster store as the Raft state machine. Writes are transactions proposed
// through the RaftNode (forwarded to the leader from a follower) and applied on every manager by
// MemoryStore; reads are local, or linearizable behind a Raft ReadIndex barrier. The typed layer
// (ObjectTypes) lets src/api plug its object types in without the store depending on it.

import type { Applied, ProposeOptions, StateMachine } from '../../raft/index.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { errorFromData, InvalidTransactionError } from './errors.js';
import { newId } from '../../api/index.js';
import { MemoryStore } from './memory-store.js';
import {
  decodeTransaction,
  encodeTransaction,
  type Operation,
  type TransactionResult,
  type WireObject,
} from './transaction.js';
import type {
  DeepReadonly,
  DefaultObjectTypes,
  EventType,
  Kind,
  ListFilter,
  ObjectMeta,
  ObjectTypes,
  WatchFilter,
} from './types.js';
import type { Watch, WatchOptions } from './watch.js';

/** What the store needs from Raft: RaftNode<TransactionResult> provides it. */
export interface StoreConsensus {
  propose(data: Uint8Array, options?: ProposeOptions): Promise<Applied<TransactionResult>>;
  readIndex(options?: { timeoutMs?: number }): Promise<number>;
}

type WithoutKeys<O, Keys> = { [P in keyof O as P extends Keys ? never : P]: O[P] };

/** An object to write: its stored form without meta (a meta it carries is ignored). */
export type ObjectInput<O> = DeepReadonly<WithoutKeys<O, 'meta'>> & { readonly meta?: unknown };
/** An object to create: as ObjectInput, and the id is generated when missing. */
export type NewObjectInput<O> = DeepReadonly<WithoutKeys<O, 'meta' | 'id'>> & {
  readonly id?: string;
  readonly meta?: unknown;
};

export type StoreOperation<T extends ObjectTypes = DefaultObjectTypes> = {
  [K in Kind]:
    | { op: 'create'; kind: K; object: NewObjectInput<T[K]> }
    /** Replaces the whole object; refused with VersionConflictError unless expectedVersion is current. */
    | { op: 'update'; kind: K; object: ObjectInput<T[K]>; expectedVersion?: number }
    /** Replaces the given top-level fields and keeps the others (see changeOperation). */
    | { op: 'patch'; kind: K; id: string; fields: PatchInput<T[K]>; expectedVersion?: number }
    | { op: 'delete'; kind: K; id: string; expectedVersion?: number };
}[Kind];

/** The fields a patch sets: top-level fields of the object but id and meta. */
export type PatchInput<O> = Partial<DeepReadonly<WithoutKeys<O, 'meta' | 'id'>>>;

/**
 * The write that turns `current`, an object as read from the store, into `updated`, conditional on
 * the version read. It is a patch of the top-level fields whose value is not the very one
 * `current` holds: writers build `updated` by spreading `current`, so only what they changed goes
 * into the log (a task's status rather than the whole task, a tenth of the bytes to encode,
 * replicate and decode on every manager). A field `updated` drops cannot be patched away: then
 * it is a whole update.
 */
export function changeOperation<T extends ObjectTypes, K extends Kind>(
  kind: K,
  current: DeepReadonly<T[K]>,
  updated: ObjectInput<T[K]>,
): StoreOperation<T> {
  const before = current as unknown as Readonly<Record<string, unknown>> & { id: string; meta: ObjectMeta };
  const after = updated as Readonly<Record<string, unknown>>;
  const expectedVersion = before.meta.version.index;
  const fields: Record<string, unknown> = {};
  // for-in rather than Object.entries: this runs for every task a controller moves, and builds
  // no arrays (the objects are plain, so no inherited field is enumerated).
  for (const field in before)
    if (after[field] === undefined && before[field] !== undefined && field !== 'meta')
      return { op: 'update', kind, object: updated, expectedVersion };
  for (const field in after) {
    const value = after[field];
    if (value !== before[field] && field !== 'meta' && field !== 'id') fields[field] = value;
  }
  return { op: 'patch', kind, id: before.id, fields, expectedVersion } as StoreOperation<T>;
}

export type TypedStoreEvent<T extends ObjectTypes = DefaultObjectTypes> = {
  [K in Kind]: {
    version: number;
    kind: K;
    type: EventType;
    object: DeepReadonly<T[K]>;
    previous?: DeepReadonly<T[K]>;
  };
}[Kind];

export interface UpdateResult<T extends ObjectTypes = DefaultObjectTypes> {
  /** The Raft index the transaction committed at: the new meta.version.index of what it wrote. */
  version: number;
  /** One object per operation, in order: as written, or as it was before a delete. */
  objects: Array<DeepReadonly<T[Kind]>>;
}

/** Read from the state confirmed current by the leader (Raft ReadIndex) instead of locally. */
export interface LinearizableRead {
  linearizable: true;
  timeoutMs?: number;
}

export interface ReplicatedStoreOptions {
  /** Recent changes kept for watches; see EventLog. */
  maxEvents?: number;
  /** The proposer's clock: stamps transactions (createdAt / updatedAt). */
  now?: () => Date;
  randomBytes?: (size: number) => Uint8Array;
  logger?: Logger;
}

export class ReplicatedStore<
  T extends ObjectTypes = DefaultObjectTypes,
> implements StateMachine<TransactionResult> {
  private readonly memory: MemoryStore;
  private readonly now: () => Date;
  private readonly randomBytes: ((size: number) => Uint8Array) | undefined;
  private readonly log: Logger;
  private consensus: StoreConsensus | null = null;

  constructor(options: ReplicatedStoreOptions = {}) {
    this.memory = new MemoryStore({ maxEvents: options.maxEvents });
    this.now = options.now ?? (() => new Date());
    this.randomBytes = options.randomBytes;
    this.log = (options.logger ?? silentLogger).child({ component: 'store' });
  }

  /**
   * Connects the store to the RaftNode that applies to it. Two steps because each needs the
   * other: `const store = new ReplicatedStore(); const node = new RaftNode({ stateMachine: store,
   * … }); store.attach(node);`
   */
  attach(consensus: StoreConsensus): void {
    if (this.consensus && this.consensus !== consensus) throw new Error('store: already attached to a node');
    this.consensus = consensus;
  }

  // ---- StateMachine (called by RaftNode in log order) ---------------------------------------

  apply(entry: { index: number; term: number; data: Uint8Array }): TransactionResult {
    let tx;
    try {
      tx = decodeTransaction(entry.data);
    } catch (err) {
      if (!(err instanceof InvalidTransactionError)) throw err;
      // The same bytes are refused the same way on every manager, so this stays deterministic.
      this.log.warn('refused a malformed log entry', { index: entry.index, reason: err.message });
      return { ok: false, error: { code: err.code, reason: err.reason, opIndex: err.opIndex } };
    }
    return this.memory.applyTransaction(tx, entry.index);
  }

  snapshot(): Uint8Array {
    return this.memory.snapshot();
  }

  restore(data: Uint8Array): void {
    this.memory.restore(data);
    this.log.info('restored from a snapshot', { version: this.memory.version });
  }

  // ---- Writes -------------------------------------------------------------------------------

  /**
   * Proposes the operations as one transaction and resolves once it is applied on this manager.
   * Rejects with NotFoundError, AlreadyExistsError, VersionConflictError or
   * InvalidTransactionError (nothing was written), or with the Raft module's errors
   * (TimeoutError: the outcome is unknown).
   */
  async update(
    ops: ReadonlyArray<StoreOperation<T>>,
    options: { timeoutMs?: number } = {},
  ): Promise<UpdateResult<T>> {
    const consensus = this.requireConsensus();
    if (ops.length === 0) return { version: this.memory.version, objects: [] };
    const data = encodeTransaction({ at: this.now().toISOString(), ops: ops.map((op) => this.toWire(op)) });
    const { index, result } = await consensus.propose(data, { forward: true, timeoutMs: options.timeoutMs });
    if (!result.ok) throw errorFromData(result.error);
    return { version: index, objects: result.objects as unknown as UpdateResult<T>['objects'] };
  }

  /** A fresh object id (25 characters, base36), as creates without an id get. */
  newId(): string {
    return newId(this.randomBytes);
  }

  private toWire(op: StoreOperation<T>): Operation {
    if (op.op === 'delete') {
      const { kind, id, expectedVersion } = op;
      return expectedVersion === undefined
        ? { op: 'delete', kind, id }
        : { op: 'delete', kind, id, expectedVersion };
    }
    if (op.op === 'patch') {
      const { kind, id, expectedVersion } = op;
      const fields = op.fields as Record<string, unknown>;
      return expectedVersion === undefined
        ? { op: 'patch', kind, id, fields }
        : { op: 'patch', kind, id, fields, expectedVersion };
    }
    // meta belongs to the store: the applier writes it, so it does not travel.
    const { meta: _meta, ...fields } = op.object as Record<string, unknown>;
    if (op.op === 'create') {
      // A given id is kept as it is (encodeTransaction refuses a malformed one).
      const id = fields.id === undefined ? this.newId() : (fields.id as string);
      return { op: 'create', kind: op.kind, object: { ...fields, id } };
    }
    const object = fields as WireObject;
    return op.expectedVersion === undefined
      ? { op: 'update', kind: op.kind, object }
      : { op: 'update', kind: op.kind, object, expectedVersion: op.expectedVersion };
  }

  // ---- Reads --------------------------------------------------------------------------------

  /** The Raft index of the last transaction applied here. */
  get version(): number {
    return this.memory.version;
  }

  /** Resolves once this manager has applied everything committed when it was called. */
  async readBarrier(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.requireConsensus().readIndex(options);
  }

  get<K extends Kind>(kind: K, id: string): DeepReadonly<T[K]> | undefined;
  get<K extends Kind>(
    kind: K,
    id: string,
    options: LinearizableRead,
  ): Promise<DeepReadonly<T[K]> | undefined>;
  get<K extends Kind>(
    kind: K,
    id: string,
    options?: LinearizableRead,
  ): DeepReadonly<T[K]> | undefined | Promise<DeepReadonly<T[K]> | undefined> {
    const read = (): DeepReadonly<T[K]> | undefined =>
      this.memory.get(kind, id) as DeepReadonly<T[K]> | undefined;
    return options?.linearizable ? this.readBarrier(options).then(read) : read();
  }

  getByName<K extends Kind>(kind: K, name: string): DeepReadonly<T[K]> | undefined;
  getByName<K extends Kind>(
    kind: K,
    name: string,
    options: LinearizableRead,
  ): Promise<DeepReadonly<T[K]> | undefined>;
  getByName<K extends Kind>(
    kind: K,
    name: string,
    options?: LinearizableRead,
  ): DeepReadonly<T[K]> | undefined | Promise<DeepReadonly<T[K]> | undefined> {
    const read = (): DeepReadonly<T[K]> | undefined =>
      this.memory.getByName(kind, name) as DeepReadonly<T[K]> | undefined;
    return options?.linearizable ? this.readBarrier(options).then(read) : read();
  }

  /** The matching objects in id order; `store.version` right after is the version they reflect. */
  list<K extends Kind>(kind: K, filter?: ListFilter): Array<DeepReadonly<T[K]>>;
  list<K extends Kind>(
    kind: K,
    filter: ListFilter,
    options: LinearizableRead,
  ): Promise<Array<DeepReadonly<T[K]>>>;
  list<K extends Kind>(
    kind: K,
    filter: ListFilter = {},
    options?: LinearizableRead,
  ): Array<DeepReadonly<T[K]>> | Promise<Array<DeepReadonly<T[K]>>> {
    const read = (): Array<DeepReadonly<T[K]>> =>
      this.memory.list(kind, filter) as unknown as Array<DeepReadonly<T[K]>>;
    return options?.linearizable ? this.readBarrier(options).then(read) : read();
  }

  count(kind: Kind): number {
    return this.memory.count(kind);
  }

  /**
   * Changes in commit order, replayed from `fromVersion` if given (typically the version a list
   * reflected). Throws CompactedError if that is older than `oldestWatchableVersion`.
   */
  watch(filter: WatchFilter = {}, options: WatchOptions = {}): Watch<TypedStoreEvent<T>> {
    return this.memory.watch(filter, options) as unknown as Watch<TypedStoreEvent<T>>;
  }

  get oldestWatchableVersion(): number {
    return this.memory.oldestWatchableVersion;
  }

  private requireConsensus(): StoreConsensus {
    if (!this.consensus) throw new Error('store: not attached to a Raft node (call attach(node))');
    return this.consensus;
  }
}
