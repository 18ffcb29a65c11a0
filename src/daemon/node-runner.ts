// A node process over its life, in whichever role the cluster gives it (Swarm's node supervisor):
// a worker runs an agent and the routing mesh; a manager runs the Manager, plus its own agent and
// mesh when it has an executor. The process moves between the two in place when the cluster
// changes the node's role:
// - `node promote`: the worker's certificate comes back with the manager role, and it joins the
//   Raft membership through the managers it knows (Manager.promoted), keeping its node id;
// - `node demote`: the leader removes the manager from the membership, the Manager steps down,
//   and the node carries on as a worker from the same data directory.
// The containers keep running through a switch: the next role's agent adopts them. Switches and
// stop run one at a time.

import { DEFAULT_MANAGER_PORT } from '../api/index.js';
import { systemClock } from '../util/clock.js';
import { hostOf, portOf } from '../util/host.js';
import type { Logger } from '../util/logger.js';
import { Manager, type ManagerTuning } from '../manager/manager.js';
import { Agent, type AgentOptions, type JoinAgentOptions } from '../worker/agent.js';
import { DockerExecutor } from '../worker/docker/index.js';
import type { Executor } from '../worker/executor.js';
import { ProcessExecutor } from '../worker/process/index.js';
import { readWorkerState, writeWorkerState, type WorkerState } from '../worker/worker-state.js';
import { NodeMesh, type NodeMeshOptions } from './node-mesh.js';
import { defaultDataPlaneWorkers } from '../mesh/index.js';
import { join } from 'node:path';

/** What runs a node's tasks; absent for a manager that runs none. */
export type ExecutorConfig =
  { kind: 'docker'; socketPath?: string; extraLabels?: Record<string, string> } | { kind: 'process' };

/** What the runner needs of the daemon's config (DaemonConfig in main.ts). */
export interface NodeRunnerConfig {
  dataDir: string;
  tuning?: ManagerTuning;
  executor?: ExecutorConfig;
  /** The hostname the node reports (tests give each node on one machine its own). */
  hostname?: string;
  /** The agent's backoff between session attempts. */
  retryMs?: { initial: number; max: number };
  /**
   * The routing mesh of a node that runs tasks: on unless `enabled: false`; its tunnels are TLS
   * unless `encryption: false` (a trusted network).
   */
  mesh?: {
    enabled?: boolean;
    encryption?: boolean;
    /** Data-plane worker processes (default: defaultDataPlaneWorkers(); see src/mesh/data-plane.ts). */
    dataPlaneWorkers?: number;
    tuning?: NodeMeshOptions['tuning'];
  };
}

/** A node this process runs. */
export interface RunningNode {
  id: string;
  /** The manager's advertised address; '' while the node is a worker. */
  readonly address: string;
  readonly role: 'manager' | 'worker';
  /** The manager, while the node is one (its client(), its join tokens …). */
  readonly manager: Manager | undefined;
  /** Told after every change of role (promoted to manager, demoted to worker). */
  onRoleChange(listener: (node: RunningNode) => void): void;
  /** Stops whatever role runs; idempotent. */
  stop(): Promise<void>;
  /**
   * Resolves with the reason when the node stops on its own: demoted with no executor to carry on
   * as a worker. Rejects when a change of role failed half way.
   */
  ended: Promise<string>;
}

/** A worker that asks for promotion again no sooner than this after a failed attempt. */
export const PROMOTION_RETRY_MS = 10_000;

type Held =
  | { role: 'worker'; agent: Agent; mesh: NodeMesh | null }
  | { role: 'manager'; manager: Manager; agent: Agent | null; mesh: NodeMesh | null };

/** How a worker's agent comes to be: joining with a token, or from its data directory. */
type WorkerStart = { join: Omit<JoinAgentOptions, keyof AgentOptions> } | 'open';

export class NodeRunner implements RunningNode {
  readonly ended: Promise<string>;
  private held!: Held;
  private chain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private lastPromotionAttempt = Number.NEGATIVE_INFINITY;
  private readonly roleListeners: Array<(node: RunningNode) => void> = [];
  private endWith!: (reason: string) => void;
  private failWith!: (err: unknown) => void;

  private constructor(
    readonly id: string,
    private readonly config: NodeRunnerConfig,
    private readonly log: Logger,
  ) {
    this.ended = new Promise<string>((resolve, reject) => {
      this.endWith = resolve;
      this.failWith = reject;
    });
  }

  /** Runs a worker: joins with `start.join` (a token, a manager's address) or opens its data directory. */
  static async worker(
    config: NodeRunnerConfig,
    logger: Logger,
    start: WorkerStart,
    listenHost?: string,
  ): Promise<NodeRunner> {
    const held = await openWorker(config, logger, start, listenHost);
    const runner = new NodeRunner(held.agent.nodeId, config, logger);
    runner.hold(held);
    return runner;
  }

  /** Runs a manager that init, join or start brought up (with its agent when there is an executor). */
  static manager(config: NodeRunnerConfig, logger: Logger, manager: Manager): NodeRunner {
    const runner = new NodeRunner(manager.id, config, logger);
    runner.hold(withAgent(config, manager, logger));
    return runner;
  }

  get role(): 'manager' | 'worker' {
    return this.held.role;
  }

  get address(): string {
    return this.held.role === 'manager' ? this.held.manager.address : '';
  }

  get manager(): Manager | undefined {
    return this.held.role === 'manager' ? this.held.manager : undefined;
  }

  onRoleChange(listener: (node: RunningNode) => void): void {
    this.roleListeners.push(listener);
  }

  stop(): Promise<void> {
    this.stopping ??= this.chain.then(() => stopHeld(this.held));
    return this.stopping;
  }

  /** Takes up a role's parts and follows what the cluster says about the role. */
  private hold(held: Held): void {
    this.held = held;
    if (held.role === 'worker')
      held.agent.onClusterRole((role) => {
        if (role === 'manager') this.enqueue(() => this.promote());
      });
    else
      held.manager.on('removed', ({ stopped }) => {
        const managers = held.manager.managerAddresses().filter((a) => a !== held.manager.address);
        this.enqueue(() => this.demote(held, stopped, managers));
      });
  }

  /** Runs `step` after the switches before it; a step that throws ends the node. */
  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      this.log.error('changing the node role failed', { err });
      this.failWith(err);
    });
  }

  private changed(): void {
    for (const listener of this.roleListeners) listener(this);
  }

  /** The cluster made this worker a manager: join the Raft membership in place. */
  private async promote(): Promise<void> {
    const held = this.held;
    if (this.stopping || held.role !== 'worker') return;
    const now = Date.now();
    if (now - this.lastPromotionAttempt < PROMOTION_RETRY_MS) return;
    this.lastPromotionAttempt = now;
    const state = await readWorkerState(this.config.dataDir);
    if (!state) throw new Error(`${this.config.dataDir} holds no worker state`);
    const addresses = managerAddressesOf(state);
    if (typeof addresses === 'string') {
      this.log.error('promoted, but cannot take up the manager role', { reason: addresses });
      return;
    }
    this.log.warn('the cluster promoted this node: taking up the manager role', addresses);
    await stopHeld(held);
    let manager: Manager;
    try {
      manager = await Manager.promoted({
        dataDir: this.config.dataDir,
        logger: this.log,
        tuning: this.config.tuning,
        ...addresses,
        managers: state.managers,
      });
    } catch (err) {
      this.log.error('could not take up the manager role; carrying on as a worker', {
        error: (err as Error).message,
        retryInMs: PROMOTION_RETRY_MS,
      });
      this.hold(await openWorker(this.config, this.log, 'open'));
      return;
    }
    this.hold(withAgent(this.config, manager, this.log));
    this.changed();
  }

  /** The cluster removed this manager from its membership: carry on as a worker. */
  private async demote(
    held: Held & { role: 'manager' },
    stopped: Promise<void>,
    managers: string[],
  ): Promise<void> {
    await held.agent?.stop();
    await held.mesh?.stop();
    await stopped;
    if (this.held !== held) return;
    const { manager } = held;
    const advertised = hostOf(manager.address);
    const port = portOf(manager.listenAddress);
    // Even when this process is stopping: a restart finds the node a worker, and where it was.
    await writeWorkerState(this.config.dataDir, {
      format: 1,
      nodeId: this.id,
      managers,
      ...(isUnspecified(advertised) ? {} : { addr: advertised }),
      listenHost: hostOf(manager.listenAddress),
      ...(port !== undefined ? { managerPort: port } : {}),
    });
    if (this.stopping) return;
    if (!this.config.executor) {
      this.endWith(
        'the cluster removed this node from its managers; with no executor it cannot carry on as a worker',
      );
      return;
    }
    this.log.warn('the cluster demoted this node: carrying on as a worker');
    this.hold(await openWorker(this.config, this.log, 'open'));
    this.changed();
  }
}

/** Where a promoted worker serves the manager role: its listen host and port, advertised at its address. */
function managerAddressesOf(state: WorkerState): { listenAddr: string; advertiseAddr: string } | string {
  const port = state.managerPort ?? DEFAULT_MANAGER_PORT;
  const listenHost = state.listenHost ?? '0.0.0.0';
  const advertiseHost = state.addr ?? (isUnspecified(listenHost) ? undefined : listenHost);
  if (advertiseHost === undefined)
    return 'the node joined with no advertise address: restart it with --advertise-addr';
  return { listenAddr: `${listenHost}:${port}`, advertiseAddr: `${advertiseHost}:${port}` };
}

export function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** The node's executor; `listenHost` is where it publishes host-mode ports (0.0.0.0: everywhere). */
function executorFor(config: NodeRunnerConfig, logger: Logger, listenHost: string): Executor {
  const dataDir = join(config.dataDir, 'worker');
  const e = config.executor!;
  if (e.kind === 'docker')
    return new DockerExecutor({
      dataDir,
      socketPath: e.socketPath,
      extraLabels: e.extraLabels,
      hostname: config.hostname,
      publishHost: listenHost,
      logger,
    });
  return new ProcessExecutor({ dataDir, clock: systemClock, logger, hostname: config.hostname });
}

/** The node's routing mesh, unless the config turns it off. */
function meshFor(
  config: NodeRunnerConfig,
  options: Omit<NodeMeshOptions, 'encryption' | 'dataPlaneWorkers' | 'tuning'>,
): NodeMesh | null {
  if (config.mesh?.enabled === false) return null;
  return new NodeMesh({
    ...options,
    ...(config.mesh?.encryption !== undefined ? { encryption: config.mesh.encryption } : {}),
    dataPlaneWorkers: config.mesh?.dataPlaneWorkers ?? defaultDataPlaneWorkers(),
    ...(config.mesh?.tuning !== undefined ? { tuning: config.mesh.tuning } : {}),
  });
}

/** A worker's agent and mesh, started. */
async function openWorker(
  config: NodeRunnerConfig,
  logger: Logger,
  start: WorkerStart,
  listenHost?: string,
): Promise<Held & { role: 'worker' }> {
  if (!config.executor) throw new Error('daemon config: a worker needs an executor');
  // The node listens where it was told to, this run or when it joined; else everywhere.
  const nodeHost = listenHost ?? (await readWorkerState(config.dataDir))?.listenHost ?? '0.0.0.0';
  const executor = executorFor(config, logger, nodeHost);
  const options: AgentOptions = {
    dataDir: config.dataDir,
    executor,
    logger,
    hostname: config.hostname,
    retryMs: config.retryMs,
  };
  const agent =
    start === 'open'
      ? await Agent.open(options)
      : await Agent.join({ ...options, ...start.join, listenHost });
  const mesh = meshFor(config, {
    nodeId: agent.nodeId,
    listenHost: nodeHost,
    tls: agent.tls,
    executor,
    logger,
  });
  if (mesh) agent.onEndpoints((update) => mesh.handle(update));
  agent.start();
  return { role: 'worker', agent, mesh };
}

/** A manager is a worker too (its availability decides whether tasks land here). */
function withAgent(config: NodeRunnerConfig, manager: Manager, logger: Logger): Held & { role: 'manager' } {
  const listenHost = hostOf(manager.listenAddress);
  const executor = config.executor ? executorFor(config, logger, listenHost) : null;
  if (!executor) {
    // No tasks here, so no agent and no session; the node still answers the published ports.
    const mesh = meshFor(config, {
      nodeId: manager.id,
      listenHost,
      tls: manager.tls,
      executor: null,
      logger,
    });
    mesh?.followStore(manager.store);
    return { role: 'manager', manager, agent: null, mesh };
  }
  const advertised = hostOf(manager.address);
  const agent = Agent.embedded({
    dataDir: config.dataDir,
    executor,
    logger,
    hostname: config.hostname,
    retryMs: config.retryMs,
    nodeId: manager.id,
    tls: manager.tls,
    managers: () => manager.managerAddresses(),
    // An unspecified address is no address: the dispatcher then records the peer's.
    ...(isUnspecified(advertised) ? {} : { advertiseHost: advertised }),
  });
  const mesh = meshFor(config, { nodeId: manager.id, listenHost, tls: manager.tls, executor, logger });
  if (mesh) agent.onEndpoints((update) => mesh.handle(update));
  agent.start();
  return { role: 'manager', manager, agent, mesh };
}

async function stopHeld(held: Held): Promise<void> {
  await held.agent?.stop();
  await held.mesh?.stop();
  if (held.role === 'manager') await held.manager.stop();
}
