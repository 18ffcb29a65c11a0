// Flotilla's public API. The manager, worker and client APIs grow here; the Raft library is
// also available on its own as 'flotilla/raft'. FlotillaClient is the control API's typed client
// (the CLI and examples use only it).

export * as raft from './raft/index.js';
export { createJsonLogger, silentLogger } from './util/logger.js';
export type { Logger, LogLevel } from './util/logger.js';
export * from './client/index.js';
export { Manager } from './manager/index.js';
// A whole node (manager with its own agent, or worker) in your process, as `flotilla init|join` runs it.
export { runNode } from './daemon/main.js';
export type { DaemonConfig, ExecutorConfig, RunningNode } from './daemon/main.js';
// Compose files to stacks, as `flotilla stack deploy` does.
export * as compose from './compose/index.js';
