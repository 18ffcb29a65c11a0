// Time as a dependency: the manager's loops (restart delays, update delays and monitors,
// heartbeat grace) read and wait on a Clock, so deterministic tests can drive them with
// ManualClock instead of waiting for real time.

export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once, `ms` from now. */
  setTimer(ms: number, fn: () => void): ClockTimer;
}

/** setTimeout's largest delay; a larger one would fire at once (Node clamps it to 1 ms). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    // Delays beyond ~24.8 days (a certificate renewal 45 days out) are waited in legs.
    const due = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const left = due - Date.now();
      timer = setTimeout(left > MAX_TIMEOUT_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMEOUT_MS));
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that falls due, in due
 * order (ties in the order they were set), each seeing `now()` at its own due time.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextSeq = 0;
  private readonly timers = new Map<number, { due: number; seq: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): ClockTimer {
    const seq = this.nextSeq++;
    this.timers.set(seq, { due: this.current + Math.max(0, ms), seq, fn });
    return { cancel: () => this.timers.delete(seq) };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const until = this.current + Math.max(0, ms);
    for (;;) {
      let next: { due: number; seq: number; fn: () => void } | undefined;
      for (const t of this.timers.values())
        if (t.due <= until && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq)))
          next = t;
      if (!next) break;
      this.timers.delete(next.seq);
      this.current = next.due;
      next.fn();
    }
    this.current = until;
  }
}

/** How far the control loops move each periodic resync: a tenth of the interval, early or late. */
export const DEFAULT_RESYNC_JITTER = 0.1;

/**
 * `ms` moved by up to `fraction` of it, early or late, at random: periodic timers that many loops
 * arm at one moment (a new leader starting them all) do not stay in step.
 */
export function jittered(ms: number, fraction: number, random: () => number = Math.random): number {
  return ms + ms * Math.min(1, Math.max(0, fraction)) * (2 * random() - 1);
}
