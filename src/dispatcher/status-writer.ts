// The dispatcher's only path into the Raft log: task status moves reported by workers and node
// up/down transitions, gathered for a short window (100 ms by default) and written in few
// transactions, as SwarmKit's dispatcher batches them. Heartbeats never come here; only their
// consequences (a node marked down) do. Each object is re-read at flush time, so a report that
// has become stale meanwhile (the task moved on, was deleted or reassigned) is dropped, and an
// update refused for a version conflict is tried again on the next flush.

import { isDeepStrictEqual } from 'node:util';
import {
  movesForward,
  type Node,
  type NodeDescription,
  type NodeState,
  type TaskStatus,
} from '../api/index.js';
import { changeOf, type ApiOperation, type ApiStore } from '../manager/control/index.js';
import { commitInChunks } from '../manager/scheduler/commit.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

export const DEFAULT_STATUS_BATCH_MS = 100;

interface PendingTask {
  nodeId: string;
  status: TaskStatus;
}

export interface NodeStatusChange {
  state: NodeState;
  message?: string;
  /** Set on registration: the address the node connected from. */
  addr?: string;
  description?: NodeDescription;
}

interface PendingNode {
  change: NodeStatusChange;
  /** Callers waiting for the change to be written (registration waits for it). */
  waiters: Array<{ resolve: () => void; reject: (err: Error) => void }>;
}

type Item =
  { kind: 'task'; id: string; pending: PendingTask } | { kind: 'node'; id: string; pending: PendingNode };

export interface StatusWriterOptions {
  store: ApiStore;
  clock?: Clock;
  logger?: Logger;
  batchMs?: number;
}

export class StatusWriter {
  private readonly tasks = new Map<string, PendingTask>();
  private readonly nodes = new Map<string, PendingNode>();
  private timer: ClockTimer | null = null;
  private flushing: Promise<void> | null = null;
  private stopped = false;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly batchMs: number;
  /** Transactions written so far (for tests and the benchmark). */
  transactions = 0;

  constructor(private readonly options: StatusWriterOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'status-writer' });
    this.batchMs = options.batchMs ?? DEFAULT_STATUS_BATCH_MS;
  }

  /** Queues a task's new status; of several for one task before a flush, the furthest wins. */
  task(nodeId: string, taskId: string, status: TaskStatus): void {
    if (this.stopped) return;
    const queued = this.tasks.get(taskId);
    if (queued && !movesForward(queued.status.state, status.state) && queued.status.state !== status.state)
      return;
    this.tasks.set(taskId, { nodeId, status });
    this.schedule();
  }

  /** Queues a node's state change; resolves once it is written (rejects if it cannot be). */
  node(nodeId: string, change: NodeStatusChange): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('dispatcher stopped'));
    return new Promise<void>((resolve, reject) => {
      const queued = this.nodes.get(nodeId);
      // A later change replaces an earlier one, keeping what only the earlier one carried.
      const change2 = queued ? { ...queued.change, ...change } : change;
      const waiters = queued?.waiters ?? [];
      waiters.push({ resolve, reject });
      this.nodes.set(nodeId, { change: change2, waiters });
      this.schedule();
    });
  }

  /**
   * Writes what is queued (once; what that cannot write is dropped) and takes nothing new. A
   * worker forgets a report once a manager has taken it, so dropping the queue here would lose
   * moves for good: a task that completed would stay RUNNING in the store.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.flushing;
    if (this.tasks.size > 0 || this.nodes.size > 0) await this.flush();
    for (const pending of this.nodes.values())
      for (const w of pending.waiters) w.reject(new Error('dispatcher stopped'));
    this.nodes.clear();
    this.tasks.clear();
  }

  private schedule(): void {
    if (this.timer || this.flushing) return;
    this.timer = this.clock.setTimer(this.batchMs, () => {
      this.timer = null;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (!this.stopped && (this.tasks.size > 0 || this.nodes.size > 0)) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const items: Item[] = [
      ...[...this.nodes].map(([id, pending]): Item => ({ kind: 'node', id, pending })),
      ...[...this.tasks].map(([id, pending]): Item => ({ kind: 'task', id, pending })),
    ];
    this.nodes.clear();
    this.tasks.clear();
    const writable: Array<{ item: Item; op: ApiOperation }> = [];
    for (const item of items) {
      const op = this.operation(item);
      if (op) writable.push({ item, op });
      else if (item.kind === 'node') for (const w of item.pending.waiters) w.resolve();
    }
    if (writable.length === 0) return;
    try {
      const result = await commitInChunks(this.options.store, writable, (w) => w.op);
      this.transactions += result.transactions;
      for (const { item } of result.written)
        if (item.item.kind === 'node') for (const w of item.item.pending.waiters) w.resolve();
      // Refused: the object changed under us. Queued again, it is re-read on the next flush.
      for (const { item } of result.refused) this.requeue(item.item);
    } catch (err) {
      // No leader, a timeout: the outcome is unknown. Everything is queued again; a write that
      // did land makes its retry a no-op (the status no longer moves forward).
      this.log.warn('status write failed; retrying', { error: (err as Error).message });
      for (const { item } of writable) this.requeue(item);
    }
  }

  private requeue(item: Item): void {
    if (this.stopped) {
      if (item.kind === 'node')
        for (const w of item.pending.waiters) w.reject(new Error('dispatcher stopped'));
      return;
    }
    if (item.kind === 'task') {
      if (!this.tasks.has(item.id)) this.tasks.set(item.id, item.pending);
    } else {
      const newer = this.nodes.get(item.id);
      if (newer) newer.waiters.push(...item.pending.waiters);
      else this.nodes.set(item.id, item.pending);
    }
  }

  /** The update that applies an item to the object as stored now, or null when there is none. */
  private operation(item: Item): ApiOperation | null {
    const store = this.options.store;
    if (item.kind === 'task') {
      const task = store.get('task', item.id);
      // Deleted (reaped), or moved to another node: the report no longer applies.
      if (!task || task.nodeId !== item.pending.nodeId) return null;
      if (!movesForward(task.status.state, item.pending.status.state)) return null;
      // A report resent after its answer was lost: nothing to write. A report in the same state
      // that carries something new (a later timestamp, a message) is still written.
      if (isDeepStrictEqual(task.status, item.pending.status)) return null;
      return changeOf('task', task, { ...task, status: item.pending.status });
    }
    const node = store.get('node', item.id);
    if (!node) return null;
    const { change } = item.pending;
    const status: Node['status'] = {
      state: change.state,
      addr: change.addr ?? node.status.addr,
      ...(change.message ? { message: change.message } : {}),
    };
    const description = change.description ?? node.description;
    const unchanged =
      node.status.state === status.state &&
      node.status.addr === status.addr &&
      (node.status.message ?? '') === (status.message ?? '') &&
      change.description === undefined;
    if (unchanged) return null;
    return changeOf('node', node, { ...node, status, ...(description ? { description } : {}) });
  }
}
