// A scripted Executor for deterministic worker tests: each task's outcome (prepare rejects, exits
// with a code after a delay on the injected clock, turns unhealthy, …) is set up front, every
// runner call is recorded, and calls can be held open until the test releases them.

import type { NodeDescription } from '../../src/api/index.js';
import type { Clock } from '../../src/util/clock.js';
import {
  TaskFailure,
  type ExitStatus,
  type Executor,
  type FoundTask,
  type LogLine,
  type RunnerStatus,
  type TaskContext,
  type TaskRunner,
} from '../../src/worker/executor.js';

export type RunnerOp = 'prepare' | 'start' | 'wait' | 'shutdown' | 'terminate' | 'remove' | 'inspect';

/** How a prepare or start call ends. */
export type CallOutcome =
  | 'ok'
  | { rejected: string }
  | { failed: string }
  /** A plain Error: the engine itself failed (unreachable). */
  | { engineError: string };

export interface TaskScript {
  prepare?: CallOutcome;
  start?: CallOutcome;
  /** After start, the process exits by itself with this code `afterMs` later on the clock. */
  exit?: { code: number; afterMs: number; message?: string };
  /** After start, the healthcheck declares the task unhealthy `afterMs` later. */
  unhealthyAfterMs?: number;
  /** Exit code of a graceful shutdown (143 by default, as SIGTERM). */
  shutdownExitCode?: number;
  /** The first this-many shutdown calls fail with an engine error. */
  shutdownFailures?: number;
}

export interface FakeTaskState {
  serviceId: string;
  state: RunnerStatus['state'];
  exitCode: number;
  pid: number;
}

export interface RecordedCall {
  taskId: string;
  op: RunnerOp;
}

interface Gate {
  promise: Promise<void>;
  release: () => void;
}

export class FakeExecutor implements Executor {
  readonly calls: RecordedCall[] = [];
  /** What exists on the "node", by task id (a container per task). */
  readonly tasks = new Map<string, FakeTaskState>();
  readonly removedTasks: string[] = [];
  readonly contexts = new Map<string, TaskContext>();
  private readonly scripts = new Map<string, TaskScript>();
  private readonly gates = new Map<string, Gate>();
  private readonly exitWaiters = new Map<string, Array<(exit: ExitStatus) => void>>();
  private readonly unhealthyWaiters = new Map<string, Array<(error: TaskFailure) => void>>();
  private readonly timers = new Map<string, Array<{ cancel(): void }>>();
  private readonly unhealthy = new Set<string>();
  private nextPid = 1000;
  /** When set, list() fails with it. */
  listError: Error | undefined;

  constructor(private readonly clock: Clock) {}

  script(taskId: string, script: TaskScript): void {
    this.scripts.set(taskId, script);
  }

  /** Something already on the node before the worker started (adoption tests). */
  seed(taskId: string, state: FakeTaskState): void {
    this.tasks.set(taskId, { ...state });
  }

  /** The next `op` call for the task waits until the returned function is called. */
  hold(taskId: string, op: RunnerOp): () => void {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.gates.set(`${taskId}/${op}`, { promise, release });
    return release;
  }

  opsOf(taskId: string): RunnerOp[] {
    return this.calls.filter((c) => c.taskId === taskId && c.op !== 'inspect').map((c) => c.op);
  }

  /** Timers and waiters still pending (a stopped worker should leave none behind). */
  get pendingWaiters(): number {
    let n = 0;
    for (const w of this.exitWaiters.values()) n += w.length;
    return n;
  }

  async describe(): Promise<NodeDescription> {
    return {
      hostname: 'fake',
      platform: { os: 'linux', architecture: 'amd64' },
      resources: { nanoCpus: 2e9, memoryBytes: 2 ** 30 },
      engine: { engineVersion: 'fake', labels: {}, plugins: [] },
    };
  }

  runner(context: TaskContext): TaskRunner {
    const taskId = context.task.id;
    this.contexts.set(taskId, context);
    const call = async (op: RunnerOp): Promise<void> => {
      this.calls.push({ taskId, op });
      const gate = this.gates.get(`${taskId}/${op}`);
      if (gate) {
        this.gates.delete(`${taskId}/${op}`);
        await gate.promise;
      }
    };
    const script = (): TaskScript => this.scripts.get(taskId) ?? {};
    return {
      prepare: async () => {
        await call('prepare');
        outcome(script().prepare);
        if (!this.tasks.has(taskId))
          this.tasks.set(taskId, {
            serviceId: context.task.serviceId,
            state: 'created',
            exitCode: 0,
            pid: 0,
          });
      },
      start: async () => {
        await call('start');
        const t = this.tasks.get(taskId);
        if (!t) throw new TaskFailure(`no container for task ${taskId}`, false);
        if (t.state === 'running') return;
        outcome(script().start);
        t.state = 'running';
        t.pid = this.nextPid++;
        this.arm(taskId, script());
      },
      wait: async () => {
        await call('wait');
        const t = this.tasks.get(taskId);
        if (!t) throw new TaskFailure(`no container for task ${taskId}`, false);
        if (t.state === 'exited') return { exitCode: t.exitCode, message: '' };
        if (t.state !== 'running') throw new TaskFailure('container is not running', false);
        if (this.unhealthy.has(taskId)) throw new TaskFailure('unhealthy container', false);
        return new Promise<ExitStatus>((resolve, reject) => {
          this.push(this.exitWaiters, taskId, resolve);
          this.push(this.unhealthyWaiters, taskId, reject);
        });
      },
      shutdown: async () => {
        await call('shutdown');
        const failures = script().shutdownFailures ?? 0;
        if (failures > 0) {
          this.scripts.set(taskId, { ...script(), shutdownFailures: failures - 1 });
          throw new Error('engine unreachable');
        }
        this.exit(taskId, script().shutdownExitCode ?? 143, '');
      },
      terminate: async () => {
        await call('terminate');
        this.exit(taskId, 137, '');
      },
      remove: async () => {
        await call('remove');
        this.exit(taskId, 137, '');
        this.tasks.delete(taskId);
      },
      inspect: async () => {
        await call('inspect');
        const t = this.tasks.get(taskId);
        return t ? this.status(taskId, t) : null;
      },
      // eslint-disable-next-line require-yield
      logs: async function* (): AsyncIterable<LogLine> {
        return;
      },
    };
  }

  async list(_nodeId: string): Promise<FoundTask[]> {
    if (this.listError) throw this.listError;
    return [...this.tasks].map(([taskId, t]) => ({
      taskId,
      serviceId: t.serviceId,
      status: this.status(taskId, t),
    }));
  }

  async removeTask(taskId: string): Promise<void> {
    this.calls.push({ taskId, op: 'remove' });
    this.exit(taskId, 137, '');
    this.tasks.delete(taskId);
    this.removedTasks.push(taskId);
  }

  private status(taskId: string, t: FakeTaskState): RunnerStatus {
    return {
      state: t.state,
      containerId: `container-${taskId}`,
      pid: t.state === 'running' ? t.pid : 0,
      exitCode: t.exitCode,
      health: 'none',
    };
  }

  private arm(taskId: string, script: TaskScript): void {
    const timers: Array<{ cancel(): void }> = [];
    if (script.exit) {
      const { code, message } = script.exit;
      timers.push(this.clock.setTimer(script.exit.afterMs, () => this.exit(taskId, code, message ?? '')));
    }
    if (script.unhealthyAfterMs !== undefined) {
      timers.push(
        this.clock.setTimer(script.unhealthyAfterMs, () => {
          this.unhealthy.add(taskId);
          const waiters = this.unhealthyWaiters.get(taskId) ?? [];
          this.exitWaiters.delete(taskId);
          this.unhealthyWaiters.delete(taskId);
          for (const reject of waiters) reject(new TaskFailure('unhealthy container', false));
        }),
      );
    }
    this.timers.set(taskId, timers);
  }

  private exit(taskId: string, code: number, message: string): void {
    for (const t of this.timers.get(taskId) ?? []) t.cancel();
    this.timers.delete(taskId);
    const t = this.tasks.get(taskId);
    if (!t || t.state !== 'running') return;
    t.state = 'exited';
    this.unhealthy.delete(taskId);
    t.exitCode = code;
    t.pid = 0;
    const waiters = this.exitWaiters.get(taskId) ?? [];
    this.exitWaiters.delete(taskId);
    this.unhealthyWaiters.delete(taskId);
    for (const resolve of waiters) resolve({ exitCode: code, message });
  }

  private push<T>(map: Map<string, T[]>, key: string, value: T): void {
    const list = map.get(key) ?? [];
    list.push(value);
    map.set(key, list);
  }
}

function outcome(o: CallOutcome | undefined): void {
  if (o === undefined || o === 'ok') return;
  if ('rejected' in o) throw new TaskFailure(o.rejected, true);
  if ('failed' in o) throw new TaskFailure(o.failed, false);
  throw new Error(o.engineError);
}
