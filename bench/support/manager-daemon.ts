// One manager as its own process for a benchmark: src/daemon/main.ts forked from dist/ (the
// process `flotilla` runs), optionally under `--cpu-prof`; its pid for /proc readings, its CPU
// time and memory from /proc, and a bounded stop (SIGTERM first, so a profile gets written).

import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonConfig, DaemonReport } from '../../src/daemon/main.js';
import { findProjectRoot, raceTimeout } from '../support.js';

export const daemonScript = join(findProjectRoot(), 'dist', 'src', 'daemon', 'main.js');

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const KILL_TIMEOUT_MS = 5_000;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (`getconf CLK_TCK`; 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/**
 * Run-queue wait of a process's main thread (its JavaScript thread) from /proc/<pid>/schedstat, in
 * ms: time it was runnable but waited for a CPU. Its growth over a window says how much of the
 * latency there comes from other processes taking the cores.
 */
export async function runQueueWaitMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/schedstat`, 'utf8')).trim().split(' ');
  const waitNs = Number(fields[1]);
  if (!Number.isFinite(waitNs)) throw new Error(`cannot read the run-queue wait from /proc/${pid}/schedstat`);
  return waitNs / 1e6;
}

export interface ProcessCpu {
  /** user + system CPU time, in ms. */
  cpuMs: number;
  /** When it was read (performance.now() of this process). */
  atMs: number;
}

export class ManagerDaemon {
  id = '';
  address = '';
  /** stderr and stdout lines (the manager's warn/error log), counted; the last 40 kept. */
  outputLines = 0;
  readonly outputTail: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDescription: string | null = null;

  constructor(
    readonly config: DaemonConfig,
    execArgv: string[] = [],
  ) {
    this.child = fork(daemonScript, [JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv,
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = chunk.split('\n').filter((l) => l !== '');
        this.outputLines += lines.length;
        this.outputTail.push(...lines);
        if (this.outputTail.length > 40) this.outputTail.splice(0, this.outputTail.length - 40);
      });
      stream?.on('error', (err) => console.log(`  manager: output stream failed: ${String(err)}`));
    }
    this.child.on('error', (err) => console.log(`  manager: ${String(err)}`));
    this.child.once('exit', (code, signal) => {
      this.exitDescription = `exited (code ${code}, signal ${signal})`;
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the manager process did not start');
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitDescription === null;
  }

  /** Resolves once the daemon reports ready; rejects with its output if it fails or exits first. */
  async ready(): Promise<void> {
    const report = await new Promise<DaemonReport>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the manager did not report ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      this.child.once('message', (m) => {
        clearTimeout(timer);
        resolve(m as DaemonReport);
      });
      this.child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`the manager ${this.exitDescription} before ready:\n${this.outputTail.join('\n')}`));
      });
    });
    if (!report.ready)
      throw new Error(`the manager failed to start: ${'error' in report ? report.error : 'it is locked'}`);
    this.id = report.id;
    this.address = report.address;
  }

  /** utime + stime from /proc/<pid>/stat. */
  async cpu(): Promise<ProcessCpu> {
    const stat = await readFile(`/proc/${this.pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15: utime, stime
    if (!Number.isFinite(ticks)) throw new Error(`cannot read utime/stime from /proc/${this.pid}/stat`);
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_S, atMs: performance.now() };
  }

  /** Current (VmRSS) and peak (VmHWM) resident memory from /proc/<pid>/status, in MiB. */
  async memory(): Promise<{ rssMb: number; peakRssMb: number }> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const kib = (field: string): number => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      if (!match) throw new Error(`no ${field} in /proc/${this.pid}/status`);
      return Number(match[1]) / 1024;
    };
    return { rssMb: kib('VmRSS'), peakRssMb: kib('VmHWM') };
  }

  /** SIGTERM (a clean Manager.stop, and the profile written), then SIGKILL after a bound. */
  async stop(): Promise<void> {
    if (this.exitDescription) return;
    this.child.kill('SIGTERM');
    if ((await raceTimeout(this.exited, STOP_TIMEOUT_MS)) !== 'timeout') return;
    console.log(`  the manager did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM: SIGKILL`);
    this.child.kill('SIGKILL');
    if ((await raceTimeout(this.exited, KILL_TIMEOUT_MS)) === 'timeout')
      console.log(`  the manager (pid ${this.child.pid}) still running ${KILL_TIMEOUT_MS} ms after SIGKILL`);
  }
}
