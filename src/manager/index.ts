// The manager node's public face: Manager (init, join, start, leave, stop) and its options.

export { DataDirError, Manager } from './manager.js';
export type { InitOptions, JoinOptions, ManagerTuning, StartOptions } from './manager.js';
export { IdentityError, readIdentity } from './node-identity.js';
export type { NodeIdentity } from './node-identity.js';
