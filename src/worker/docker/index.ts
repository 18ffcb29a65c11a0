// The Docker executor's public face: the Executor that runs tasks as containers on the local
// Docker Engine, and the labels its containers carry.

export { DockerExecutor, defaultSocketPath, goArchitecture } from './docker-executor.js';
export type { DockerExecutorOptions } from './docker-executor.js';
export { TASK_LABELS, containerCreateBody, containerName } from './container-config.js';
export type { ContainerCreateBody } from './container-config.js';
export { ExecutorClosedError } from './engine-errors.js';
export type { RunCommand } from './secret-files.js';
