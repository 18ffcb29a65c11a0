// One `docker events` stream per executor, shared by every runner waiting on its container:
// start, die, oom, health_status and destroy of task containers, dispatched by container id. It
// remembers what it saw of each container (so an event that arrives before a runner listens is
// not lost) and, after a reconnect, tells every listener to re-inspect (events may have been
// missed in between). Opened lazily, closed by close().

import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from '../../util/logger.js';
import type { HealthState } from '../executor.js';
import { ExecutorClosedError } from './engine-errors.js';

export type ContainerEvent =
  | { action: 'start'; containerId: string }
  | { action: 'die'; containerId: string; exitCode: number }
  | { action: 'oom'; containerId: string }
  | { action: 'health'; containerId: string; health: HealthState }
  | { action: 'destroy'; containerId: string };

/** What the stream saw of a container since it (re)connected. */
export interface SeenState {
  /** Set by die, cleared by start. */
  exitCode?: number;
  oomKilled: boolean;
  health: HealthState;
}

export interface ContainerListener {
  onEvent(event: ContainerEvent): void;
  /** The stream reconnected: events may have been missed, so look at the container again. */
  onResync(): void;
  /** The executor closed: stop waiting. */
  onClosed(error: Error): void;
}

export interface ContainerEventsOptions {
  docker: Dockerode;
  /** Label filters (`key` or `key=value`) every task container matches. */
  labelFilters: readonly string[];
  logger: Logger;
  /** Reconnect backoff bounds. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class ContainerEvents {
  private readonly listeners = new Map<string, Set<ContainerListener>>();
  private readonly seen = new Map<string, SeenState>();
  private stream: Readable | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Bumped on every (re)connection: state seen under an older epoch may have gaps. */
  private epochValue = 0;
  /** `timeNano` of the last event, to replay what a reconnect missed (`since`). */
  private lastEventNano: bigint | undefined;

  constructor(private readonly options: ContainerEventsOptions) {}

  get epoch(): number {
    return this.epochValue;
  }

  /** Resolves once the stream is open: every event from then on is seen. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new ExecutorClosedError());
    if (this.stream !== undefined) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** What the stream saw of the container since the current epoch began (undefined: nothing). */
  seenState(containerId: string): SeenState | undefined {
    return this.seen.get(containerId);
  }

  subscribe(containerId: string, listener: ContainerListener): () => void {
    if (this.closed) {
      listener.onClosed(new ExecutorClosedError());
      return () => {};
    }
    let set = this.listeners.get(containerId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(containerId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(containerId) === set) this.listeners.delete(containerId);
    };
  }

  /** Drops what was seen of a container the executor removed. */
  forget(containerId: string): void {
    this.seen.delete(containerId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.stream?.destroy();
    this.stream = undefined;
    await this.connecting?.catch(() => {});
    const error = new ExecutorClosedError();
    for (const set of this.listeners.values()) for (const listener of [...set]) listener.onClosed(error);
    this.listeners.clear();
    this.seen.clear();
  }

  private async connect(): Promise<void> {
    const filters = {
      type: ['container' as const],
      label: [...this.options.labelFilters],
      event: [...EVENT_FILTER],
    };
    const since = this.lastEventNano === undefined ? undefined : nanoToSince(this.lastEventNano);
    // @types/dockerode types `since` as a number; the engine takes `seconds.nanoseconds`.
    const query: Dockerode.GetEventsOptions =
      since === undefined ? { filters } : { filters, since: since as unknown as number };
    const stream = (await this.options.docker.getEvents(query)) as Readable;
    if (this.closed) {
      stream.destroy();
      throw new ExecutorClosedError();
    }
    this.stream = stream;
    const reconnecting = this.epochValue > 0;
    this.epochValue++;
    // Gaps are possible after a reconnect: what was seen before is no longer the whole story.
    if (reconnecting) this.seen.clear();
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') this.handleLine(line);
      }
    });
    stream.on('error', (error) => {
      this.options.logger.warn('docker events stream failed', { error });
    });
    stream.on('close', () => this.onStreamClosed(stream));
    if (reconnecting) {
      for (const set of [...this.listeners.values()]) for (const listener of [...set]) listener.onResync();
    }
  }

  private onStreamClosed(stream: Readable): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    if (this.closed) return;
    this.scheduleReconnect(this.options.minBackoffMs ?? 100);
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed || this.stream !== undefined) return;
      this.ready().catch((error: unknown) => {
        if (this.closed) return;
        this.options.logger.warn('cannot reopen the docker events stream; retrying', { error, delayMs });
        this.scheduleReconnect(Math.min(delayMs * 2, this.options.maxBackoffMs ?? 5_000));
      });
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private handleLine(line: string): void {
    let raw: RawEvent;
    try {
      raw = JSON.parse(line) as RawEvent;
    } catch (error) {
      this.options.logger.warn('unreadable docker event; ignored', { line, error });
      return;
    }
    if (typeof raw.timeNano === 'number') this.lastEventNano = BigInt(raw.timeNano);
    const event = toContainerEvent(raw);
    if (event === undefined) return;
    this.record(event);
    const set = this.listeners.get(event.containerId);
    if (set !== undefined) for (const listener of [...set]) listener.onEvent(event);
  }

  private record(event: ContainerEvent): void {
    if (event.action === 'destroy') {
      this.seen.delete(event.containerId);
      return;
    }
    const state = this.seen.get(event.containerId) ?? { oomKilled: false, health: 'none' };
    switch (event.action) {
      case 'start':
        // A new run: what the previous one ended with no longer holds.
        state.exitCode = undefined;
        state.oomKilled = false;
        state.health = 'none';
        break;
      case 'die':
        state.exitCode = event.exitCode;
        break;
      case 'oom':
        state.oomKilled = true;
        break;
      case 'health':
        state.health = event.health;
        break;
    }
    this.seen.set(event.containerId, state);
  }
}

/**
 * The engine matches `health_status` against `health_status: healthy` by prefix (moby #25798);
 * filtering here keeps the healthchecks' exec_create/exec_start events off the stream.
 */
const EVENT_FILTER = ['start', 'die', 'oom', 'health_status', 'destroy'];

interface RawEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
}

export function toContainerEvent(raw: RawEvent): ContainerEvent | undefined {
  const containerId = raw.Actor?.ID;
  if (raw.Type !== 'container' || containerId === undefined || raw.Action === undefined) return undefined;
  const action = raw.Action;
  if (action === 'start' || action === 'oom' || action === 'destroy') return { action, containerId };
  if (action === 'die') {
    const exitCode = Number(raw.Actor?.Attributes?.exitCode ?? '-1');
    return { action, containerId, exitCode: Number.isFinite(exitCode) ? exitCode : -1 };
  }
  if (action.startsWith('health_status')) {
    const status = action.slice(action.indexOf(':') + 1).trim();
    if (status === 'healthy' || status === 'unhealthy' || status === 'starting') {
      return { action: 'health', containerId, health: status };
    }
  }
  return undefined;
}

/** The engine's `since`: `seconds.nanoseconds`. */
function nanoToSince(nano: bigint): string {
  const seconds = nano / 1_000_000_000n;
  const rest = nano % 1_000_000_000n;
  return `${seconds}.${rest.toString().padStart(9, '0')}`;
}
