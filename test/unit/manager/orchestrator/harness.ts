// A deterministic world for the orchestrator tests: a ReplicatedStore applied without Raft, a
// ManualClock shared by the store's timestamps and the loops, builders for nodes and services,
// and a fake "rest of the cluster" (allocator, scheduler, workers) that moves tasks by writing
// their status into the store, as the real components will.

import {
  SECOND,
  taskStateRank,
  withServiceDefaults,
  type NodeAvailability,
  type NodeState,
  type RestartPolicy,
  type Service,
  type ServiceSpec,
  type TaskState,
  type UpdateConfig,
} from '../../../../src/api/index.js';
import type { ApiStore } from '../../../../src/manager/control/index.js';
import {
  GlobalOrchestrator,
  hasEnded,
  isLive,
  JobOrchestrator,
  manualRollback,
  ReplicatedOrchestrator,
  RestartSupervisor,
  RollingUpdater,
  TaskReaper,
  type LoopOptions,
  type RestartTuning,
  type StoredNode,
  type StoredService,
  type StoredTask,
} from '../../../../src/manager/orchestrator/index.js';
import { ManualClock } from '../../../../src/util/clock.js';
import { localStore } from '../../../support/local-consensus.js';

export const STEP_MS = 10;

export interface Loop {
  start(): void;
  stop(): Promise<void>;
  readonly busy: boolean;
}

export interface NodeOptions {
  state?: NodeState;
  availability?: NodeAvailability;
  labels?: Record<string, string>;
  role?: 'worker' | 'manager';
}

export interface ServiceOptions {
  replicas?: number;
  global?: boolean;
  /** A replicated job (with its limits) or a global job. */
  job?: { maxConcurrent?: number; totalCompletions?: number } | 'global';
  restart?: RestartPolicy;
  constraints?: string[];
  image?: string;
  update?: UpdateConfig;
  rollback?: UpdateConfig;
}

export class World {
  readonly clock = new ManualClock();
  readonly store: ApiStore;
  readonly loops: Loop[] = [];
  /**
   * While set, a task told to stop keeps running for two more rounds of the simulated cluster (a
   * slow container stop), so a replacement started too early is seen running next to it.
   */
  slowStops = false;
  private readonly stopping = new Map<string, number>();
  private readonly consensus: { failing: boolean; defer: boolean };

  constructor() {
    const { store, consensus } = failableLocalStore(() => new Date(this.clock.now()));
    this.store = store;
    this.consensus = consensus;
  }

  /** While set, every proposal fails (a leader that lost its quorum): nothing is written. */
  set failing(value: boolean) {
    this.consensus.failing = value;
  }

  /**
   * While set, proposals are applied a macrotask later instead of at once, so passes of two
   * loops can read the same state and both write (as two managers that both think they lead).
   */
  set deferWrites(value: boolean) {
    this.consensus.defer = value;
  }

  loopOptions(extra: Partial<LoopOptions> = {}): LoopOptions {
    // Resyncs on the dot: the tests count passes.
    return {
      store: this.store,
      clock: this.clock,
      batchDelayMs: STEP_MS,
      retryDelayMs: 100,
      resyncJitter: 0,
      ...extra,
    };
  }

  replicated(extra: Partial<LoopOptions> = {}): ReplicatedOrchestrator {
    return this.add(new ReplicatedOrchestrator(this.loopOptions(extra)));
  }

  global(extra: Partial<LoopOptions> = {}): GlobalOrchestrator {
    return this.add(new GlobalOrchestrator(this.loopOptions(extra)));
  }

  restarts(tuning: Partial<RestartTuning> = {}, extra: Partial<LoopOptions> = {}): RestartSupervisor {
    return this.add(new RestartSupervisor({ ...this.loopOptions(extra), tuning }));
  }

  reaper(extra: Partial<LoopOptions> = {}): TaskReaper {
    return this.add(new TaskReaper(this.loopOptions(extra)));
  }

  updater(extra: Partial<LoopOptions> = {}): RollingUpdater {
    return this.add(new RollingUpdater(this.loopOptions(extra)));
  }

  jobs(tuning: Partial<RestartTuning> = {}, extra: Partial<LoopOptions> = {}): JobOrchestrator {
    return this.add(new JobOrchestrator({ ...this.loopOptions(extra), tuning }));
  }

  /** Every orchestration loop, started. */
  startAll(tuning: Partial<RestartTuning> = {}): void {
    const loops = [
      this.replicated(),
      this.global(),
      this.updater(),
      this.jobs(tuning),
      this.restarts(tuning),
      this.reaper(),
    ];
    for (const loop of loops) loop.start();
  }

  async stopAll(): Promise<void> {
    for (const loop of this.loops.splice(0)) await loop.stop();
  }

  private add<L extends Loop>(loop: L): L {
    this.loops.push(loop);
    return loop;
  }

  /**
   * Lets the loops run until none has a pass due, moving the clock in small steps (the batching
   * delay). Bounded: says so when the loops keep finding work.
   */
  async settle(maxSteps = 500): Promise<void> {
    for (let step = 0; step < maxSteps; step++) {
      await flush();
      if (this.loops.every((loop) => !loop.busy)) {
        await flush();
        if (this.loops.every((loop) => !loop.busy)) return;
      }
      this.clock.advance(STEP_MS);
    }
    throw new Error(`the loops were still busy after ${maxSteps} steps of ${STEP_MS} ms`);
  }

  /** Runs the loops for `ms` of clock time in batching-delay steps, busy or not (a failing store). */
  async run(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    while (this.clock.now() < until) {
      await flush();
      this.clock.advance(STEP_MS);
    }
    await flush();
  }

  /**
   * Moves the clock by `ms` in steps (100 ms, or a 200th of a long span), letting the loops react
   * after each. A timer fires at its own due time within a step, so what a pass writes right
   * away carries that time.
   */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    const step = Math.max(STEP_MS * 10, Math.floor(ms / 200));
    while (this.clock.now() < until) {
      this.clock.advance(Math.min(step, until - this.clock.now()));
      await this.settle();
    }
  }

  // ---- building the cluster -------------------------------------------------------------------

  async addNode(name: string, options: NodeOptions = {}): Promise<string> {
    const { objects } = await this.store.update([
      {
        op: 'create',
        kind: 'node',
        object: {
          spec: {
            name,
            role: options.role ?? 'worker',
            availability: options.availability ?? 'active',
            labels: options.labels ?? {},
          },
          description: {
            hostname: name,
            platform: { architecture: 'x86_64', os: 'linux' },
            resources: { nanoCpus: 4e9, memoryBytes: 8 * 2 ** 30 },
            engine: { engineVersion: '27.0.0', labels: {}, plugins: [] },
          },
          status: { state: options.state ?? 'ready', addr: '10.0.0.1' },
        },
      },
    ]);
    return objects[0]!.id;
  }

  async setNode(id: string, change: NodeOptions): Promise<void> {
    const node = this.store.get('node', id)!;
    const spec = { ...node.spec };
    if (change.availability) spec.availability = change.availability;
    if (change.labels) spec.labels = change.labels;
    const status = change.state ? { ...node.status, state: change.state } : node.status;
    await this.store.update([{ op: 'update', kind: 'node', object: { ...node, spec, status } }]);
  }

  async removeNode(id: string): Promise<void> {
    await this.store.update([{ op: 'delete', kind: 'node', id }]);
  }

  spec(name: string, options: ServiceOptions = {}): ServiceSpec {
    const job = options.job;
    const mode: ServiceSpec['mode'] =
      job === 'global'
        ? { globalJob: {} }
        : job
          ? { replicatedJob: job }
          : options.global
            ? { global: {} }
            : { replicated: { replicas: options.replicas ?? 1 } };
    return withServiceDefaults({
      name,
      taskTemplate: {
        containerSpec: { image: options.image ?? 'nginx:1.27' },
        restartPolicy: options.restart ?? { condition: 'any', delay: 5 * SECOND },
        placement: options.constraints ? { constraints: options.constraints } : undefined,
      },
      mode,
      updateConfig: options.update,
      rollbackConfig: options.rollback,
    });
  }

  async addService(name: string, options: ServiceOptions = {}): Promise<string> {
    const spec = dropUndefined(this.spec(name, options));
    // As the control API: a job starts at iteration 0, executed now.
    const object = options.job
      ? { spec, jobStatus: { jobIteration: { index: 0 }, lastExecution: this.isoNow() } }
      : { spec };
    const { objects } = await this.store.update([{ op: 'create', kind: 'service', object }]);
    return objects[0]!.id;
  }

  /**
   * A user's UpdateService, as the control API writes it: the old spec kept as previousSpec, the
   * last rollout's status forgotten, a job's iteration bumped.
   */
  async deploy(id: string, change: (spec: ServiceSpec) => ServiceSpec): Promise<void> {
    const service = this.store.get('service', id)!;
    const spec = dropUndefined(change(structuredClone(service.spec) as ServiceSpec));
    const { updateStatus: _forgotten, ...rest } = service;
    const object: Record<string, unknown> = { ...rest, spec, previousSpec: service.spec };
    if (service.jobStatus)
      object.jobStatus = {
        jobIteration: { index: service.jobStatus.jobIteration.index + 1 },
        lastExecution: this.isoNow(),
      };
    await this.store.update([
      {
        op: 'update',
        kind: 'service',
        object: object as unknown as Service,
        expectedVersion: service.meta.version.index,
      },
    ]);
  }

  /** Deploys a new image. */
  async deployImage(id: string, image: string): Promise<void> {
    await this.deploy(id, (spec) => ({
      ...spec,
      taskTemplate: { ...spec.taskTemplate, containerSpec: { ...spec.taskTemplate.containerSpec, image } },
    }));
  }

  /** `docker service rollback`: what the control API writes with manualRollback. */
  async rollback(id: string): Promise<void> {
    const service = this.store.get('service', id)!;
    const decision = manualRollback(service, this.clock.now());
    if (!decision.ok) throw new Error(decision.reason);
    await this.store.update([
      {
        op: 'update',
        kind: 'service',
        object: decision.service,
        expectedVersion: service.meta.version.index,
      },
    ]);
  }

  service(id: string): StoredService {
    return this.store.get('service', id)!;
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  async updateService(id: string, change: (spec: ServiceSpec) => ServiceSpec): Promise<void> {
    const service = this.store.get('service', id)!;
    const spec = dropUndefined(change(structuredClone(service.spec) as ServiceSpec));
    await this.store.update([{ op: 'update', kind: 'service', object: { ...service, spec } }]);
  }

  async scale(id: string, replicas: number): Promise<void> {
    await this.updateService(id, (spec) => ({ ...spec, mode: { replicated: { replicas } } }));
  }

  async removeService(id: string): Promise<void> {
    await this.store.update([{ op: 'delete', kind: 'service', id }]);
  }

  // ---- reading ------------------------------------------------------------------------------

  tasks(serviceId?: string): StoredTask[] {
    return this.store.list('task', serviceId ? { serviceId } : {});
  }

  live(serviceId?: string): StoredTask[] {
    return this.tasks(serviceId).filter(isLive);
  }

  liveSlots(serviceId: string): number[] {
    return this.live(serviceId)
      .map((t) => t.slot!)
      .sort((a, b) => a - b);
  }

  liveNodes(serviceId: string): string[] {
    return this.live(serviceId)
      .map((t) => t.nodeId!)
      .sort();
  }

  nodes(): StoredNode[] {
    return this.store.list('node');
  }

  // ---- the rest of the cluster, simulated ---------------------------------------------------

  /** The worker side: the task ended (or any other status) now. */
  async report(taskId: string, state: TaskState, message: string = state): Promise<void> {
    const task = this.store.get('task', taskId)!;
    const status = { ...task.status, state, message, timestamp: new Date(this.clock.now()).toISOString() };
    await this.store.update([{ op: 'update', kind: 'task', object: { ...task, status } }]);
  }

  /**
   * One round of allocator, scheduler and workers: new tasks are placed (replicated: the ready,
   * active node with the fewest live tasks; global: their own node if ready and active) and run,
   * desired READY ones wait assigned; tasks told to stop stop, unless their node is down or gone.
   * A job's task (desired COMPLETE) runs until the test reports how it ended.
   */
  async runCluster(): Promise<void> {
    const nodes = new Map(this.nodes().map((n) => [n.id, n] as const));
    const placeable = [...nodes.values()].filter(
      (n) => n.status.state === 'ready' && n.spec.availability === 'active',
    );
    const load = new Map<string, number>(placeable.map((n) => [n.id, 0]));
    for (const task of this.tasks())
      if (wantsToRun(task) && !hasEnded(task) && task.nodeId && load.has(task.nodeId))
        load.set(task.nodeId, load.get(task.nodeId)! + 1);
    const now = new Date(this.clock.now()).toISOString();
    const ops = [];
    for (const task of this.tasks()) {
      const node = task.nodeId ? nodes.get(task.nodeId) : undefined;
      const reachable = node !== undefined && node.status.state !== 'down';
      let next: { state: TaskState; nodeId?: string } | undefined;
      if (wantsToRun(task)) {
        if (task.status.state === 'new' || task.status.state === 'pending') {
          let nodeId = task.nodeId;
          if (nodeId === undefined) {
            nodeId = [...load.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
            if (nodeId !== undefined) load.set(nodeId, load.get(nodeId)! + 1);
          } else if (!placeable.some((n) => n.id === nodeId)) nodeId = undefined;
          if (nodeId !== undefined) next = { state: startsNow(task) ? 'running' : 'assigned', nodeId };
        } else if (task.status.state === 'assigned' && startsNow(task) && reachable) {
          next = { state: 'running' };
        }
      } else if (reachable && ['assigned', 'running'].includes(task.status.state)) {
        const rounds = this.stopping.get(task.id) ?? 0;
        if (this.slowStops && rounds < 2) this.stopping.set(task.id, rounds + 1);
        else next = { state: 'shutdown' };
      }
      if (!next) continue;
      ops.push({
        op: 'update' as const,
        kind: 'task' as const,
        object: {
          ...task,
          nodeId: next.nodeId ?? task.nodeId,
          status: { ...task.status, state: next.state, message: next.state, timestamp: now },
        },
        expectedVersion: task.meta.version.index,
      });
    }
    if (ops.length > 0) await this.store.update(ops);
  }

  /** Lets the loops and the simulated cluster run until neither has anything left to do. */
  async converge(maxRounds = 50): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      await this.settle();
      const before = this.store.version;
      await this.runCluster();
      await this.settle();
      if (this.store.version === before) return;
    }
    throw new Error(`no convergence after ${maxRounds} rounds`);
  }
}

/** Desired to run: a service's task up to RUNNING (READY waits placed), a job's up to COMPLETE. */
function wantsToRun(task: StoredTask): boolean {
  return taskStateRank(task.desiredState) <= taskStateRank('complete');
}

function startsNow(task: StoredTask): boolean {
  return task.desiredState === 'running' || task.desiredState === 'complete';
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** localStore() with a switch that makes proposals fail, as a deposed leader's would. */
function failableLocalStore(now: () => Date): {
  store: ApiStore;
  consensus: { failing: boolean; defer: boolean };
} {
  const { store } = localStore({ now });
  const consensus = { failing: false, defer: false };
  const update = store.update.bind(store);
  store.update = async (ops, options) => {
    if (consensus.defer) await new Promise<void>((resolve) => setImmediate(resolve));
    if (consensus.failing) throw new Error('lost leadership');
    return update(ops, options);
  };
  return { store, consensus };
}

function dropUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
