// The allocator's driver (leader only): allocates every service's endpoint (published ports,
// automatic ones from 30000–32767) and then moves the tasks of allocated services from NEW to
// PENDING, where the scheduler takes over. Same lifecycle as the Scheduler: full read on
// start, watch-driven passes coalesced on the clock, periodic resync; level-triggered.

import type { Endpoint } from '../../api/index.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { changeOf, type ApiStore, type Stored } from '../control/context.js';
import type { DeepReadonly } from '../store/index.js';
import {
  commitInChunks,
  DEFAULT_BATCH_DELAY_MS,
  DEFAULT_MAX_OPS_PER_TRANSACTION,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_RETRY_DELAY_MS,
  ReconcileLoop,
  type ApiStoreEvent,
} from '../scheduler/index.js';
import { allocateEndpoints } from './ports.js';
import { isNewTask, tasksToPend } from './tasks.js';

export interface AllocatorOptions {
  store: ApiStore;
  clock?: Clock;
  logger?: Logger;
  /** Events are coalesced this long before a pass; default 50 ms. */
  batchDelayMs?: number;
  /** Full resync this often; default 60 s. */
  resyncIntervalMs?: number;
  /** Wait after a failed pass; default 1 s. */
  retryDelayMs?: number;
  /** Updates per transaction; default 250. */
  maxOpsPerTransaction?: number;
}

export interface AllocatorStats {
  passes: number;
  transactions: number;
  /** Endpoints written. */
  endpoints: number;
  /** Tasks moved to PENDING. */
  pending: number;
}

export class Allocator {
  private readonly store: ApiStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly maxOps: number;
  private readonly loop: ReconcileLoop;
  /** NEW tasks, latest version seen. */
  private newTasks = new Map<string, Stored<'task'>>();
  /** The last allocation failure logged per service, so each is logged once. */
  private readonly reportedFailures = new Map<string, string>();
  private readonly counters = { transactions: 0, endpoints: 0, pending: 0 };

  constructor(options: AllocatorOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'allocator' });
    this.maxOps = options.maxOpsPerTransaction ?? DEFAULT_MAX_OPS_PER_TRANSACTION;
    this.loop = new ReconcileLoop({
      store: this.store,
      clock: this.clock,
      log: this.log,
      watch: { kinds: ['service', 'task'] },
      batchDelayMs: options.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS,
      resyncIntervalMs: options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS,
      retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      resync: () => this.resync(),
      onEvent: (event) => this.onEvent(event),
      pass: () => this.pass(),
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  get stats(): AllocatorStats {
    return { passes: this.loop.passes, ...this.counters };
  }

  private resync(): void {
    this.newTasks = new Map();
    for (const task of this.store.list('task')) if (isNewTask(task)) this.newTasks.set(task.id, task);
  }

  private onEvent(event: ApiStoreEvent): boolean {
    if (event.kind === 'service') return true;
    if (event.kind !== 'task') return false;
    const task = event.object;
    if (event.type !== 'delete' && isNewTask(task)) {
      this.newTasks.set(task.id, task);
      return true;
    }
    this.newTasks.delete(task.id);
    return false;
  }

  private async pass(): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    const plan = allocateEndpoints(this.store.list('service'));
    this.reportFailures(plan.failures);

    // Each allocated service's endpoint as it is after this pass (tasks take a copy).
    const allocated = new Map<string, DeepReadonly<Endpoint> | undefined>(
      [...plan.allocated].map((id) => [id, this.store.get('service', id)?.endpoint]),
    );
    for (const { service, endpoint } of plan.updates)
      if (allocated.has(service.id)) allocated.set(service.id, endpoint);
    if (plan.updates.length > 0) {
      const result = await commitInChunks(
        this.store,
        plan.updates,
        ({ service, endpoint }) => changeOf('service', service, { ...service, endpoint }),
        this.maxOps,
      );
      this.counters.transactions += result.transactions;
      this.counters.endpoints += result.written.length;
      // The service changed meanwhile: its event brings another pass.
      for (const { item } of result.refused) allocated.delete(item.service.id);
    }

    const newTasks = this.newTasks;
    const transitions = tasksToPend(newTasks.values(), allocated, at);
    if (transitions.length === 0) return;
    const result = await commitInChunks(
      this.store,
      transitions,
      ({ task, updated }) => changeOf('task', task, updated),
      this.maxOps,
    );
    this.counters.transactions += result.transactions;
    this.counters.pending += result.written.length;
    for (const { item } of result.written) newTasks.delete(item.task.id);
    for (const { item } of result.refused) {
      const current = this.store.get('task', item.task.id);
      if (current && isNewTask(current)) newTasks.set(current.id, current);
      else newTasks.delete(item.task.id);
    }
    if (result.refused.length > 0) this.loop.requestPass();
    this.log.debug('allocation pass', {
      endpoints: plan.updates.length,
      pending: result.written.length,
      refused: result.refused.length,
      transactions: result.transactions,
    });
  }

  private reportFailures(failures: ReadonlyArray<{ service: Stored<'service'>; reason: string }>): void {
    const current = new Map(failures.map((f) => [f.service.id, f.reason]));
    for (const [id, reason] of current) {
      if (this.reportedFailures.get(id) === reason) continue;
      const service = failures.find((f) => f.service.id === id)!.service;
      this.log.warn("cannot allocate the service's endpoint; its tasks stay NEW", {
        serviceId: id,
        service: service.spec.name,
        reason,
      });
    }
    this.reportedFailures.clear();
    for (const [id, reason] of current) this.reportedFailures.set(id, reason);
  }
}
