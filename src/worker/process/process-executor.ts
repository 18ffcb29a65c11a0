// The process executor: runs each task's containerSpec.command as a plain local process (Nomad's
// raw_exec analogue) for hosts without Docker and the demo's embedded mode. See README.md in this
// folder for what it does and does not do compared with containers.

import { readdir } from 'node:fs/promises';
import { arch, cpus, hostname, platform, totalmem } from 'node:os';
import type { NodeDescription } from '../../api/index.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Executor, FoundTask, TaskAddress, TaskContext, TaskRunner } from '../executor.js';
import { ProcessRunner, type RunnerDeps } from './process-runner.js';
import { ProcessExecutorError, taskPaths, tasksDir } from './task-files.js';
import { observe, stopProcess, removeTaskDir } from './task-process.js';
import { readUserFiles } from './users.js';
import { installWrapper } from './wrapper.js';

export interface ProcessExecutorOptions {
  /** Holds tasks/<taskId>/ (record, logs, secrets, work directory) and the wrapper script. */
  dataDir: string;
  clock: Clock;
  logger: Logger;
  /** The hostname reported to the managers; the machine's by default. */
  hostname?: string;
  /** Engine labels reported to the managers (placement constraints on engine.labels). */
  engineLabels?: Record<string, string>;
  /** How often a running task's liveness is checked, and a followed log polled. Default 250 ms. */
  pollIntervalMs?: number;
  /** How long the wrapper may take to report that the task's process started. Default 10 s. */
  startTimeoutMs?: number;
  /** The node binary that runs the wrapper; this process's own by default. */
  nodePath?: string;
}

/** Go's names for Node's platform and arch values, as Docker reports them. */
const GO_OS: Record<string, string> = { win32: 'windows', sunos: 'solaris' };
const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
};

export class ProcessExecutor implements Executor {
  private readonly options: ProcessExecutorOptions;
  private readonly deps: RunnerDeps;
  private readonly runners = new Set<ProcessRunner>();
  private wrapper: Promise<string> | undefined;

  constructor(options: ProcessExecutorOptions) {
    this.options = options;
    const logger = options.logger.child({ component: 'process-executor' });
    this.deps = {
      dataDir: options.dataDir,
      clock: options.clock,
      logger,
      pollIntervalMs: options.pollIntervalMs ?? 250,
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      nodePath: options.nodePath ?? process.execPath,
      wrapperPath: () => (this.wrapper ??= installWrapper(options.dataDir)),
      userFiles: readUserFiles,
      uid: process.getuid?.() ?? -1,
      gid: process.getgid?.() ?? -1,
      release: (runner) => this.runners.delete(runner),
    };
  }

  async describe(): Promise<NodeDescription> {
    return {
      hostname: this.options.hostname ?? hostname(),
      platform: { os: GO_OS[platform()] ?? platform(), architecture: GO_ARCH[arch()] ?? arch() },
      resources: { nanoCpus: cpus().length * 1e9, memoryBytes: totalmem() },
      engine: { engineVersion: 'process', labels: { ...this.options.engineLabels }, plugins: [] },
    };
  }

  runner(context: TaskContext): TaskRunner {
    const runner = new ProcessRunner(context, this.deps);
    this.runners.add(runner);
    return runner;
  }

  /** The node's tasks: every one under this executor's data directory, which is the node's own. */
  async list(_nodeId: string): Promise<FoundTask[]> {
    let ids: string[];
    try {
      ids = await readdir(tasksDir(this.options.dataDir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: FoundTask[] = [];
    for (const id of ids) {
      try {
        const observed = await observe(taskPaths(this.options.dataDir, id));
        if (observed)
          found.push({ taskId: id, serviceId: observed.record.serviceId, status: observed.status });
      } catch (error) {
        // A directory without a usable record is not a task this executor can manage; leave it.
        this.deps.logger.warn('skipping an unreadable task directory', { taskId: id, err: error });
      }
    }
    return found;
  }

  /** A process shares the host's network: its ports are the host's, on loopback. */
  async taskAddress(_taskId: string, targetPort: number): Promise<TaskAddress | null> {
    return { host: '127.0.0.1', port: targetPort };
  }

  async removeTask(taskId: string): Promise<void> {
    const paths = taskPaths(this.options.dataDir, taskId);
    let observed;
    try {
      observed = await observe(paths);
    } catch (error) {
      if (!(error instanceof ProcessExecutorError)) throw error;
      // A corrupt record: nothing can be stopped by it, the files can still go.
      this.deps.logger.warn('removing a task whose record is unreadable', { taskId, err: error });
    }
    if (observed?.status.state === 'running')
      await stopProcess(
        paths,
        observed.record.stopSignal as NodeJS.Signals,
        observed.record.stopGraceMs,
        this.deps,
      );
    await removeTaskDir(paths, this.deps);
  }

  /**
   * Stops watching every task (the worker is shutting down): processes keep running, to be
   * adopted by the next executor on this data directory; calls waiting on them reject.
   */
  async close(): Promise<void> {
    const runners = [...this.runners];
    this.runners.clear();
    await Promise.all(runners.map((r) => r.close()));
  }
}
