// The lifecycle every leader-only controller loop shares (DESIGN: level-triggered): rebuild
// state from a full read of the store, follow the watch from the version read, coalesce
// events into passes after a short delay on the injected clock, run one pass at a time, and
// resync from scratch periodically and whenever the watch breaks. The Scheduler and the
// Allocator plug their state and their pass into it.

import { DEFAULT_RESYNC_JITTER, jittered, type Clock, type ClockTimer } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { ApiObjectTypes, ApiStore } from '../control/context.js';
import type { TypedStoreEvent, Watch, WatchFilter } from '../store/index.js';

export type ApiStoreEvent = TypedStoreEvent<ApiObjectTypes>;

export interface ReconcileLoopOptions {
  store: ApiStore;
  clock: Clock;
  log: Logger;
  watch: WatchFilter;
  /** Events are coalesced for this long before a pass runs. */
  batchDelayMs: number;
  /** A full resync (and pass) this often, as a safety net, moved by up to a tenth at random. */
  resyncIntervalMs: number;
  /** After a pass failed (no leader, a timeout), the next one runs after this long. */
  retryDelayMs: number;
  /** Rebuilds the loop's state from a full read of the store (synchronous: one consistent read). */
  resync(): void;
  /** Takes in one event; true if a pass is needed. */
  onEvent(event: ApiStoreEvent): boolean;
  /** One pass over the state. */
  pass(): Promise<void>;
}

export class ReconcileLoop {
  private running = false;
  private watch: Watch<ApiStoreEvent> | null = null;
  private watching: Promise<void> | null = null;
  private passTimer: ClockTimer | null = null;
  private resyncTimer: ClockTimer | null = null;
  private passInFlight: Promise<void> | null = null;
  private passAgain = false;
  private passCount = 0;

  constructor(private readonly options: ReconcileLoopOptions) {}

  /** Passes started so far (tests and logs). */
  get passes(): number {
    return this.passCount;
  }

  /** Reads the store, starts following it, and runs a first pass at once. */
  start(): void {
    if (this.running) throw new Error('already started');
    this.running = true;
    this.resyncAndWatch();
    this.watching = this.follow();
    this.armResync();
    this.runPass();
  }

  /** Stops following the store and waits for the pass in flight; leaves no timer behind. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.passTimer?.cancel();
    this.passTimer = null;
    this.resyncTimer?.cancel();
    this.resyncTimer = null;
    this.watch?.close();
    await this.watching;
    await this.passInFlight;
  }

  /** Asks for a pass after the batching delay (or `delayMs`); requests in between coalesce. */
  requestPass(delayMs = this.options.batchDelayMs): void {
    if (!this.running || this.passTimer) return;
    this.passTimer = this.options.clock.setTimer(delayMs, () => {
      this.passTimer = null;
      this.runPass();
    });
  }

  private runPass(): void {
    if (!this.running) return;
    if (this.passInFlight) {
      this.passAgain = true;
      return;
    }
    this.passInFlight = this.pass().finally(() => {
      this.passInFlight = null;
      if (this.passAgain) {
        this.passAgain = false;
        this.requestPass();
      }
    });
  }

  private async pass(): Promise<void> {
    this.passCount++;
    try {
      await this.options.pass();
    } catch (err) {
      // What was proposed may or may not have committed: start again from the store.
      this.options.log.warn('pass failed; resyncing from the store and retrying', { err });
      if (!this.running) return;
      this.resyncAndWatch();
      this.requestPass(this.options.retryDelayMs);
    }
  }

  /**
   * Rebuilds the state and follows the store from the version it reflects. Safe while a pass is
   * in flight: a pass works on the state it started with, and what it commits after this read
   * reaches the new state through the new watch.
   */
  private resyncAndWatch(): void {
    this.watch?.close();
    const { store } = this.options;
    this.options.resync();
    // The read above and this version are consistent: nothing is applied in between.
    this.watch = store.watch(this.options.watch, { fromVersion: store.version });
  }

  private armResync(): void {
    // Jittered like the orchestrators': full reads of a large store by every loop at one moment
    // would stall the leader's thread at once.
    const delay = jittered(this.options.resyncIntervalMs, DEFAULT_RESYNC_JITTER);
    this.resyncTimer = this.options.clock.setTimer(delay, () => {
      this.resyncTimer = null;
      if (!this.running) return;
      this.resyncAndWatch();
      this.runPass();
      this.armResync();
    });
  }

  /** Feeds watch events to the state until stopped; a broken watch means a resync. */
  private async follow(): Promise<void> {
    while (this.running) {
      const watch = this.watch!;
      try {
        for await (const event of watch) {
          if (this.options.onEvent(event)) this.requestPass();
        }
      } catch (err) {
        // Fell behind (overflow) or history is gone (a snapshot was restored): re-read all.
        if (!this.running || watch !== this.watch) continue;
        this.options.log.warn('store watch ended; resyncing', { err });
        this.resyncAndWatch();
        this.requestPass();
      }
      // Ended without an error: closed by stop(), or replaced by a resync (follow the new one).
      if (this.running && watch === this.watch) {
        this.options.log.warn('store watch closed unexpectedly; resyncing');
        this.resyncAndWatch();
        this.requestPass();
      }
    }
  }
}
