// What the local Docker Engine does with the containers that carry a label: one `docker events`
// stream (create, start, die, destroy) keeps a per-container record with the engine's own event
// times, and a slow `docker ps` poll is a safety net should the stream miss anything. The converge
// bench uses it to time "N containers running" and "no container left" the same way for every
// system it compares, without loading the engine with fast polling.

import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';

/** Wall clock in milliseconds with a fraction: comparable with the engine's `timeNano`. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface TrackedContainer {
  id: string;
  labels: Record<string, string>;
  /** Engine event times (ms since the epoch). */
  createdMs?: number;
  startedMs?: number;
  diedMs?: number;
  destroyedMs?: number;
  running: boolean;
  present: boolean;
}

export interface Counts {
  running: number;
  present: number;
}

interface Waiter {
  what: string;
  cond: (counts: Counts) => boolean;
  resolve: (atMs: number) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const POLL_MS = 1_000;

export class EngineTracker {
  readonly containers = new Map<string, TrackedContainer>();
  private readonly waiters = new Set<Waiter>();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private buffered = '';

  private constructor(
    private readonly docker: Dockerode,
    private readonly labelFilters: string[],
    private readonly stream: Readable,
  ) {}

  /** Opens the events stream (every event from then on is seen), then starts the safety poll. */
  static async open(docker: Dockerode, labelFilters: string[]): Promise<EngineTracker> {
    const stream = (await docker.getEvents({
      filters: { type: ['container'], label: labelFilters, event: ['create', 'start', 'die', 'destroy'] },
    })) as Readable;
    const tracker = new EngineTracker(docker, labelFilters, stream);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => tracker.onData(chunk));
    stream.on('error', (err) => {
      if (!tracker.closed) console.log(`  docker events stream failed: ${String(err)}`);
    });
    tracker.schedulePoll();
    return tracker;
  }

  /** Counts by the events seen so far, optionally of the containers `filter` accepts. */
  counts(filter: (c: TrackedContainer) => boolean = () => true): Counts {
    let running = 0;
    let present = 0;
    for (const c of this.containers.values()) {
      if (!filter(c)) continue;
      if (c.running) running++;
      if (c.present) present++;
    }
    return { running, present };
  }

  /**
   * Resolves with the time (nowMs) at which `cond` first held, by the events or by a poll;
   * rejects after `timeoutMs` saying what was awaited.
   */
  until(what: string, cond: (counts: Counts) => boolean, timeoutMs: number): Promise<number> {
    if (cond(this.counts())) return Promise.resolve(nowMs());
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = {
        what,
        cond,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const c = this.counts();
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what} (events: ${c.running} running, ${c.present} present)`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Forgets what was seen (between phases, once the engine holds none of the label's containers). */
  reset(): void {
    this.containers.clear();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.pollTimer);
    this.stream.destroy();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`tracker closed while waiting for ${w.what}`));
    }
    this.waiters.clear();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) !== -1) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line !== '') this.onEvent(line);
    }
  }

  private onEvent(line: string): void {
    let raw: {
      Action?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
      timeNano?: number;
    };
    try {
      raw = JSON.parse(line) as typeof raw;
    } catch {
      console.log(`  unreadable docker event ignored: ${line.slice(0, 200)}`);
      return;
    }
    const id = raw.Actor?.ID;
    if (id === undefined || raw.Action === undefined) return;
    const atMs = typeof raw.timeNano === 'number' ? raw.timeNano / 1e6 : nowMs();
    let c = this.containers.get(id);
    if (c === undefined) {
      c = { id, labels: { ...raw.Actor?.Attributes }, running: false, present: true };
      this.containers.set(id, c);
    }
    switch (raw.Action) {
      case 'create':
        c.createdMs = atMs;
        break;
      case 'start':
        c.startedMs = atMs;
        c.running = true;
        break;
      case 'die':
        c.diedMs = atMs;
        c.running = false;
        break;
      case 'destroy':
        c.destroyedMs = atMs;
        c.running = false;
        c.present = false;
        break;
    }
    this.check(this.counts());
  }

  private check(counts: Counts): void {
    const at = nowMs();
    for (const w of [...this.waiters]) {
      if (!w.cond(counts)) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(at);
    }
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => {
      this.poll().then(
        () => this.schedulePoll(),
        (err: unknown) => {
          if (!this.closed) console.log(`  docker ps failed: ${String(err)}`);
          this.schedulePoll();
        },
      );
    }, POLL_MS);
  }

  private async poll(): Promise<void> {
    if (this.waiters.size === 0) return;
    const list = await this.docker.listContainers({ all: true, filters: { label: this.labelFilters } });
    this.check({ running: list.filter((c) => c.State === 'running').length, present: list.length });
  }
}
