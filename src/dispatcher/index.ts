// The dispatcher's public face: the leader's Dispatcher, the gRPC service every manager registers
// for it, and the log broker behind `service logs`.

export { DEFAULT_GRACE_MULTIPLIER, Dispatcher, NodeSession, SessionInvalidError } from './dispatcher.js';
export type { DispatcherOptions, ManagerAddress } from './dispatcher.js';
export { isAssignedTo } from './assignments.js';
export { LogBroker } from './logs.js';
export type { BrokerLogLine, LogReader, LogRequest } from './logs.js';
export { dispatcherPackage, peerHost, registerDispatcherService } from './service.js';
export type { DispatcherServiceOptions } from './service.js';
export { DEFAULT_STATUS_BATCH_MS } from './status-writer.js';
