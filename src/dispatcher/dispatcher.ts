// The dispatcher the Raft leader runs (SwarmKit's manager/dispatcher): a session per node,
// heartbeats kept in memory only, node up/down decided from them, each node's assignments, and
// worker status reports on their way to the store. Heartbeats never reach the Raft log; a node
// that misses its grace (3 periods) is marked down, and the orchestrators move its tasks. A new
// leader knows nothing of the heartbeats its predecessor saw, so every node that was up gets a
// full grace period to open a session here before it is marked down.

import { randomBytes } from 'node:crypto';
import {
  DEFAULT_HEARTBEAT_PERIOD,
  taskStateRank,
  toMilliseconds,
  ValidationError,
  type NodeDescription,
  type TaskStatus,
} from '../api/index.js';
import { ControlError, UnavailableError, type ApiStore } from '../manager/control/index.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { AssignmentHub, type AssignmentSink } from './assignments.js';
import { EndpointPublisher, type EndpointSink } from './endpoints.js';
import { StatusWriter } from './status-writer.js';

/** Periods a node may miss before it is marked down (SwarmKit's default multiplier). */
export const DEFAULT_GRACE_MULTIPLIER = 3;
/** Heartbeat periods are shortened by up to this fraction at random, so nodes spread out. */
const HEARTBEAT_JITTER = 0.1;
const ACCEPTED_RANK = taskStateRank('accepted');

export interface ManagerAddress {
  nodeId: string;
  addr: string;
  leader: boolean;
}

export interface NodeTrust {
  /** PEM bundle of the roots to trust (both during a root rotation). */
  trustedRoots: string;
  /** PEM of the root the CA signs with now. */
  signingRoot: string;
}

export interface DispatcherOptions {
  store: ApiStore;
  /** The managers as the nodes should know them (the Raft membership). */
  managers: () => ManagerAddress[];
  /** What nodes must trust now (the cluster's root CA); absent in clusters without TLS (tests). */
  trust?: () => NodeTrust;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Overrides the Cluster object's dispatcher.heartbeatPeriod (tests, the benchmark). */
  heartbeatPeriodMs?: number;
  graceMultiplier?: number;
  statusBatchMs?: number;
  assignmentBatchMs?: number;
}

/** One node's session: ended by a newer session, an expired heartbeat or the dispatcher stopping. */
export class NodeSession {
  private readonly endListeners = new Set<(reason: Error) => void>();
  private readonly managerListeners = new Set<(managers: ManagerAddress[]) => void>();
  ended: Error | null = null;
  /** The node's role as last told (a change is sent as a new session message). */
  role = '';

  constructor(
    readonly id: string,
    readonly nodeId: string,
    public deadline: number,
  ) {}

  /** Calls `listener` when the session ends; returns a function that removes it. */
  onEnd(listener: (reason: Error) => void): () => void {
    if (this.ended) {
      listener(this.ended);
      return () => undefined;
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  onManagers(listener: (managers: ManagerAddress[]) => void): () => void {
    this.managerListeners.add(listener);
    return () => this.managerListeners.delete(listener);
  }

  /** @internal */
  end(reason: Error): void {
    if (this.ended) return;
    this.ended = reason;
    for (const listener of this.endListeners) listener(reason);
    this.endListeners.clear();
    this.managerListeners.clear();
  }

  /** @internal */
  managersChanged(managers: ManagerAddress[]): void {
    for (const listener of this.managerListeners) listener(managers);
  }
}

export class SessionInvalidError extends ControlError {
  constructor(message: string) {
    super('NOT_FOUND', message);
    this.name = 'SessionInvalidError';
  }
}

export class Dispatcher {
  private readonly sessions = new Map<string, NodeSession>();
  /** Nodes that were up when this dispatcher started, and when they must have registered by. */
  private readonly awaited = new Map<string, number>();
  private writer: StatusWriter | null = null;
  private hub: AssignmentHub | null = null;
  private endpointPublisher: EndpointPublisher | null = null;
  private sweepTimer: ClockTimer | null = null;
  private managersSignature = '';
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = (options.logger ?? silentLogger).child({ component: 'dispatcher' });
  }

  get running(): boolean {
    return this.writer !== null;
  }

  /** Sessions open now (for status and the benchmark). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The status transactions written so far. */
  get statusTransactions(): number {
    return this.writer?.transactions ?? 0;
  }

  /** The managers as nodes are told of them. */
  managers(): ManagerAddress[] {
    return this.options.managers();
  }

  /** The roots nodes trust now. */
  trust(): NodeTrust {
    return this.options.trust?.() ?? { trustedRoots: '', signingRoot: '' };
  }

  /** On becoming leader. */
  start(): void {
    if (this.running) return;
    const { store } = this.options;
    this.writer = new StatusWriter({
      store,
      clock: this.clock,
      logger: this.log,
      batchMs: this.options.statusBatchMs,
    });
    this.hub = new AssignmentHub({
      store,
      clock: this.clock,
      logger: this.log,
      batchMs: this.options.assignmentBatchMs,
    });
    this.hub.start();
    this.endpointPublisher = new EndpointPublisher({ store, clock: this.clock, logger: this.log });
    this.endpointPublisher.start();
    const deadline = this.clock.now() + this.graceMs();
    for (const node of store.list('node'))
      if (node.status.state !== 'down') this.awaited.set(node.id, deadline);
    this.managersSignature = this.sessionSignature();
    this.scheduleSweep();
    this.log.info('dispatcher started', { awaiting: this.awaited.size });
  }

  /** On losing leadership or shutting down: every session ends, telling nodes to go elsewhere. */
  async stop(leaderAddr?: string): Promise<void> {
    if (!this.running) return;
    const writer = this.writer!;
    const hub = this.hub!;
    const endpointPublisher = this.endpointPublisher!;
    this.writer = null;
    this.hub = null;
    this.endpointPublisher = null;
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    const reason = notLeader(leaderAddr);
    for (const session of this.sessions.values()) session.end(reason);
    this.sessions.clear();
    this.awaited.clear();
    await hub.stop();
    await endpointPublisher.stop();
    await writer.stop();
    this.log.info('dispatcher stopped');
  }

  /**
   * Opens a session for `nodeId` (proved by its certificate), replacing any older one, and marks
   * the node ready with its description; resolves once that is written.
   */
  async register(nodeId: string, description: NodeDescription, addr: string): Promise<NodeSession> {
    const writer = this.requireRunning();
    const node = this.options.store.get('node', nodeId);
    if (!node) throw new ControlError('PERMISSION_DENIED', `node ${nodeId} is not a member of this cluster`);
    this.sessions
      .get(nodeId)
      ?.end(new ControlError('ABORTED', 'a newer session of this node replaced this one'));
    const session = new NodeSession(
      randomBytes(12).toString('hex'),
      nodeId,
      this.clock.now() + this.graceMs(),
    );
    session.role = node.spec.role;
    this.sessions.set(nodeId, session);
    this.awaited.delete(nodeId);
    await writer.node(nodeId, { state: 'ready', addr, description, message: '' });
    if (session.ended) throw session.ended;
    this.log.debug('node registered', { nodeId, sessionId: session.id, addr });
    return session;
  }

  /** Extends the session; returns the period within which the next heartbeat is due. */
  heartbeat(nodeId: string, sessionId: string): number {
    const session = this.session(nodeId, sessionId);
    const period = this.periodMs();
    session.deadline = this.clock.now() + period * this.graceMultiplier();
    return Math.max(1, Math.round(period * (1 - HEARTBEAT_JITTER * this.random())));
  }

  /** The session `sessionId` of `nodeId`; SessionInvalidError when it is not the current one. */
  session(nodeId: string, sessionId: string): NodeSession {
    this.requireRunning();
    const session = this.sessions.get(nodeId);
    if (!session || session.id !== sessionId)
      throw new SessionInvalidError(
        `session ${sessionId} of node ${nodeId} is not open here; open a new session`,
      );
    return session;
  }

  /** Streams the node's assignments to `sink` until the returned function is called. */
  assignments(nodeId: string, sessionId: string, sink: AssignmentSink): () => void {
    this.session(nodeId, sessionId);
    return this.hub!.subscribe(nodeId, sink);
  }

  /** Streams the routing mesh's endpoint table to `sink` until the returned function is called. */
  endpoints(nodeId: string, sessionId: string, sink: EndpointSink): () => void {
    this.session(nodeId, sessionId);
    return this.endpointPublisher!.subscribe(nodeId, sink);
  }

  /**
   * Queues status moves reported by `nodeId`. Refused as a whole when one names a task of another
   * node or a state a worker does not own; a report for a task that is gone or has already moved
   * further is stale and dropped.
   */
  updateTaskStatus(
    nodeId: string,
    sessionId: string,
    updates: ReadonlyArray<{ taskId: string; status: TaskStatus }>,
  ): void {
    this.session(nodeId, sessionId);
    const writer = this.writer!;
    const { store } = this.options;
    updates.forEach(({ taskId, status }, i) => {
      const task = store.get('task', taskId);
      if (task && task.nodeId !== nodeId)
        throw new ControlError('PERMISSION_DENIED', `task ${taskId} is not assigned to node ${nodeId}`);
      if (taskStateRank(status.state) < ACCEPTED_RANK)
        throw new ValidationError(`updates[${i}].status.state`, `a worker cannot report ${status.state}`);
    });
    for (const { taskId, status } of updates) writer.task(nodeId, taskId, status);
  }

  private requireRunning(): StatusWriter {
    if (!this.writer) throw notLeader(undefined);
    return this.writer;
  }

  private scheduleSweep(): void {
    const every = Math.min(1_000, Math.max(10, Math.floor(this.periodMs() / 4)));
    const due = this.clock.now() + every;
    this.sweepTimer = this.clock.setTimer(every, () => {
      this.forgiveStall(this.clock.now() - due);
      this.sweep();
      if (this.running) this.scheduleSweep();
    });
  }

  /**
   * A sweep that runs late means this process was stalled (an overloaded host, a long pause):
   * heartbeats that arrived meanwhile could not be handled, so the nodes are not to blame. Every
   * deadline moves back by the stall instead of healthy nodes being marked down.
   */
  private forgiveStall(lateMs: number): void {
    if (lateMs < 100) return;
    this.log.warn('the dispatcher was stalled; extending every deadline', { stalledMs: lateMs });
    for (const session of this.sessions.values()) session.deadline += lateMs;
    for (const [nodeId, deadline] of this.awaited) this.awaited.set(nodeId, deadline + lateMs);
  }

  /** What a session message carries besides its ids: a change is sent to every session. */
  private sessionSignature(): string {
    return JSON.stringify([this.options.managers(), this.trust()]);
  }

  /**
   * Ends the sessions of nodes removed from the cluster (their certificates stay valid until they
   * expire, so the stream they hold must be cut here), expires sessions and awaited nodes past
   * their deadline, and tells sessions of new managers or roots.
   */
  private sweep(): void {
    const now = this.clock.now();
    const { store } = this.options;
    const removed = new Set(store.list('cluster')[0]?.removedNodes ?? []);
    for (const session of [...this.sessions.values()]) {
      const node = removed.has(session.nodeId) ? undefined : store.get('node', session.nodeId);
      if (node) {
        if (node.spec.role !== session.role) {
          session.role = node.spec.role;
          session.managersChanged(this.options.managers());
        }
        continue;
      }
      this.sessions.delete(session.nodeId);
      session.end(
        new ControlError('PERMISSION_DENIED', `node ${session.nodeId} has been removed from the cluster`),
      );
    }
    for (const session of [...this.sessions.values()]) {
      if (session.deadline > now) continue;
      this.sessions.delete(session.nodeId);
      session.end(new SessionInvalidError('heartbeat missed: the session expired; open a new session'));
      this.markDown(session.nodeId);
    }
    for (const [nodeId, deadline] of [...this.awaited]) {
      if (deadline > now) continue;
      this.awaited.delete(nodeId);
      this.markDown(nodeId);
    }
    const signature = this.sessionSignature();
    if (signature !== this.managersSignature) {
      this.managersSignature = signature;
      const managers = this.options.managers();
      for (const session of this.sessions.values()) session.managersChanged(managers);
    }
  }

  private markDown(nodeId: string): void {
    this.log.info('node missed its heartbeats: marking it down', { nodeId });
    this.writer?.node(nodeId, { state: 'down', message: 'heartbeat failure' }).catch((err: unknown) => {
      // Only when the dispatcher stops first; the next leader's grace period decides again.
      this.log.debug('marking a node down was not written', { nodeId, error: (err as Error).message });
    });
  }

  private graceMs(): number {
    return this.periodMs() * this.graceMultiplier();
  }

  private graceMultiplier(): number {
    return this.options.graceMultiplier ?? DEFAULT_GRACE_MULTIPLIER;
  }

  periodMs(): number {
    if (this.options.heartbeatPeriodMs !== undefined) return this.options.heartbeatPeriodMs;
    const [cluster] = this.options.store.list('cluster');
    return toMilliseconds(cluster?.spec.dispatcher?.heartbeatPeriod ?? DEFAULT_HEARTBEAT_PERIOD);
  }
}

export function notLeader(leaderAddr: string | undefined): UnavailableError {
  return new UnavailableError(
    'not-leader',
    leaderAddr
      ? `this manager is not the leader; the leader is at ${leaderAddr}`
      : 'this manager is not the leader',
    leaderAddr,
  );
}
