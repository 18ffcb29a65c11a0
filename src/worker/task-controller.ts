// One assigned task's driver on a worker: it moves the task from ACCEPTED to a terminal state
// through a TaskRunner and reports every move (SwarmKit's agent/exec controller, `Do`: one step
// per state). `nextStep` decides from a snapshot; TaskController performs the steps one at a time.

import type { ContainerStatus, PortConfig, Task, TaskState, TaskStatus } from '../api/index.js';
import { isTerminal, taskStateRank } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { TaskFailure, type ExitStatus, type RunnerStatus, type TaskRunner } from './executor.js';

// ---- the decision ------------------------------------------------------------------------------

export type Step =
  | { kind: 'report'; state: 'accepted' | 'preparing' | 'starting'; message: string }
  /** The task cannot run here for a reason known before preparing it (a missing secret). */
  | { kind: 'reject' }
  | { kind: 'prepare' }
  | { kind: 'start' }
  | { kind: 'wait' }
  /** Stop the task's process if it may run; report SHUTDOWN only when `report`. */
  | { kind: 'shutdown'; report: boolean }
  | { kind: 'remove' }
  /** Nothing to do until the managers change something. */
  | { kind: 'hold' };

export interface StepInput {
  /** The latest state known: reported here or recorded by the managers. */
  state: TaskState;
  desired: TaskState;
  /** A container or process of the task may be running. */
  mayRun: boolean;
  /** runner.remove() has run. */
  removed: boolean;
  rejection: string | undefined;
}

const rank = taskStateRank;

/** The desired states that mean "stop it": SHUTDOWN and everything after (REMOVE, …). */
export function isHalting(desired: TaskState): boolean {
  return rank(desired) >= rank('shutdown');
}

export function nextStep(s: StepInput): Step {
  if (isTerminal(s.state)) {
    // Terminal tasks keep their container for history (as Swarm) but never keep it running: an
    // unhealthy task, or one the managers ended while this worker was down, is stopped silently.
    if (s.mayRun) return { kind: 'shutdown', report: false };
    if (s.desired === 'remove' && !s.removed) return { kind: 'remove' };
    return { kind: 'hold' };
  }
  if (isHalting(s.desired)) return { kind: 'shutdown', report: true };
  if (s.rejection !== undefined && !s.mayRun && rank(s.state) < rank('starting')) return { kind: 'reject' };
  if (rank(s.state) < rank('accepted')) return { kind: 'report', state: 'accepted', message: 'accepted' };
  switch (s.state) {
    case 'accepted':
      return { kind: 'report', state: 'preparing', message: 'preparing' };
    case 'preparing':
      return { kind: 'prepare' };
    case 'ready':
      // A desired state of READY (a restart delay that has not run out) holds a prepared task.
      return rank(s.desired) <= rank('ready')
        ? { kind: 'hold' }
        : { kind: 'report', state: 'starting', message: 'starting' };
    case 'starting':
      return { kind: 'start' };
    default:
      return { kind: 'wait' };
  }
}

/** Docker's words for a non-zero exit (swarmkit's container adapter, exitError.Error()). */
export function exitError(exit: ExitStatus): string {
  return exit.message
    ? `task: non-zero exit (${exit.exitCode}): ${exit.message}`
    : `task: non-zero exit (${exit.exitCode})`;
}

export const CONTAINER_GONE = "the task's container is gone";
export const CONTAINER_NOT_RUNNING = "the task's container is no longer running";

// ---- the driver --------------------------------------------------------------------------------

export interface TaskControllerOptions {
  /** The task as assigned; its status is the last one the managers recorded. */
  task: Task;
  runner: TaskRunner;
  /** Called with every state move, in order; the agent sends them to the managers. */
  report: (status: TaskStatus) => void;
  clock: Clock;
  logger: Logger;
  /** A reason the task cannot run on this node, known before it starts: it ends REJECTED with it. */
  rejection?: string;
  /**
   * The executor holds nothing of this task (the worker listed what it had when it started, and
   * this task was not there): adoption has nothing to inspect.
   */
  absentFromNode?: boolean;
  /** First delay before retrying a failed shutdown or remove; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

type Settled<T> = { kind: 'ok'; value: T } | { kind: 'error'; error: unknown };
type Attempt<T> = Settled<T> | { kind: 'interrupted'; settled: Promise<void> };
const INTERRUPTED = Symbol('interrupted');

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class TaskController {
  private task: Task;
  private readonly runner: TaskRunner;
  private readonly reportFn: (status: TaskStatus) => void;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly rejection: string | undefined;
  private readonly absentFromNode: boolean;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  private current: TaskStatus;
  private lastReported: TaskStatus | undefined;
  private desired: TaskState;
  private mayRun = false;
  private prepared = false;
  private removedContainer = false;
  private containerStatus: ContainerStatus | undefined;
  /** Host-mode ports as the executor published them (reported as the status's portStatus). */
  private ports: PortConfig[] | undefined;
  /** A start or wait that a shutdown interrupted; it settles once the process is stopped. */
  private inFlight: Promise<void> | undefined;
  private mode: 'driving' | 'removing' | 'stopped' = 'driving';
  /** Resolved once the task must not (keep) run(ning): desired past RUNNING, removal or stop. */
  private readonly halt = deferred();
  /** Resolved by stop(): every runner call in progress is abandoned. */
  private readonly stopped = deferred();
  /** Resolved, and replaced, on every change from outside. */
  private wake = deferred();
  private loop: Promise<void> | undefined;

  constructor(options: TaskControllerOptions) {
    this.task = options.task;
    this.runner = options.runner;
    this.reportFn = options.report;
    this.clock = options.clock;
    this.logger = options.logger.child({ component: 'task-controller', taskId: options.task.id });
    this.rejection = options.rejection;
    this.absentFromNode = options.absentFromNode === true;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.current = options.task.status;
    this.desired = options.task.desiredState;
    if (isHalting(this.desired)) this.halt.resolve();
  }

  get taskId(): string {
    return this.task.id;
  }

  /** The latest status known: the last one reported here, or the managers' if it is later. */
  get status(): TaskStatus {
    return this.current;
  }

  /** The last status this controller reported, if any. */
  get reported(): TaskStatus | undefined {
    return this.lastReported;
  }

  /** Starts driving the task: adoption of what the executor has of it first, then the steps. */
  start(): void {
    if (this.loop || this.mode !== 'driving') return;
    this.loop = this.run();
  }

  /** A new version of the task from the managers: its desired state may have moved on. */
  update(task: Task): void {
    if (task.id !== this.task.id) throw new Error(`task controller of ${this.task.id} given task ${task.id}`);
    if (this.mode !== 'driving') return;
    this.task = task;
    // Desired states only move forward (SwarmKit refuses "time travel"); an older one is stale.
    if (rank(task.desiredState) > rank(this.desired)) this.desired = task.desiredState;
    if (rank(task.status.state) > rank(this.current.state)) this.current = task.status;
    if (isHalting(this.desired)) this.halt.resolve();
    this.notify();
  }

  /**
   * The task left this node's assignments: stop it and remove everything of it, reporting
   * nothing more. Resolves once done (or once stop() abandons it).
   */
  remove(): Promise<void> {
    if (this.mode === 'driving') {
      this.mode = 'removing';
      this.halt.resolve();
      this.notify();
    }
    this.loop ??= this.tearDown();
    return this.loop;
  }

  /** Stops driving (the agent is shutting down): containers stay as they are, to be adopted. */
  async stop(): Promise<void> {
    this.mode = 'stopped';
    this.stopped.resolve();
    this.halt.resolve();
    this.notify();
    await this.loop;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = deferred();
    wake.resolve();
  }

  private async run(): Promise<void> {
    try {
      await this.adopt();
      let retryDelay = this.retryDelayMs;
      while (this.mode === 'driving') {
        const step = nextStep({
          state: this.current.state,
          desired: this.desired,
          mayRun: this.mayRun,
          removed: this.removedContainer,
          rejection: this.rejection,
        });
        if (step.kind === 'hold') {
          await this.wake.promise;
          continue;
        }
        if (await this.perform(step)) {
          retryDelay = this.retryDelayMs;
        } else {
          await this.pause(retryDelay);
          retryDelay = Math.min(retryDelay * 2, this.maxRetryDelayMs);
        }
      }
      if (this.mode === 'removing') await this.tearDown();
    } catch (error) {
      // Runner errors are all caught where they happen; reaching this is a bug in this file.
      this.logger.error('task controller stopped on an unexpected error', { err: error });
    }
  }

  /** What the executor already has of the task (after a worker restart), and what it implies. */
  private async adopt(): Promise<void> {
    const inspected = this.absentFromNode
      ? ({ kind: 'ok', value: null } as const)
      : await this.attempt(() => this.runner.inspect(), this.stopped);
    if (inspected.kind === 'interrupted') return;
    const state = this.current.state;
    if (inspected.kind === 'error') {
      // Without the engine's view, assume the worst that steps can repair: a process that may run.
      this.logger.warn('could not inspect the task; driving it from its recorded state', {
        err: inspected.error,
      });
      this.mayRun = !isTerminal(state) && rank(state) >= rank('starting');
      return;
    }
    const found: RunnerStatus | null = inspected.value;
    if (found === null) {
      if (!isTerminal(state) && rank(state) > rank('ready')) this.reportFailure('failed', CONTAINER_GONE);
      return;
    }
    this.prepared = true;
    this.noteContainer(found);
    switch (found.state) {
      case 'running':
        this.mayRun = true;
        if (!isTerminal(state) && rank(state) < rank('running')) this.reportState('running', 'started');
        return;
      case 'created':
        if (!isTerminal(state) && rank(state) >= rank('running'))
          this.reportFailure('failed', CONTAINER_NOT_RUNNING);
        return;
      case 'exited':
        // It ended while no worker watched; a terminal state recorded before stays the truth.
        if (!isTerminal(state)) this.reportExit({ exitCode: found.exitCode, message: '' });
        return;
    }
  }

  /** Performs one step; false when it failed in a way worth retrying after a pause. */
  private async perform(step: Exclude<Step, { kind: 'hold' }>): Promise<boolean> {
    switch (step.kind) {
      case 'report':
        this.reportState(step.state, step.message);
        return true;
      case 'reject':
        this.reportFailure('rejected', this.rejection ?? 'rejected');
        return true;
      case 'prepare':
        return this.prepare();
      case 'start':
        return this.startTask();
      case 'wait':
        return this.waitTask();
      case 'shutdown':
        return this.shutdown(step.report);
      case 'remove': {
        const removed = await this.attempt(() => this.runner.remove(), this.stopped);
        if (removed.kind === 'interrupted') return true;
        if (removed.kind === 'error') {
          this.logger.warn('removing the task failed; will retry', { err: removed.error });
          return false;
        }
        this.removedContainer = true;
        return true;
      }
    }
  }

  private async prepare(): Promise<boolean> {
    // Not interrupted by a shutdown: the runner has no way to cancel a prepare, and calls on one
    // task stay sequential, so a shutdown waits for it (and then does not start the task).
    const prepared = await this.attempt(() => this.runner.prepare(), this.stopped);
    if (prepared.kind === 'interrupted') return true;
    if (prepared.kind === 'error') {
      this.reportError(prepared.error);
      return true;
    }
    this.prepared = true;
    // The runner says what it created; otherwise (an adopted container) ask it.
    if (prepared.value) this.noteContainer(prepared.value);
    else await this.refreshContainer();
    this.reportState('ready', 'prepared');
    return true;
  }

  private async startTask(): Promise<boolean> {
    if (!this.prepared) {
      // Recorded READY or STARTING but nothing prepared on this node (its container vanished
      // while the worker was down): prepare again without reporting a state backwards.
      const prepared = await this.attempt(() => this.runner.prepare(), this.stopped);
      if (prepared.kind === 'interrupted') return true;
      if (prepared.kind === 'error') {
        this.reportError(prepared.error);
        return true;
      }
      this.prepared = true;
    }
    if (this.mode !== 'driving' || isHalting(this.desired)) return true;
    // From here on a process may run even if start fails (it may turn unhealthy before healthy).
    this.mayRun = true;
    const started = await this.attempt(() => this.runner.start(), this.halt);
    if (started.kind === 'interrupted') {
      this.inFlight = started.settled;
      return true;
    }
    if (started.kind === 'error') {
      this.reportError(started.error);
      return true;
    }
    await this.refreshContainer();
    this.reportState('running', 'started');
    return true;
  }

  private async waitTask(): Promise<boolean> {
    if (this.mode !== 'driving' || isHalting(this.desired)) return true;
    const waited = await this.attempt(() => this.runner.wait(), this.halt);
    if (waited.kind === 'interrupted') {
      this.inFlight = waited.settled;
      return true;
    }
    if (waited.kind === 'error') {
      // An unhealthy task: FAILED now; mayRun stays set, so the next step stops its container.
      if (waited.error instanceof TaskFailure && waited.error.exitCode !== undefined)
        this.noteExitCode(waited.error.exitCode);
      this.reportFailure('failed', errorMessage(waited.error));
      return true;
    }
    this.mayRun = false;
    this.reportExit(waited.value);
    return true;
  }

  private async shutdown(report: boolean): Promise<boolean> {
    if (this.mayRun) {
      const stopped = await this.attempt(() => this.runner.shutdown(), this.stopped);
      if (stopped.kind === 'interrupted') return true;
      if (stopped.kind === 'error') {
        // Not reported as FAILED: the process may still run, so the honest state is the current
        // one until a shutdown succeeds.
        this.logger.warn('shutting the task down failed; will retry', { err: stopped.error });
        return false;
      }
      if (!(await this.settleInFlight())) return true;
      this.mayRun = false;
      // A task being removed is deleted from the store once it reports: nobody would read its
      // final container status, and the inspect queues behind every other stop on a busy engine.
      if (this.desired !== 'remove') await this.refreshContainer();
    }
    if (report) this.reportState('shutdown', 'shutdown');
    return true;
  }

  /** Removal from the assignments: stop, remove, report nothing. Best effort, logged. */
  private async tearDown(): Promise<void> {
    if (this.mayRun || this.inFlight) {
      const stopped = await this.attempt(() => this.runner.shutdown(), this.stopped);
      if (stopped.kind === 'interrupted') return;
      // runner.remove() kills what still runs, so a failed graceful stop is not fatal here.
      if (stopped.kind === 'error')
        this.logger.warn('shutting a removed task down failed', { err: stopped.error });
      else if (!(await this.settleInFlight())) return;
    }
    // Removed already (desired REMOVE), before the task left the assignments.
    if (this.removedContainer) return;
    const removed = await this.attempt(() => this.runner.remove(), this.stopped);
    if (removed.kind === 'error')
      // What is left is an orphan now: the next worker start finds and removes it.
      this.logger.error('removing a task that left the assignments failed', { err: removed.error });
  }

  /** Waits for an interrupted start/wait to end; false when stop() came first. */
  private async settleInFlight(): Promise<boolean> {
    if (!this.inFlight) return true;
    const first = await Promise.race([
      this.inFlight,
      this.stopped.promise.then((): typeof INTERRUPTED => INTERRUPTED),
    ]);
    if (first === INTERRUPTED) return false;
    this.inFlight = undefined;
    return true;
  }

  /** Waits `ms` on the clock, or less when something changes or stop() is called. */
  private async pause(ms: number): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = this.clock.setTimer(ms, resolve)));
    try {
      await Promise.race([elapsed, this.wake.promise, this.stopped.promise]);
    } finally {
      timer?.cancel();
    }
  }

  /** Runs one runner call, abandoning the wait for it when `until` resolves first. */
  private async attempt<T>(op: () => Promise<T>, until: Deferred): Promise<Attempt<T>> {
    let settled: Promise<Settled<T>>;
    try {
      settled = op().then(
        (value): Settled<T> => ({ kind: 'ok', value }),
        (error: unknown): Settled<T> => ({ kind: 'error', error }),
      );
    } catch (error) {
      settled = Promise.resolve({ kind: 'error', error });
    }
    const first = await Promise.race([settled, until.promise.then((): typeof INTERRUPTED => INTERRUPTED)]);
    if (first === INTERRUPTED) return { kind: 'interrupted', settled: settled.then(() => undefined) };
    return first;
  }

  private async refreshContainer(): Promise<void> {
    const inspected = await this.attempt(() => this.runner.inspect(), this.stopped);
    if (inspected.kind === 'ok' && inspected.value) this.noteContainer(inspected.value);
    else if (inspected.kind === 'error')
      this.logger.debug('inspecting the task failed; its container status stays as it was', {
        err: inspected.error,
      });
  }

  private noteContainer(found: RunnerStatus): void {
    this.containerStatus = { containerId: found.containerId, pid: found.pid, exitCode: found.exitCode };
    if (found.ports !== undefined) this.ports = found.ports;
  }

  private noteExitCode(exitCode: number): void {
    if (this.containerStatus) this.containerStatus = { ...this.containerStatus, pid: 0, exitCode };
  }

  private reportExit(exit: ExitStatus): void {
    this.noteExitCode(exit.exitCode);
    if (exit.exitCode === 0) this.reportState('complete', 'finished');
    else this.reportFailure('failed', exitError(exit));
  }

  /** A failed runner call: REJECTED when the task can never run here, FAILED otherwise. */
  private reportError(error: unknown): void {
    if (error instanceof TaskFailure) {
      if (error.exitCode !== undefined) this.noteExitCode(error.exitCode);
      this.reportFailure(error.rejected ? 'rejected' : 'failed', error.message);
    } else {
      // The engine itself failed (unreachable, …): FAILED, and the managers reschedule.
      this.reportFailure('failed', errorMessage(error));
    }
  }

  private reportFailure(state: 'failed' | 'rejected', err: string): void {
    // SwarmKit keeps the message of the step that failed ("started", "preparing") and puts the
    // cause in err, which is what `docker service ps` shows in its ERROR column.
    this.reportState(state, this.current.message, err);
  }

  private reportState(state: TaskState, message: string, err?: string): void {
    if (this.mode !== 'driving') return;
    // States only move forward, and a state is reported once.
    if (rank(state) <= rank(this.current.state)) {
      this.logger.debug('not reporting a state that does not move the task forward', {
        state,
        current: this.current.state,
      });
      return;
    }
    const status: TaskStatus = {
      state,
      timestamp: new Date(this.clock.now()).toISOString(),
      message,
      ...(err === undefined ? {} : { err }),
      ...(this.containerStatus ? { containerStatus: { ...this.containerStatus } } : {}),
      ...(this.ports ? { portStatus: { ports: this.ports.map((p) => ({ ...p })) } } : {}),
    };
    this.current = status;
    this.lastReported = status;
    this.logger.debug('task state', { state, message, err });
    try {
      this.reportFn(status);
    } catch (error) {
      // The agent's callback failing must not stop the task's driver; the status stays
      // readable through `status` for whoever resends it.
      this.logger.error('reporting a task status failed', { err: error, state });
    }
  }
}
