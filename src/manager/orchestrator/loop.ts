// The driver every orchestration loop shares (DESIGN: level-triggered). Each pass reads the
// store, decides with pure functions and commits; watch events only say *when* to pass again,
// coalesced over a short delay, so a missed or duplicated event can never change an outcome.
// Every orchestration decision is about one service (its slots, its nodes, its rollout), so a
// pass woken by events about some services reads and decides over those services only, each
// from its whole current state: one service created among 10,000 tasks costs a read of that
// service, not of the store. Passes with no such scope (the first one, the periodic safety
// net, a node or the cluster changed, a deadline, a retry after a failure) cover every service.
// A pass may name a time to look again (a restart delay ending). stop() cancels every timer,
// closes the watch, aborts the pass in flight between transactions, and waits for it.

import {
  DEFAULT_RESYNC_JITTER,
  jittered,
  systemClock,
  type Clock,
  type ClockTimer,
} from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { ApiObjectTypes, ApiStore } from '../control/index.js';
import type { TypedStoreEvent, Watch, WatchFilter } from '../store/index.js';
import { commitUnits, DEFAULT_MAX_OPS_PER_TRANSACTION } from './commit.js';
import type { Plan } from './types.js';

export type ApiStoreEvent = TypedStoreEvent<ApiObjectTypes>;

/** The services a pass decides over: these ids (services or the serviceId of their tasks), or every one. */
export type PassScope = ReadonlySet<string> | 'all';

/**
 * The one service whose decisions a change can alter: a service's own id, a task's service.
 * Undefined for changes that can alter any service's (a node, the cluster, a task of none).
 */
export function serviceOfEvent(event: ApiStoreEvent): string | undefined {
  if (event.kind === 'service') return event.object.id;
  if (event.kind === 'task') return event.object.serviceId || undefined;
  return undefined;
}

/** What every orchestrator driver takes. */
export interface LoopOptions {
  store: ApiStore;
  clock?: Clock;
  logger?: Logger;
  /** Events are coalesced for this long before a pass (default 50 ms; the task reaper: 250 ms). */
  batchDelayMs?: number;
  /** A pass this often whatever happens (default 30 s). */
  resyncIntervalMs?: number;
  /**
   * Each resync comes up to this fraction of the interval early or late, at random (default 0.1),
   * so the loops' passes over every service, the costly ones in a large cluster, do not all fall
   * on one moment of the leader's thread.
   */
  resyncJitter?: number;
  /** Source of that randomness, in [0, 1) (tests fix it). */
  random?: () => number;
  /** After a failed pass (no leader, a timeout) or refused writes, the next one runs after this long (default 1 s). */
  retryDelayMs?: number;
  /** Operations per transaction (default CONTROLLER_OPS_PER_TRANSACTION, 1000). */
  maxOpsPerTransaction?: number;
}

export const DEFAULT_BATCH_DELAY_MS = 50;
export const DEFAULT_RESYNC_INTERVAL_MS = 30_000;
export const DEFAULT_RETRY_DELAY_MS = 1_000;

export interface LoopBehaviour {
  /** Component name for logs. */
  name: string;
  watch: WatchFilter;
  /** Whether this change may alter a decision. */
  wants(event: ApiStoreEvent): boolean;
  /**
   * How long to coalesce after this wanted event, when it should not wait the loop's batching
   * delay (the task reaper batches task churn but acts on a deleted service at once).
   */
  batchDelayFor?(event: ApiStoreEvent): number | undefined;
  /** Reads the store for the services in scope and decides, synchronously (one consistent read). */
  plan(now: number, scope: PassScope): Plan;
  /**
   * The watch broke and was reopened: events in between were missed. For loops that remember
   * what they saw between passes (the rolling updater's task history).
   */
  watchReset?(): void;
}

/** What every orchestrator driver shows of its ControlLoop: start, an awaited stop, counters. */
export abstract class LoopDriver {
  protected abstract readonly loop: ControlLoop;

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** A pass is running or due shortly (tests wait for this to clear). */
  get busy(): boolean {
    return this.loop.busy;
  }

  get passes(): number {
    return this.loop.passes;
  }
}

export class ControlLoop {
  readonly log: Logger;
  private readonly store: ApiStore;
  private readonly clock: Clock;
  private readonly batchDelayMs: number;
  private readonly resyncIntervalMs: number;
  private readonly resyncJitter: number;
  private readonly random: () => number;
  private readonly retryDelayMs: number;
  private readonly maxOps: number;
  private running = false;
  private abort: AbortController | null = null;
  private watch: Watch<ApiStoreEvent> | null = null;
  private following: Promise<void> | null = null;
  private passTimer: ClockTimer | null = null;
  private passDueAt = 0;
  private wakeTimer: ClockTimer | null = null;
  private wakeAt: number | null = null;
  private resyncTimer: ClockTimer | null = null;
  private inFlight: Promise<void> | null = null;
  private passAgain = false;
  private passCount = 0;
  /** What the next pass covers: the services named by events since the last one began. */
  private nextScope: Set<string> | 'all' = 'all';

  constructor(
    options: LoopOptions,
    private readonly behaviour: LoopBehaviour,
    defaults: { batchDelayMs?: number } = {},
  ) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: behaviour.name });
    this.batchDelayMs = options.batchDelayMs ?? defaults.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS;
    this.resyncIntervalMs = options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
    this.resyncJitter = options.resyncJitter ?? DEFAULT_RESYNC_JITTER;
    this.random = options.random ?? Math.random;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.maxOps = options.maxOpsPerTransaction ?? DEFAULT_MAX_OPS_PER_TRANSACTION;
  }

  /** Passes started so far. */
  get passes(): number {
    return this.passCount;
  }

  /** A pass is running or due after the batching delay (a wake-up for a later deadline is not counted). */
  get busy(): boolean {
    return this.inFlight !== null || this.passTimer !== null;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Follows the store and reconciles from it at once. */
  start(): void {
    if (this.running) throw new Error(`${this.behaviour.name}: already started`);
    this.running = true;
    this.abort = new AbortController();
    this.openWatch();
    this.following = this.follow();
    this.armResync();
    this.nextScope = 'all';
    this.runPass();
  }

  /** Stops between transactions and leaves no timer, watch or pass behind. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort?.abort();
    for (const timer of [this.passTimer, this.wakeTimer, this.resyncTimer]) timer?.cancel();
    this.passTimer = this.wakeTimer = this.resyncTimer = null;
    this.wakeAt = null;
    this.watch?.close();
    await this.following;
    await this.inFlight;
    this.following = null;
  }

  /**
   * Asks for a pass after `delayMs` (the batching delay by default); requests in between
   * coalesce into the earliest one asked for. What it covers is kept apart (widenScope).
   */
  private requestPass(delayMs = this.batchDelayMs): void {
    if (!this.running) return;
    const dueAt = this.clock.now() + delayMs;
    if (this.passTimer) {
      if (this.passDueAt <= dueAt) return;
      this.passTimer.cancel();
    }
    this.passDueAt = dueAt;
    this.passTimer = this.clock.setTimer(delayMs, () => {
      this.passTimer = null;
      this.runPass();
    });
  }

  /** Adds a service (undefined: every service) to what the next pass covers. */
  private widenScope(serviceId: string | undefined): void {
    if (this.nextScope === 'all') return;
    if (serviceId === undefined) this.nextScope = 'all';
    else this.nextScope.add(serviceId);
  }

  private runPass(): void {
    if (!this.running) return;
    if (this.inFlight) {
      this.passAgain = true;
      return;
    }
    this.inFlight = this.pass().finally(() => {
      this.inFlight = null;
      if (this.passAgain) {
        this.passAgain = false;
        this.requestPass();
      }
    });
  }

  private async pass(): Promise<void> {
    // Taken with the read below, synchronously: an event that arrives later names a change this
    // read may not include, and widens the next pass's scope instead.
    const scope = this.nextScope;
    this.nextScope = new Set();
    if (scope !== 'all' && scope.size === 0) return;
    this.passCount++;
    const signal = this.abort!.signal;
    try {
      const now = this.clock.now();
      const plan = this.behaviour.plan(now, scope);
      this.scheduleWake(plan.wakeAt);
      if (plan.units.length === 0) return;
      for (const unit of plan.units) this.log.debug(unit.reason, { ops: unit.ops.length });
      const outcome = await commitUnits(this.store, plan.units, {
        maxOps: this.maxOps,
        signal,
        log: this.log,
      });
      this.log.info('pass committed', { ...outcome, planned: plan.units.length });
      // Something changed under us: decide again from the newer state. Our own writes wake the
      // watch anyway; this covers a refusal that changed nothing we watch.
      if (outcome.refused > 0) {
        this.widenScope(undefined);
        this.requestPass(this.retryDelayMs);
      }
    } catch (err) {
      if (!this.running) return;
      // What was proposed may or may not have committed; the next pass reads what did.
      this.log.warn('pass failed; retrying', { err });
      this.widenScope(undefined);
      this.requestPass(this.retryDelayMs);
    }
  }

  /** Keeps one wake-up, at the earliest deadline the last pass named. */
  private scheduleWake(at: number | undefined): void {
    if (at === undefined || !this.running) return;
    if (this.wakeTimer && this.wakeAt !== null && this.wakeAt <= at) return;
    this.wakeTimer?.cancel();
    this.wakeAt = at;
    this.wakeTimer = this.clock.setTimer(Math.max(0, at - this.clock.now()), () => {
      this.wakeTimer = null;
      this.wakeAt = null;
      this.widenScope(undefined);
      this.runPass();
    });
  }

  private armResync(): void {
    const delay = jittered(this.resyncIntervalMs, this.resyncJitter, this.random);
    this.resyncTimer = this.clock.setTimer(delay, () => {
      this.resyncTimer = null;
      if (!this.running) return;
      this.widenScope(undefined);
      this.runPass();
      this.armResync();
    });
  }

  private openWatch(): void {
    this.watch?.close();
    // From the current version: every pass reads the store after this, so nothing is missed.
    this.watch = this.store.watch(this.behaviour.watch, { fromVersion: this.store.version });
  }

  /** Turns relevant events into pass requests until stopped; a broken watch is reopened. */
  private async follow(): Promise<void> {
    while (this.running) {
      const watch = this.watch!;
      try {
        for await (const event of watch) {
          if (!this.behaviour.wants(event)) continue;
          this.widenScope(serviceOfEvent(event));
          this.requestPass(this.behaviour.batchDelayFor?.(event));
        }
      } catch (err) {
        // Fell behind (overflow) or history is gone (a snapshot was restored).
        if (this.running) this.log.warn('store watch ended; reading the store again', { err });
      }
      if (!this.running) return;
      this.openWatch();
      this.behaviour.watchReset?.();
      this.widenScope(undefined);
      this.requestPass();
    }
  }
}
