// The seam between a worker's task controllers and what actually runs a task: an Executor
// describes the node and makes one TaskRunner per task; a TaskRunner drives that task's
// container (docker/) or process (process/) through its life. Task controllers (task-controller.ts)
// own the task states and call runners only through this interface, so the same controller runs
// containers, plain processes and, in tests, fakes.
//
// The shape follows SwarmKit's exec.Controller (prepare, start, wait, shutdown, terminate,
// remove), with inspection for adoption after a restart and logs for `service logs`.

import type { NodeDescription, PortConfig, Task } from '../api/index.js';

/** What a task runs with besides its own object: everything a template may name. */
export interface TaskContext {
  task: Task;
  /** The service's name and labels as they were when the task was assigned. */
  service: { id: string; name: string; labels: Record<string, string> };
  node: { id: string; hostname: string; platform: { os: string; architecture: string } };
  /** The secrets and configs the task's spec references, by id (only those). */
  secrets: ReadonlyMap<string, { name: string; data: Uint8Array }>;
  configs: ReadonlyMap<string, { name: string; data: Uint8Array }>;
}

/** How a task's container or process ended. */
export interface ExitStatus {
  exitCode: number;
  /** The engine's own words when it has them (`OOMKilled`, the error of a failed start, …). */
  message: string;
}

export type HealthState = 'none' | 'starting' | 'healthy' | 'unhealthy';

/** What the executor sees of a task now (adoption, status messages). */
export interface RunnerStatus {
  /** created: prepared, not started; running; exited: stopped or finished. */
  state: 'created' | 'running' | 'exited';
  containerId: string;
  /** 0 when not running. */
  pid: number;
  /** Meaningful when exited. */
  exitCode: number;
  health: HealthState;
  /** Host-mode ports as published (the engine's pick filled in), when the task has any. */
  ports?: PortConfig[];
}

/** A task the executor found already present on this node (a container labelled with a task id). */
export interface FoundTask {
  taskId: string;
  serviceId: string;
  status: RunnerStatus;
}

export interface LogOptions {
  follow: boolean;
  /** Only the last `tail` lines (all when absent). */
  tail?: number;
  /** Only lines at or after this time (ms since the epoch). */
  sinceMs?: number;
  signal?: AbortSignal;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** ms since the epoch, as the engine stamped it. */
  timeMs: number;
  /** One line, without its newline. */
  line: string;
}

/**
 * A failure of the task itself, as opposed to the node or engine: `rejected` means the task can
 * never run as specified here (image missing and not pullable, invalid mount, a bad template,
 * …) and ends REJECTED; otherwise it ends FAILED. The message is the engine's, unedited.
 */
export class TaskFailure extends Error {
  override readonly name = 'TaskFailure';
  constructor(
    message: string,
    readonly rejected: boolean,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

export interface TaskRunner {
  /**
   * Makes the task ready to start: image present (pulled per the spec's pullPolicy), secrets
   * and configs written, container created. Idempotent: a task already prepared (an adopted
   * container) is left as it is. Throws TaskFailure (rejected) when the task cannot run.
   * Resolves with the task's status when the runner knows it (it just created the container),
   * which spares the controller an inspect.
   */
  prepare(): Promise<RunnerStatus | void>;
  /**
   * Starts the prepared task and resolves once it runs; with a healthcheck, once it is healthy.
   * Starting a running task is a no-op. Throws TaskFailure when it exits, cannot start or turns
   * unhealthy first.
   */
  start(): Promise<void>;
  /**
   * Resolves when the task ends by itself, with how it ended (exit code 0 or not: the
   * controller decides COMPLETE or FAILED). Throws TaskFailure when a healthcheck declares the
   * running task unhealthy (the container is left for shutdown to stop).
   */
  wait(): Promise<ExitStatus>;
  /** Stops the task gracefully: its stop signal, then a kill after its stop grace period. */
  shutdown(): Promise<void>;
  /** Kills it at once. */
  terminate(): Promise<void>;
  /** Removes the container and everything prepare made (secret files included). Idempotent. */
  remove(): Promise<void>;
  /** What the engine shows of the task now, or null when nothing of it exists. */
  inspect(): Promise<RunnerStatus | null>;
  /** The task's output, merged stdout and stderr, in order. */
  logs(options: LogOptions): AsyncIterable<LogLine>;
}

export interface Executor {
  /** This node as the managers should see it: hostname, platform, resources, engine. */
  describe(): Promise<NodeDescription>;
  /** A runner for one task; cheap (no engine call until a method runs). */
  runner(context: TaskContext): TaskRunner;
  /**
   * Every task of node `nodeId` this executor finds, running or not (adoption after a restart).
   * Only that node's: an engine may be shared (nodes on one machine, an earlier identity), and
   * another node's containers are never this node's orphans.
   */
  list(nodeId: string): Promise<FoundTask[]>;
  /**
   * Stops and removes everything of a task known only by its id: a container found on the node
   * whose task is no longer assigned here (an orphan). Idempotent.
   */
  removeTask(taskId: string): Promise<void>;
  /**
   * Where this node reaches a task's `targetPort` (the routing mesh's path to a local task): the
   * container's address on the engine's network, or the host for a plain process. null: not
   * known (no such task here, or it has no address yet).
   */
  taskAddress?(taskId: string, targetPort: number): Promise<TaskAddress | null>;
  /**
   * Releases what the executor holds (event streams, timers); tasks keep running for the next
   * agent to adopt.
   */
  close?(): Promise<void>;
}

export interface TaskAddress {
  host: string;
  port: number;
}

/** One task as the dispatcher assigns it, with what its templates need of its service. */
export interface AssignedTask {
  task: Task;
  service: TaskContext['service'];
}
