// The process executor's public face: tasks as plain local processes (see README.md here).

export { ProcessExecutor } from './process-executor.js';
export type { ProcessExecutorOptions } from './process-executor.js';
export { ProcessExecutorError } from './task-files.js';
export type { ProcessExecutorErrorCode } from './task-files.js';
export { DEFAULT_PATH } from './process-runner.js';
