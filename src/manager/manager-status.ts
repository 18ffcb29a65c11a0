// The leader-only loop that keeps managers' records current: it creates the Cluster object if it
// is missing, finishes a root CA rotation once every node has moved to the new root, promotes learners (joining managers) once they have caught up, removes managers
// demoted to worker from the Raft voters, and keeps each manager's Node object (managerStatus:
// leader, reachability, address) in line with Raft. A manager's status.state (ready, down) is
// the dispatcher's, from its heartbeats, as for every node (SwarmKit: reachability is Raft's view,
// the node state the dispatcher's).
// Deciding is pure (planManagerNodes); the ManagerStatusLoop class only samples and writes.

import {
  DEFAULT_ADDR_POOL,
  DEFAULT_DATA_PATH_PORT,
  DEFAULT_SUBNET_SIZE,
  withClusterDefaults,
  type Node,
} from '../api/index.js';
import type { ConfState, RaftNode, RaftStatus } from '../raft/index.js';
import { hostOf } from '../util/host.js';
import type { Logger } from '../util/logger.js';
import type { ApiStore } from './control/index.js';
import { newJoinToken, rootCADigest, type SigningCA } from '../ca/index.js';
import { planRotationFinish } from './root-rotation.js';
import type { DeepReadonly, StoreOperation, TransactionResult } from './store/index.js';
import type { ApiObjectTypes } from './control/index.js';

type NodeRecord = ApiObjectTypes['node'];
type Op = StoreOperation<ApiObjectTypes>;

/** A learner within this many entries of the leader's last index has caught up. */
export const CATCH_UP_SLACK = 5;

export interface ManagerPlanInput {
  nodes: ReadonlyArray<DeepReadonly<Node>>;
  conf: ConfState;
  leaderId: string;
  reachable: (id: string) => boolean;
}

/**
 * The writes that make the Node objects agree with the Raft membership: every voter has a Node
 * with role manager and a current managerStatus; a Node whose member left the membership loses
 * its managerStatus, becomes a worker and is marked down (it can then be removed).
 */
export function planManagerNodes(input: ManagerPlanInput): Op[] {
  const ops: Op[] = [];
  const byId = new Map(input.nodes.map((n) => [n.id, n]));
  for (const id of input.conf.voters) {
    const addr = input.conf.addresses[id] ?? '';
    const reachable = input.reachable(id);
    const managerStatus: Node['managerStatus'] = {
      leader: id === input.leaderId,
      reachability: reachable ? 'reachable' : 'unreachable',
      addr,
    };
    const current = byId.get(id);
    if (!current) {
      const object: NodeRecord = {
        id,
        meta: { version: { index: 0 }, createdAt: '', updatedAt: '' },
        spec: { role: 'manager', availability: 'active' },
        // Up or down is the dispatcher's call (its heartbeats), as for every node.
        status: { state: 'unknown', addr: hostOf(addr) },
        managerStatus,
      };
      ops.push({ op: 'create', kind: 'node', object });
      continue;
    }
    const m = current.managerStatus;
    if (
      m !== undefined &&
      m.leader === managerStatus.leader &&
      m.reachability === managerStatus.reachability &&
      m.addr === managerStatus.addr
    )
      continue;
    ops.push({
      op: 'update',
      kind: 'node',
      object: { ...current, managerStatus },
      expectedVersion: current.meta.version.index,
    });
  }
  const members = new Set([...input.conf.voters, ...input.conf.learners]);
  for (const n of input.nodes) {
    if (n.managerStatus === undefined || members.has(n.id)) continue;
    const { managerStatus: _gone, ...rest } = n;
    // A demoted node stays what it is (a worker); a manager that left is down until removed.
    const left = n.spec.role === 'manager';
    ops.push({
      op: 'update',
      kind: 'node',
      object: left
        ? {
            ...rest,
            spec: { ...n.spec, role: 'worker' },
            status: { ...n.status, state: 'down', message: 'left the Raft membership' },
          }
        : rest,
      expectedVersion: n.meta.version.index,
    });
  }
  return ops;
}

/** Members of the Raft membership whose Node was demoted to worker through the control API. */
export function demotedMembers(nodes: ReadonlyArray<DeepReadonly<Node>>, conf: ConfState): string[] {
  const members = new Set([...conf.voters, ...conf.learners]);
  return nodes.filter((n) => n.spec.role === 'worker' && members.has(n.id)).map((n) => n.id);
}

/** Learners that have acknowledged entries up to within CATCH_UP_SLACK of the leader's last index. */
export function caughtUpLearners(status: RaftStatus): string[] {
  return status.conf.learners.filter((id) => {
    // match 0: it has acknowledged nothing yet, however short the log is.
    const match = status.progress[id]?.match ?? 0;
    return match > 0 && match >= status.lastIndex - CATCH_UP_SLACK;
  });
}

/** The Node objects of the Raft membership's voters and learners (those that exist). */
function memberNodes(store: ApiStore, conf: ConfState): Array<DeepReadonly<Node>> {
  const nodes: Array<DeepReadonly<Node>> = [];
  for (const id of [...conf.voters, ...conf.learners]) {
    const found = store.get('node', id);
    if (found) nodes.push(found);
  }
  return nodes;
}

export interface ManagerStatusLoopOptions {
  store: ApiStore;
  node: RaftNode<TransactionResult>;
  clusterId: string;
  /** The founding manager's CA, to create the cluster object with (it then lives in the store). */
  signingCA?: SigningCA;
  /**
   * Deletes the founding manager's copy of the CA key on disk, once its store holds the cluster
   * object and the CA key in it (encrypted at rest with the rest of the Raft data, as Swarm keeps it).
   */
  forgetSigningKey?: () => Promise<void>;
  logger: Logger;
  /** Resync period; default 3 s. */
  intervalMs?: number;
  /** A member not heard from for this long is unreachable; default 3 s. */
  unreachableAfterMs?: number;
  /** A learner not caught up after this long is removed; default 2 min. */
  learnerCatchUpTimeoutMs?: number;
  now?: () => number;
}

export class ManagerStatusLoop {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** A pass was asked for while one ran: null for none, else whether it must be a full one. */
  private again: { full: boolean } | null = null;
  private ticks = 0;
  private stopped = false;
  private wasLeader = false;
  private forgotSigningKey = false;
  private readonly lastActive = new Map<string, number>();
  /** When this leader first saw each learner (its catch-up clock). */
  private readonly learnerSince = new Map<string, number>();
  private readonly onEvent = (): void => this.kick(true);

  constructor(private readonly options: ManagerStatusLoopOptions) {
    this.log = options.logger.child({ component: 'manager-status' });
  }

  start(): void {
    this.options.node.on('leader-change', this.onEvent);
    this.options.node.on('membership-change', this.onEvent);
    const interval = this.options.intervalMs ?? 3_000;
    // Sampled three times per interval, so reachability is judged from recent samples; the
    // samples in between look at the managers' Node objects only, and every third pass (as
    // every event) at all nodes, which with thousands of workers is what costs.
    this.timer = setInterval(() => this.kick(++this.ticks % 3 === 0), Math.max(20, Math.floor(interval / 3)));
    this.kick(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.node.off('leader-change', this.onEvent);
    this.options.node.off('membership-change', this.onEvent);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /**
   * Runs a pass soon (coalesced: at most one at a time, one more queued). A full pass reads every
   * Node; the others only those of Raft members.
   */
  kick(full = true): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = { full: full || this.again?.full === true };
      return;
    }
    this.running = this.pass(full)
      .catch((err: unknown) => {
        // Safe to drop: the next pass (event or timer) recomputes everything from the store.
        this.log.debug('manager status pass failed; will retry', { err });
      })
      .finally(() => {
        this.running = null;
        const again = this.again;
        this.again = null;
        if (again && !this.stopped) this.kick(again.full);
      });
  }

  /** One pass, awaited (tests and init use it to see the records written). */
  async reconcileNow(): Promise<void> {
    while (this.running) await this.running;
    await this.pass(true);
  }

  private async pass(full: boolean): Promise<void> {
    const { node, store } = this.options;
    // Once the store holds the CA (the key this copy was for, or a newer root's), the copy on disk
    // is only a risk; leader or not.
    if (this.options.forgetSigningKey && !this.forgotSigningKey) {
      const [cluster] = store.list('cluster');
      if (cluster?.rootCA !== undefined) {
        await this.options.forgetSigningKey();
        this.forgotSigningKey = true;
        this.log.info('the cluster object holds the CA key: removed the copy on disk');
      }
    }
    if (this.stopped || !node.isLeader()) {
      this.wasLeader = false;
      return;
    }
    const now = (this.options.now ?? Date.now)();
    const status = node.status();
    if (!this.wasLeader) {
      // A new leader has no history of who answered: give everyone a grace period.
      for (const id of status.conf.voters) this.lastActive.set(id, now);
      this.learnerSince.clear();
      this.wasLeader = true;
    }
    for (const [id, p] of Object.entries(status.progress)) if (p.recentActive) this.lastActive.set(id, now);
    this.lastActive.set(node.id, now);
    const unreachableAfter = this.options.unreachableAfterMs ?? 3_000;

    if (store.list('cluster').length === 0) await this.createCluster();
    if (full) await this.finishRootRotation();

    for (const id of caughtUpLearners(status)) {
      this.log.info('promoting a caught-up learner to voter', {
        node: id,
        match: status.progress[id]?.match,
      });
      await node.promote(id);
      this.learnerSince.delete(id);
    }
    // Catching up is bounded: a joiner that never gets there (gone, or far too slow) is removed
    // rather than left in the membership for ever; it can join again with a fresh data directory.
    const catchUpTimeout = this.options.learnerCatchUpTimeoutMs ?? 120_000;
    const caughtUp = new Set(caughtUpLearners(status));
    for (const id of status.conf.learners) {
      const since = this.learnerSince.get(id) ?? now;
      this.learnerSince.set(id, since);
      if (now - since <= catchUpTimeout || caughtUp.has(id)) continue;
      this.log.warn('removing a learner that did not catch up in time', {
        node: id,
        match: status.progress[id]?.match,
        lastIndex: status.lastIndex,
      });
      await node.removeMember(id);
      this.learnerSince.delete(id);
    }

    // Demotion through the control API (spec.role = worker): the Raft membership follows. The
    // leader itself hands over first; the new leader's loop then removes it.
    // A Node holds a managerStatus only as a member, or until the full pass after it left.
    const membership = node.membership();
    const nodes = full ? store.list('node') : memberNodes(store, membership);
    for (const id of demotedMembers(nodes, membership)) {
      if (id === node.id) {
        this.log.info('demoted: handing leadership over before leaving the voters');
        await node.transferLeadership();
        return;
      }
      this.log.info('removing a demoted manager from the Raft membership', { node: id });
      await node.removeMember(id);
    }

    const ops = planManagerNodes({
      nodes,
      conf: node.membership(), // after the removals above
      leaderId: node.id,
      reachable: (id) => now - (this.lastActive.get(id) ?? -Infinity) <= unreachableAfter,
    });
    // One transaction per node: a conflict on one (someone else updated it) does not block others.
    for (const op of ops) await store.update([op]);
  }

  /** Ends a root rotation once every node that is up holds a certificate of the new root. */
  private async finishRootRotation(): Promise<void> {
    const { store } = this.options;
    const [cluster] = store.list('cluster');
    if (!cluster?.rootCA?.rotation) return;
    const op = planRotationFinish(cluster, store.list('node'));
    if (!op) return;
    this.log.info('every node holds a certificate of the new root: finishing the root rotation');
    await store.update([op]);
  }

  private async createCluster(): Promise<void> {
    const { signingCA } = this.options;
    if (!signingCA) {
      // Only the founding manager holds the CA before the cluster object exists.
      this.log.warn('no cluster object, and no CA key on this manager to create it with');
      return;
    }
    this.log.info('writing the cluster object');
    const rootCA = {
      caCert: signingCA.certPem,
      caKey: signingCA.keyPem,
      caCertHash: rootCADigest(signingCA.certPem),
    };
    const manager = newJoinToken(signingCA.certPem);
    const worker = newJoinToken(signingCA.certPem);
    await this.options.store.update([
      {
        op: 'create',
        kind: 'cluster',
        object: {
          id: this.options.clusterId,
          spec: withClusterDefaults(),
          joinTokens: { worker, manager },
          rootCA,
          removedNodes: [],
          rootRotationInProgress: false,
          defaultAddrPool: [...DEFAULT_ADDR_POOL],
          subnetSize: DEFAULT_SUBNET_SIZE,
          dataPathPort: DEFAULT_DATA_PATH_PORT,
        },
      },
    ]);
  }
}
