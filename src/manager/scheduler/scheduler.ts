// The scheduler's driver (leader only): keeps a SchedulerState current from the store's watch,
// runs a pass shortly after tasks become PENDING or nodes and resources change, and commits the
// pass's decisions (PENDING → ASSIGNED, or a "no suitable node" error) in few transactions.
// Level-triggered: started on a new leader, it reads the whole store and finishes whatever the
// previous one left half done.

import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { changeOf, type ApiStore, type Stored } from '../control/context.js';
import { commitInChunks, DEFAULT_MAX_OPS_PER_TRANSACTION } from './commit.js';
import type { SchedulingDecision } from './plan.js';
import { ReconcileLoop, type ApiStoreEvent } from './reconcile-loop.js';
import { hostPublishedPorts } from './requirements.js';
import { SchedulerState } from './state.js';

export interface SchedulerOptions {
  store: ApiStore;
  clock?: Clock;
  logger?: Logger;
  /** Events are coalesced this long before a pass; default 50 ms (SwarmKit's debounce gap). */
  batchDelayMs?: number;
  /** Full resync this often, as a safety net; default 60 s. */
  resyncIntervalMs?: number;
  /** Wait after a failed pass (no leader, timeout); default 1 s. */
  retryDelayMs?: number;
  /** Task updates per transaction; default 250. */
  maxOpsPerTransaction?: number;
}

export const DEFAULT_BATCH_DELAY_MS = 50;
export const DEFAULT_RESYNC_INTERVAL_MS = 60_000;
export const DEFAULT_RETRY_DELAY_MS = 1_000;

export interface SchedulerStats {
  passes: number;
  transactions: number;
  /** Tasks moved to ASSIGNED. */
  assigned: number;
  /** Updates the store refused (the task had changed): retried on a later pass. */
  conflicts: number;
}

export class Scheduler {
  private readonly store: ApiStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly maxOps: number;
  private readonly loop: ReconcileLoop;
  private state: SchedulerState;
  private readonly counters = { transactions: 0, assigned: 0, conflicts: 0 };

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'scheduler' });
    this.maxOps = options.maxOpsPerTransaction ?? DEFAULT_MAX_OPS_PER_TRANSACTION;
    this.state = new SchedulerState(this.hostPortsOf);
    this.loop = new ReconcileLoop({
      store: this.store,
      clock: this.clock,
      log: this.log,
      watch: { kinds: ['node', 'task'] },
      batchDelayMs: options.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS,
      resyncIntervalMs: options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS,
      retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      resync: () => this.resync(),
      onEvent: (event) => this.onEvent(event),
      pass: () => this.pass(),
    });
  }

  /** Reads the store, places what is pending, then follows changes. */
  start(): void {
    this.loop.start();
  }

  /** Stops following the store; waits for the pass in flight. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  get stats(): SchedulerStats {
    return { passes: this.loop.passes, ...this.counters };
  }

  private readonly hostPortsOf = (serviceId: string): readonly string[] => {
    const service = this.store.get('service', serviceId);
    if (!service) return [];
    return hostPublishedPorts(service.endpoint?.ports ?? service.spec.endpointSpec?.ports);
  };

  private resync(): void {
    this.state = SchedulerState.from(this.store.list('node'), this.store.list('task'), this.hostPortsOf);
  }

  private onEvent(event: ApiStoreEvent): boolean {
    let relevant = false;
    if (event.kind === 'task') {
      relevant =
        event.type === 'delete' ? this.state.deleteTask(event.object.id) : this.state.applyTask(event.object);
    } else if (event.kind === 'node') {
      if (event.type === 'delete') this.state.deleteNode(event.object.id);
      else this.state.setNode(event.object);
      // A node joining, becoming ready or active, or changing labels or resources.
      relevant = true;
    }
    return relevant && this.state.pendingCount > 0;
  }

  private async pass(): Promise<void> {
    // This pass works on the state it starts with, even if a resync replaces it meanwhile.
    const state = this.state;
    if (state.pendingCount === 0) return;
    const decisions = state.plan(new Date(this.clock.now()).toISOString());
    if (decisions.length === 0) return;

    // As SwarmKit: a placement made against an older version of the node than the store has
    // (the watch is behind) is dropped; the node's event will bring another pass.
    const current: SchedulingDecision[] = [];
    for (const decision of decisions) {
      if (decision.nodeId === undefined || this.nodeIsCurrent(state, decision.nodeId)) current.push(decision);
      else state.revert(decision, this.store.get('task', decision.task.id));
    }

    const result = await commitInChunks(
      this.store,
      current,
      (d) => changeOf('task', d.task, d.updated),
      this.maxOps,
    );
    let assigned = 0;
    for (const { item, object } of result.written) {
      state.applyTask(object as Stored<'task'>);
      if (item.nodeId !== undefined) assigned++;
    }
    for (const { item, error } of result.refused) {
      this.log.debug('task changed before its placement committed; retrying', {
        taskId: item.task.id,
        err: error,
      });
      state.revert(item, this.store.get('task', item.task.id));
    }
    this.counters.transactions += result.transactions;
    this.counters.assigned += assigned;
    this.counters.conflicts += result.refused.length;
    this.log.debug('scheduling pass', {
      assigned,
      unplaceable: result.written.length - assigned,
      refused: result.refused.length,
      transactions: result.transactions,
    });
    if (result.refused.length > 0 || current.length < decisions.length) this.loop.requestPass();
  }

  private nodeIsCurrent(state: SchedulerState, nodeId: string): boolean {
    const stored = this.store.get('node', nodeId);
    const viewed = state.view.node(nodeId)?.node;
    return (
      stored !== undefined && viewed !== undefined && stored.meta.version.index === viewed.meta.version.index
    );
  }
}
