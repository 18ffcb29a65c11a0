// A task's healthcheck for the process executor: CMD or CMD-SHELL run as a local command every
// interval, with Docker's rules (timeout counts as a failure; failures during the start period do
// not count until the first success; `retries` consecutive failures make the task unhealthy).

import { spawn, type ChildProcess } from 'node:child_process';
import type { HealthConfig } from '../../api/index.js';
import { SECOND, toMilliseconds } from '../../api/index.js';
import type { Clock, ClockTimer } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { signalGroup } from './proc.js';
import type { LaunchSpec } from './task-files.js';

/** Docker's defaults (daemon/health.go). */
const DEFAULT_INTERVAL_MS = toMilliseconds(30 * SECOND);
const DEFAULT_TIMEOUT_MS = toMilliseconds(30 * SECOND);
const DEFAULT_START_INTERVAL_MS = toMilliseconds(5 * SECOND);
const DEFAULT_RETRIES = 3;

export interface Probe {
  file: string;
  args: string[];
}

export interface HealthSettings {
  probe: Probe;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  startIntervalMs: number;
}

/** The probe and timings of a spec's healthcheck, or null when it has none to run. */
export function healthSettings(config: HealthConfig | undefined): HealthSettings | null {
  const test = config?.test ?? [];
  let probe: Probe;
  // `[]` means "inherit from the image": there is no image here, so no healthcheck.
  if (test[0] === 'CMD' && test.length > 1) probe = { file: test[1] ?? '', args: test.slice(2) };
  else if (test[0] === 'CMD-SHELL' && test.length > 1)
    probe = { file: '/bin/sh', args: ['-c', test.slice(1).join(' ')] };
  else return null;
  const ms = (ns: number | undefined, fallback: number): number => (ns ? toMilliseconds(ns) : fallback);
  return {
    probe,
    intervalMs: ms(config?.interval, DEFAULT_INTERVAL_MS),
    timeoutMs: ms(config?.timeout, DEFAULT_TIMEOUT_MS),
    retries: config?.retries || DEFAULT_RETRIES,
    startPeriodMs: ms(config?.startPeriod, 0),
    startIntervalMs: ms(config?.startInterval, DEFAULT_START_INTERVAL_MS),
  };
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthMonitorOptions {
  settings: HealthSettings;
  /** Environment, directory and identity of the task: the probe runs as the task would. */
  launch: LaunchSpec;
  clock: Clock;
  logger: Logger;
}

/**
 * Runs the probe until stopped or unhealthy. `settled` resolves at the first healthy or
 * unhealthy verdict; `unhealthy` resolves only on unhealthy. Unlike Docker it stops probing once
 * unhealthy: the task then ends (FAILED) and is shut down, so there is no recovery to watch for.
 */
export class HealthMonitor {
  private statusNow: HealthStatus = 'starting';
  private failingStreak = 0;
  private startedAt = 0;
  private timer: ClockTimer | undefined;
  private probe: { child: ChildProcess; done: Promise<void> } | undefined;
  private stopped = false;
  private readonly waiters: Array<{ onHealthy: boolean; resolve: (s: HealthStatus) => void }> = [];

  constructor(private readonly options: HealthMonitorOptions) {}

  get status(): HealthStatus {
    return this.statusNow;
  }

  start(): void {
    this.startedAt = this.options.clock.now();
    this.schedule();
  }

  /** The first verdict: healthy or unhealthy (`starting` only if stopped before either). */
  settled(): Promise<HealthStatus> {
    if (this.statusNow !== 'starting' || this.stopped) return Promise.resolve(this.statusNow);
    return new Promise((resolve) => this.waiters.push({ onHealthy: true, resolve }));
  }

  /** Resolves when the task turns unhealthy (never, if it does not). */
  unhealthy(): Promise<void> {
    if (this.statusNow === 'unhealthy') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ onHealthy: false, resolve: () => resolve() }));
  }

  /** Stops probing; a probe in progress is killed and awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    const probe = this.probe;
    if (probe) {
      killProbe(probe.child);
      await probe.done;
    }
    // Waiters for a first verdict learn there will be none; unhealthy() waiters stay pending
    // (their owner races them with the task's exit, which stop() accompanies).
    for (const w of this.waiters.splice(0)) if (w.onHealthy) w.resolve(this.statusNow);
  }

  private inStartPeriod(): boolean {
    return this.options.clock.now() - this.startedAt < this.options.settings.startPeriodMs;
  }

  private schedule(): void {
    if (this.stopped) return;
    const s = this.options.settings;
    // Docker ≥ 25: probes run every startInterval during the start period.
    const delay = this.inStartPeriod() && this.statusNow === 'starting' ? s.startIntervalMs : s.intervalMs;
    this.timer = this.options.clock.setTimer(delay, () => {
      this.timer = undefined;
      void this.runProbe();
    });
  }

  private async runProbe(): Promise<void> {
    const ok = await this.probeOnce();
    if (this.stopped) return;
    if (ok) {
      this.failingStreak = 0;
      this.setStatus('healthy');
    } else if (!(this.inStartPeriod() && this.statusNow === 'starting')) {
      this.failingStreak += 1;
      if (this.failingStreak >= this.options.settings.retries) {
        this.setStatus('unhealthy');
        return;
      }
    }
    this.schedule();
  }

  private probeOnce(): Promise<boolean> {
    const { launch, settings, clock, logger } = this.options;
    return new Promise<boolean>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(settings.probe.file, settings.probe.args, {
          cwd: launch.cwd,
          env: launch.env,
          uid: launch.uid,
          gid: launch.gid,
          // Its own group, so a timeout kills what it started too.
          detached: true,
          stdio: 'ignore',
        });
      } catch (error) {
        logger.debug('healthcheck probe could not start', { err: error });
        resolve(false);
        return;
      }
      let timedOut = false;
      const timer = clock.setTimer(settings.timeoutMs, () => {
        timedOut = true;
        killProbe(child);
      });
      const done = new Promise<void>((settle) => {
        let finished = false;
        const finish = (ok: boolean): void => {
          if (finished) return;
          finished = true;
          timer.cancel();
          this.probe = undefined;
          settle();
          resolve(ok && !timedOut);
        };
        child.on('error', (error) => {
          logger.debug('healthcheck probe failed to run', { err: error });
          finish(false);
        });
        child.on('exit', (code) => finish(code === 0));
      });
      this.probe = { child, done };
    });
  }

  private setStatus(status: HealthStatus): void {
    if (status === this.statusNow) return;
    this.statusNow = status;
    this.options.logger.debug('health status', { status });
    const remaining = [];
    for (const w of this.waiters.splice(0)) {
      if (w.onHealthy || status === 'unhealthy') w.resolve(status);
      else remaining.push(w);
    }
    this.waiters.push(...remaining);
  }
}

function killProbe(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    signalGroup(child.pid, 'SIGKILL');
  } catch {
    // Already gone: nothing to kill.
  }
}
