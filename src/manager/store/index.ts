// The cluster store's public face: ReplicatedStore (the Raft state machine managers read and
// write), the transaction format, typed errors and the watch stream.

export { changeOperation, ReplicatedStore } from './store.js';
export type {
  LinearizableRead,
  NewObjectInput,
  ObjectInput,
  PatchInput,
  ReplicatedStoreOptions,
  StoreConsensus,
  StoreOperation,
  TypedStoreEvent,
  UpdateResult,
} from './store.js';
export { MemoryStore } from './memory-store.js';
export type { MemoryStoreOptions } from './memory-store.js';
export { CONTROLLER_OPS_PER_TRANSACTION, decodeTransaction, encodeTransaction } from './transaction.js';
export type { Operation, PatchFields, Transaction, TransactionResult, WireObject } from './transaction.js';
export { decodeStoreSnapshot, encodeStoreSnapshot, SNAPSHOT_FORMAT } from './snapshot.js';
export type { StoreSnapshot } from './snapshot.js';
export { DEFAULT_MAX_EVENTS, EventLog, Watch } from './watch.js';
export type { EventLogOptions, WatchOptions } from './watch.js';
export {
  AlreadyExistsError,
  CompactedError,
  errorFromData,
  InvalidSnapshotError,
  InvalidTransactionError,
  NotFoundError,
  StoreError,
  VersionConflictError,
  WatchOverflowError,
} from './errors.js';
export type { TransactionErrorData } from './errors.js';
export { isKind, KINDS } from './types.js';
export type {
  DeepReadonly,
  DefaultObjectTypes,
  EventType,
  IndexedSpec,
  Kind,
  LabelSelector,
  ListFilter,
  ObjectMeta,
  ObjectShape,
  ObjectTypes,
  ObjectVersion,
  OneOrMany,
  StoredObject,
  StoredTask,
  StoreEvent,
  WatchFilter,
} from './types.js';
