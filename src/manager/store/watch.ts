// The watch stream: a bounded log of recent changes in commit order, read by any number of
// watchers through their own cursors. A watch resumed from a retained version replays what
// followed it and then follows live changes; the apply path only appends and wakes, it never
// waits for a watcher. A watcher that falls so far behind that an event it wanted is discarded
// ends with WatchOverflowError; one that asks for discarded history gets CompactedError.

import { CompactedError, WatchOverflowError } from './errors.js';
import { matchesWatchFilter } from './filters.js';
import type { StoreEvent, WatchFilter } from './types.js';

export interface EventLogOptions {
  /** How many recent events are retained for resuming watches (and so how far a watcher may lag). */
  maxEvents?: number;
}

export interface WatchOptions {
  /** Replay the retained events after this version first; without it, only changes from now on. */
  fromVersion?: number;
  /** Closes the watch (the iteration ends) when aborted. */
  signal?: AbortSignal;
}

export const DEFAULT_MAX_EVENTS = 100_000;

export class EventLog {
  private readonly capacity: number;
  /** A ring: the event with sequence number s is at ring[s % capacity]. */
  private readonly ring: Array<StoreEvent | undefined> = [];
  /** Retained events have sequence numbers in [firstSeq, nextSeq). */
  private firstSeq = 0;
  private nextSeq = 0;
  /** Changes at or before this version may have been discarded. */
  private compactedThrough: number;
  private currentVersion: number;
  private readonly watchers = new Set<Watcher>();

  constructor(options: EventLogOptions = {}, version = 0) {
    this.capacity = Math.max(1, options.maxEvents ?? DEFAULT_MAX_EVENTS);
    this.compactedThrough = this.currentVersion = version;
  }

  /** The oldest version a watch can resume from. */
  get oldestVersion(): number {
    return this.compactedThrough;
  }

  get version(): number {
    return this.currentVersion;
  }

  get size(): number {
    return this.nextSeq - this.firstSeq;
  }

  /** Records that `version` was applied with these changes (possibly none). */
  append(version: number, events: readonly StoreEvent[]): void {
    this.currentVersion = version;
    if (events.length === 0) return;
    for (const event of events) {
      if (this.nextSeq - this.firstSeq === this.capacity) this.evictOldest();
      this.ring[this.nextSeq % this.capacity] = event;
      this.nextSeq++;
    }
    for (const watcher of this.watchers) watcher.wake();
  }

  /**
   * Forgets all history: the store's state jumped to `version` (a snapshot was restored), so every
   * open watcher missed changes and ends with CompactedError.
   */
  reset(version: number): void {
    for (const watcher of [...this.watchers]) watcher.fail(new CompactedError(watcher.lastVersion, version));
    this.ring.length = 0;
    this.firstSeq = this.nextSeq = 0;
    this.compactedThrough = this.currentVersion = version;
  }

  /** Throws CompactedError if changes after `fromVersion` are no longer all retained. */
  watch(filter: WatchFilter = {}, options: WatchOptions = {}): Watch {
    const { fromVersion } = options;
    if (fromVersion !== undefined && fromVersion < this.compactedThrough)
      throw new CompactedError(fromVersion, this.compactedThrough);
    const start = fromVersion === undefined ? this.nextSeq : this.firstSeqAfter(fromVersion);
    const watcher = new Watch(this, filter, start, fromVersion ?? this.currentVersion);
    this.watchers.add(watcher);
    if (options.signal) watcher.closeOn(options.signal);
    return watcher;
  }

  /** @internal The next event at or after `seq` that the watcher wants, advancing its cursor. */
  take(watcher: Watcher): StoreEvent | undefined {
    while (watcher.cursor < this.nextSeq) {
      const event = this.ring[watcher.cursor++ % this.capacity]!;
      if (event.version > watcher.after && matchesWatchFilter(event, watcher.filter)) return event;
    }
    return undefined;
  }

  /** @internal */
  unregister(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  private evictOldest(): void {
    const seq = this.firstSeq;
    const event = this.ring[seq % this.capacity]!;
    this.ring[seq % this.capacity] = undefined;
    this.firstSeq++;
    this.compactedThrough = Math.max(this.compactedThrough, event.version);
    for (const watcher of this.watchers) {
      if (watcher.cursor > seq) continue;
      // Unread by this watcher: harmless if it would have skipped the event, fatal otherwise.
      if (event.version > watcher.after && matchesWatchFilter(event, watcher.filter))
        watcher.fail(new WatchOverflowError(watcher.lastVersion, this.capacity));
      else watcher.cursor = seq + 1;
    }
  }

  /** The sequence number of the first retained event with a version above `version`. */
  private firstSeqAfter(version: number): number {
    let lo = this.firstSeq;
    let hi = this.nextSeq;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.ring[mid % this.capacity]!.version <= version) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What the log needs of a subscriber. */
interface Watcher {
  cursor: number;
  /** Events at or before this version are not wanted (a watch from a version not reached yet). */
  readonly after: number;
  lastVersion: number;
  readonly filter: WatchFilter;
  fail(error: Error): void;
  wake(): void;
}

/**
 * One subscriber: an async iterator of the events that match its filter, in commit order. Ends
 * when closed (close(), `break` in for-await, the abort signal) and throws when it cannot go on
 * without missing changes (WatchOverflowError, CompactedError).
 */
export class Watch<E = StoreEvent> implements AsyncIterableIterator<E>, Watcher {
  /** @internal Sequence number of the next event to look at. */
  cursor: number;
  /** The version of the last event delivered (or the version the watch started after). */
  lastVersion: number;
  /** @internal */
  readonly after: number;
  private error: Error | null = null;
  private closed = false;
  private waiters: Array<() => void> = [];
  private abortCleanup: (() => void) | null = null;

  /** @internal Created by EventLog.watch. */
  constructor(
    private readonly log: EventLog,
    readonly filter: WatchFilter,
    cursor: number,
    lastVersion: number,
  ) {
    this.cursor = cursor;
    this.lastVersion = this.after = lastVersion;
  }

  async next(): Promise<IteratorResult<E, undefined>> {
    for (;;) {
      if (this.error) {
        const error = this.error;
        this.error = null;
        throw error;
      }
      if (this.closed) return { done: true, value: undefined };
      const event = this.log.take(this);
      if (event) {
        this.lastVersion = event.version;
        return { done: false, value: event as E };
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async return(): Promise<IteratorResult<E, undefined>> {
    this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Stops the watch; a pending next() resolves with done. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.unregister(this);
    this.abortCleanup?.();
    this.abortCleanup = null;
    this.wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal Ends the watch with an error, delivered by the next next(). */
  fail(error: Error): void {
    if (this.closed) return;
    this.error = error;
    this.close();
  }

  /** @internal */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** @internal */
  closeOn(signal: AbortSignal): void {
    if (signal.aborted) return this.close();
    const onAbort = (): void => this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    this.abortCleanup = () => signal.removeEventListener('abort', onAbort);
  }
}
