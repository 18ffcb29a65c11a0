// The client's public face: FlotillaClient, the types it takes and returns, and the typed errors
// it throws (the same classes the managers raise).

export { FlotillaClient } from './flotilla-client.js';
export { formatLogLine } from './service-logs.js';
export { ConvergenceError, convergenceSnapshot, waitForConvergence } from './converge.js';
export type { ConvergenceSnapshot, SlotProgress, WaitOptions as ConvergenceOptions } from './converge.js';
export type {
  FormatOptions,
  ServiceLogLine,
  ServiceLogsOptions,
  ServiceLogStream,
  ServiceLogWarning,
} from './service-logs.js';
export type {
  ClientWatchOptions,
  ConfigInput,
  FlotillaClientOptions,
  Listed,
  ReadOptions,
  RemoveOptions,
  SecretInput,
  WriteResult,
} from './flotilla-client.js';
export type {
  LabelFilter,
  ListFilter,
  ObjectsByKind,
  TaskFilter,
  WatchEvent,
  WatchFilter,
} from './objects.js';
export { ValidationError } from '../api/index.js';
export type * from '../api/objects.js';
export type * from '../api/service-spec.js';
export type { TaskState } from '../api/index.js';
export {
  AlreadyExistsError,
  CompactedError,
  NotFoundError,
  VersionConflictError,
  WatchOverflowError,
} from '../manager/store/index.js';
export type { EventType, Kind } from '../manager/store/index.js';
export { ProposalTooLargeError } from '../raft/index.js';
export {
  ControlError,
  errorFromStatus,
  FailedPreconditionError,
  UnavailableError,
} from '../manager/control/index.js';
export type { UnavailableReason } from '../manager/control/index.js';
