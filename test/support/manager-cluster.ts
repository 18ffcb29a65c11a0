// Helpers for manager tests: temporary data directories, 127.0.0.x addresses on a random port,
// fast Raft timings, polling with a bounded deadline, and managers as real processes
// (ManagerProcesses, like kv-cluster.ts does for the Raft example).

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { channelCredentials, readNodeCertificates, type NodeCertificates } from '../../src/ca/index.js';
import type { ManagerTuning } from '../../src/manager/index.js';
import { callUnlock } from '../../src/manager/locked-service.js';
import { CONTROL_SOCKET } from '../../src/manager/manager.js';
import type { DaemonConfig, DaemonReport } from '../../src/daemon/main.js';
import { callLeave } from '../../src/manager/membership-service.js';
import { waitUntil as waitFor } from './wait.js';
import type { ServiceSpec } from '../../src/api/index.js';

export const FAST: ManagerTuning = {
  heartbeatMs: 20,
  electionMs: 200,
  statusIntervalMs: 150,
  unreachableAfterMs: 1_000,
};

export class TestDirs {
  private constructor(readonly root: string) {}

  static async create(prefix = 'flotilla-mgr-'): Promise<TestDirs> {
    return new TestDirs(await mkdtemp(join(tmpdir(), prefix)));
  }

  dir(name: string): string {
    return join(this.root, name);
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Addresses 127.0.0.(base+n):port on one random port, so parallel test files rarely clash. */
export function addresses(base: number): (n: number) => string {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  return (n) => `127.0.0.${base + n}:${port}`;
}

/** A minimal replicated service spec for the manager tests. */
export function serviceSpec(name: string): ServiceSpec {
  return {
    name,
    taskTemplate: { containerSpec: { image: 'nginx:1.27' } },
    mode: { replicated: { replicas: 1 } },
  };
}

/** waitUntil that treats a failing probe (a manager still starting or just killed) as "not yet". */
export function waitUntil(
  what: string,
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  return waitFor(what, cond, timeoutMs, { retryOnError: true, intervalMs: 20 });
}

// ---- real processes (src/daemon/main.ts, compiled to dist/) ---------------------------

const here = dirname(fileURLToPath(import.meta.url));
/** The project root, whether this file runs from test/support or dist/test/support. */
const root = [resolve(here, '../..'), resolve(here, '../../..')].find((p) =>
  existsSync(join(p, 'package.json')),
)!;
const daemonScript = join(root, 'dist/src/daemon/main.js');

interface Daemon {
  config: DaemonConfig;
  child: ChildProcess | null;
  exited: Promise<void>;
  id: string;
  address: string;
  outputTail: string[];
}

/** spawn() found the manager autolocked: it serves only Unlock until ManagerProcesses.unlock. */
export class ManagerLockedError extends Error {
  constructor(readonly managerName: string) {
    super(`manager ${managerName} is locked (autolock): unlock it with the cluster's unlock key`);
    this.name = 'ManagerLockedError';
  }
}

/** Manager processes by name; stop() kills every one still running and removes their data. */
export class ManagerProcesses {
  readonly daemons = new Map<string, Daemon>();

  constructor(readonly dirs: TestDirs) {
    if (!existsSync(daemonScript))
      throw new Error(`${daemonScript} is missing: run 'npx tsc -p tsconfig.json' first (npm test does)`);
  }

  /** Starts a manager process and waits until it reports ready (or fails with its output). */
  async spawn(name: string, config: Omit<DaemonConfig, 'dataDir'>): Promise<Daemon> {
    const full: DaemonConfig = { dataDir: this.dirs.dir(name), ...config };
    const child = fork(daemonScript, [JSON.stringify(full)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const daemon: Daemon = {
      config: full,
      child,
      exited: new Promise((res) => child.once('exit', () => res())),
      id: '',
      address: '',
      outputTail: [],
    };
    this.daemons.set(name, daemon);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        daemon.outputTail.push(...chunk.split('\n').filter((l) => l !== ''));
        if (daemon.outputTail.length > 40) daemon.outputTail.splice(0, daemon.outputTail.length - 40);
      });
    }
    child.once('exit', () => (daemon.child = null));
    const report = await this.nextReport(name, daemon);
    if ('locked' in report) throw new ManagerLockedError(name);
    if (!report.ready) throw new Error(`manager ${name} failed to start: ${report.error}`);
    daemon.id = report.id;
    daemon.address = report.address;
    return daemon;
  }

  /**
   * Unlocks a manager that spawn() found locked (ManagerLockedError), through its admin socket,
   * and waits until it reports ready. Throws what Unlock answered (a wrong key, …).
   */
  async unlock(name: string, unlockKey: string): Promise<Daemon> {
    const daemon = this.get(name);
    const ready = this.nextReport(name, daemon);
    // A refused key leaves the manager locked: nothing else is reported, so do not wait for it.
    ready.catch(() => {});
    await callUnlock(join(this.dirs.dir(name), CONTROL_SOCKET), unlockKey);
    const report = await ready;
    if (!report.ready) throw new Error(`manager ${name} failed to start after unlocking`);
    daemon.id = report.id;
    daemon.address = report.address;
    return daemon;
  }

  private nextReport(name: string, daemon: Daemon): Promise<DaemonReport> {
    const child = daemon.child;
    if (!child) return Promise.reject(new Error(`manager ${name} is not running`));
    return new Promise<DaemonReport>((res, rej) => {
      child.once('message', (m) => res(m as DaemonReport));
      child.once('exit', (code) =>
        rej(new Error(`manager ${name} exited (${code}) before ready:\n${daemon.outputTail.join('\n')}`)),
      );
    });
  }

  /** Restarts a stopped node (manager or worker) from its data directory, as it was configured. */
  restart(name: string, extra: Partial<DaemonConfig> = {}): Promise<Daemon> {
    const {
      dataDir: _dir,
      mode,
      joinToken: _token,
      forceNewCluster: _once,
      ...previous
    } = this.get(name).config;
    const restartMode = mode === 'worker-join' || mode === 'worker-start' ? 'worker-start' : 'start';
    return this.spawn(name, { ...previous, mode: restartMode, ...extra });
  }

  get(name: string): Daemon {
    const d = this.daemons.get(name);
    if (!d) throw new Error(`no manager ${name}`);
    return d;
  }

  byId(id: string): string {
    for (const [name, d] of this.daemons) if (d.id === id) return name;
    throw new Error(`no manager with id ${id}`);
  }

  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const d = this.get(name);
    d.child?.kill(signal);
    await d.exited;
  }

  /** The manager's local admin socket (the control API without certificates), as a client address. */
  controlAddress(name: string): string {
    return `unix:${join(this.dirs.dir(name), CONTROL_SOCKET)}`;
  }

  /** The certificates in the manager's data directory (certs/): what it presents and trusts now. */
  async certificates(name: string): Promise<NodeCertificates> {
    const certs = await readNodeCertificates(this.dirs.dir(name));
    if (!certs) throw new Error(`manager ${name} has no certificates in ${this.dirs.dir(name)}`);
    return certs;
  }

  /**
   * What Manager.leave does, for a manager process: its own Leave RPC with its own certificate (a
   * leader hands over first, then the leader removes it from the Raft membership), then a clean
   * stop (SIGTERM).
   */
  async leave(name: string, timeoutMs = 15_000): Promise<void> {
    const d = this.get(name);
    const certs = await this.certificates(name);
    await callLeave(d.address, channelCredentials(certs), { nodeId: d.id }, timeoutMs);
    await this.kill(name, 'SIGTERM');
  }

  async stop(): Promise<void> {
    for (const d of this.daemons.values()) d.child?.kill('SIGKILL');
    await Promise.all([...this.daemons.values()].map((d) => d.exited));
  }
}
