// The control API's public face: the gRPC service every manager registers, and the wire pieces
// (method table, message limits, typed errors) the client shares with it.

export { registerControlService } from './server.js';
export type { ControlService, ControlServiceOptions } from './server.js';
export { changeOf, DEFAULT_READ_TIMEOUT_MS, DEFAULT_WRITE_TIMEOUT_MS } from './context.js';
export type { ApiObjectTypes, ApiOperation, ApiStore, LeaderInfo, Stored } from './context.js';
export { objectJson } from './json.js';
export { FORWARDED_METADATA } from './logs.js';
export type { LogSource, ServiceLogsOptions, SourceLogLine } from './logs.js';
export {
  ControlError,
  errorFromStatus,
  FailedPreconditionError,
  NO_LEADER_MESSAGE,
  RequestTooLargeError,
  toStatus,
  UnavailableError,
} from './errors.js';
export type { UnavailableReason } from './errors.js';
export {
  CONTROL_METHODS,
  CONTROL_SERVICE_NAME,
  controlServerOptions,
  deserializer,
  MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES,
  methodPath,
  serializer,
} from './wire.js';
export type { ListMethod, MethodName, RequestIn, ResponseOut, UnaryMethod } from './wire.js';
