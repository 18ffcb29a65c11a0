// The mesh's data plane across processes. A Node process forwards on one core, and on a busy
// host the kernel's scheduler gives it one share of the CPU however much traffic waits; so the
// node's mesh can run worker processes that accept the published TCP ports' connections beside
// it (Node's shared-handle model, as its cluster module does: every process accepts from the same
// listening socket and the kernel hands each connection to one). A worker runs a Mesh of its own
// that takes its ports and the tunnel listener's socket from here (so other nodes' tunnels, and
// the streams they carry to this node's tasks, land on every process), dials its own tunnels, and
// asks here for local task addresses. This process binds every socket, and alone serves the
// published UDP ports (a flow must stay with one process).

import { fork, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isSea } from 'node:sea';
import type { TlsIdentity } from '../ca/index.js';
import type { Logger, LogLevel } from '../util/logger.js';
import {
  TUNNEL_SHARE_KEY,
  type ListenerSharing,
  type LocalTaskResolver,
  type MeshSettings,
  type TaskAddress,
} from './context.js';
import type { EndpointTable, MeshNodeAddress } from './endpoint-table.js';
import type { TunnelSettings } from './mesh.js';

export interface DataPlaneOptions {
  /** Processes besides the node's own that accept its published TCP connections (0: none). */
  workers: number;
  /**
   * The worker's entry script (default: data-plane-worker.js beside this module). In a single
   * executable the executable itself is run, and its entry starts the worker when it sees
   * DATA_PLANE_ENV.
   */
  script?: string;
}

/**
 * The workers a node runs unless told otherwise: one per further core, at most 3 (the node's own
 * process accepts too, and a node's cores are its tasks' first).
 */
export function defaultDataPlaneWorkers(): number {
  return Math.max(0, Math.min(availableParallelism() - 1, 3));
}

/** Set in a worker's environment: the single executable's entry runs the worker when it is. */
export const DATA_PLANE_ENV = 'FLOTILLA_MESH_DATA_PLANE';

/** What a worker builds its Mesh from: the node's mesh options, without the functions. */
export interface DataPlaneWorkerInit {
  nodeId: string;
  listenAddress: string;
  tunnelAddress: MeshNodeAddress;
  dialFrom?: string;
  tls: TlsIdentity | null;
  encryption: boolean;
  settings: MeshSettings;
  tunnel: TunnelSettings;
}

/** From the node's mesh to a worker, in this order after a start: init, table, listeners. */
export type ToDataPlaneWorker =
  | { type: 'init'; init: DataPlaneWorkerInit }
  | { type: 'table'; table: EndpointTable }
  /** Comes with the listening socket of the port `key` (see shareKey), or of the tunnel listener. */
  | { type: 'listener'; key: string }
  | { type: 'release'; key: string; id: number }
  | { type: 'identity'; tls: TlsIdentity }
  | { type: 'resolved'; id: number; address: TaskAddress | null }
  | { type: 'stop' };

export type FromDataPlaneWorker =
  | { type: 'released'; id: number }
  | { type: 'resolve'; id: number; taskId: string; targetPort: number }
  /** A line of the worker's JSON logger, logged here through the node's logger. */
  | { type: 'log'; line: string };

/** Bounds on waiting for workers: a worker that does not answer in time is not waited for. */
const RELEASE_WAIT_MS = 2000;
const STOP_WAIT_MS = 5000;

/**
 * How long a worker that exited waits for its restart: 1 s, twice as long after each quick exit,
 * at most 30 s; after a worker that lived a minute (it was healthy), 1 s again. One policy for all
 * of a node's workers: a fault that kills them all is not retried once per worker.
 */
export class RestartBackoff {
  private nextMs: number;

  constructor(
    private readonly minMs = 1000,
    private readonly maxMs = 30_000,
    private readonly healthyAfterMs = 60_000,
  ) {
    this.nextMs = minMs;
  }

  /** The wait before restarting a worker that lived `livedMs`. */
  delayAfter(livedMs: number): number {
    if (livedMs >= this.healthyAfterMs) this.nextMs = this.minMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.maxMs);
    return delay;
  }
}

interface Worker {
  child: ChildProcess;
  startedAt: number;
  /** Releases this worker has not confirmed yet, by id. */
  releases: Map<number, () => void>;
  exited: Promise<void>;
}

export interface DataPlaneWorkersOptions {
  workers: number;
  script?: string;
  init: DataPlaneWorkerInit;
  resolveLocalTask: LocalTaskResolver;
  logger: Logger;
}

/**
 * The node mesh's side of the data plane: starts the workers when the first TCP port is bound,
 * hands them every bound port, the table and certificate changes, answers their task lookups,
 * and restarts one that exits (waiting longer after each quick exit, up to 30 s).
 */
export class DataPlaneWorkers implements ListenerSharing {
  private readonly workers = new Set<Worker>();
  private readonly listeners = new Map<string, Server>();
  private init: DataPlaneWorkerInit;
  private table: EndpointTable | null = null;
  private started = false;
  private stopped = false;
  private nextId = 1;
  private readonly backoff = new RestartBackoff();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private readonly log: Logger;

  constructor(private readonly options: DataPlaneWorkersOptions) {
    this.init = options.init;
    this.log = options.logger.child({ part: 'data-plane' });
  }

  /** Worker processes running now. */
  get running(): number {
    return this.workers.size;
  }

  /** The process ids of the running workers. */
  pids(): number[] {
    return [...this.workers].flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  /** A new table: sent at once, before the ports it adds are bound and shared. */
  update(table: EndpointTable): void {
    this.table = table;
    this.broadcast({ type: 'table', table });
  }

  share(key: string, server: Server): void {
    if (this.stopped) return;
    this.offer(key, server);
    if (this.started) return;
    // The first port: the workers start now, and each gets every socket kept so far.
    this.started = true;
    for (let i = 0; i < this.options.workers; i++) this.spawn();
  }

  /**
   * The tunnel listener's socket: the workers accept other nodes' tunnels on it too, so the streams
   * to this node's tasks are served by every process. Starts no worker: a node without published
   * TCP ports needs none.
   */
  shareTunnel(server: Server): void {
    if (!this.stopped) this.offer(TUNNEL_SHARE_KEY, server);
  }

  async release(key: string): Promise<void> {
    if (!this.listeners.delete(key)) return;
    await Promise.all([...this.workers].map((worker) => this.releaseIn(worker, key)));
  }

  updateIdentity(tls: TlsIdentity): void {
    this.init = { ...this.init, tls };
    this.broadcast({ type: 'identity', tls });
  }

  /** Stops every worker (each closes its connections), killing one that does not exit in time. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    this.listeners.clear();
    await Promise.all(
      [...this.workers].map(async (worker) => {
        this.send(worker, { type: 'stop' });
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), STOP_WAIT_MS);
        await worker.exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawn(): void {
    const child = fork(this.script(), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [DATA_PLANE_ENV]: '1' },
      // Not the parent's flags (a test runner's loaders, --inspect ports): the worker is plain JS.
      execArgv: [],
    });
    let markExited = (): void => {};
    const worker: Worker = {
      child,
      startedAt: Date.now(),
      releases: new Map(),
      exited: new Promise((resolve) => (markExited = resolve)),
    };
    this.workers.add(worker);
    child.on('message', (message: FromDataPlaneWorker) => this.onMessage(worker, message));
    child.on('error', (err) => this.log.error('mesh data-plane worker error', { pid: child.pid, err }));
    child.on('exit', (code, signal) => {
      this.workers.delete(worker);
      for (const done of worker.releases.values()) done();
      worker.releases.clear();
      markExited();
      if (this.stopped) return;
      const delayMs = this.backoff.delayAfter(Date.now() - worker.startedAt);
      this.log.warn('mesh data-plane worker exited; restarting it', {
        pid: child.pid,
        code,
        signal,
        restartInMs: delayMs,
      });
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (!this.stopped) this.spawn();
      }, delayMs);
      this.restartTimers.add(timer);
    });
    this.send(worker, { type: 'init', init: this.init });
    if (this.table !== null) this.send(worker, { type: 'table', table: this.table });
    for (const [key, server] of this.listeners) this.send(worker, { type: 'listener', key }, server);
  }

  private script(): string {
    if (this.options.script !== undefined) return this.options.script;
    // The single executable runs itself (see DATA_PLANE_ENV); the path is only its argv[1].
    if (isSea()) return process.execPath;
    return fileURLToPath(new URL('./data-plane-worker.js', import.meta.url));
  }

  private releaseIn(worker: Worker, key: string): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        worker.releases.delete(id);
        this.log.warn('a mesh data-plane worker did not release a port in time', {
          pid: worker.child.pid,
          key,
        });
        resolve();
      }, RELEASE_WAIT_MS);
      worker.releases.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      if (!this.send(worker, { type: 'release', key, id })) worker.releases.get(id)?.();
    });
  }

  private onMessage(worker: Worker, message: FromDataPlaneWorker): void {
    switch (message.type) {
      case 'released': {
        const done = worker.releases.get(message.id);
        worker.releases.delete(message.id);
        done?.();
        return;
      }
      case 'resolve':
        this.resolve(worker, message.id, message.taskId, message.targetPort);
        return;
      case 'log':
        this.relayLog(worker, message.line);
        return;
    }
  }

  private resolve(worker: Worker, id: number, taskId: string, targetPort: number): void {
    // One path for a resolver that throws, rejects or answers: the worker always gets an answer.
    void Promise.resolve()
      .then(() => this.options.resolveLocalTask(taskId, targetPort))
      .catch((err: unknown) => {
        this.log.warn('resolving a task for a data-plane worker failed', { task: taskId, err });
        return null;
      })
      .then((address) => this.send(worker, { type: 'resolved', id, address }));
  }

  private relayLog(worker: Worker, line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, time: _time, ...fields } = record;
    const log = this.log.child({ pid: worker.child.pid });
    const text = typeof msg === 'string' ? msg : '';
    if (level === 'error') log.error(text, fields);
    else if (level === 'warn') log.warn(text, fields);
    else if (level === 'info') log.info(text, fields);
    else log.debug(text, fields);
  }

  /** Keeps the socket for the workers started later, and hands it to those running now. */
  private offer(key: string, server: Server): void {
    this.listeners.set(key, server);
    for (const worker of this.workers) this.send(worker, { type: 'listener', key }, server);
  }

  private broadcast(message: ToDataPlaneWorker): void {
    for (const worker of this.workers) this.send(worker, message);
  }

  /**
   * Sends unless the worker's channel is gone (its 'exit' handles that); says whether it sent. A
   * server goes as its bare handle: Node would send a Server as a server the worker listens on
   * at once, before anything there could take its connections.
   */
  private send(worker: Worker, message: ToDataPlaneWorker, server?: Server): boolean {
    if (!worker.child.connected) return false;
    const handle = server === undefined ? undefined : listeningHandle(server);
    worker.child.send(message, handle, (err) => {
      if (err) this.log.debug('message to a data-plane worker not sent', { type: message.type, err });
    });
    return true;
  }
}

/** What a Server carries of Node's internals, used only here. */
interface ServerInternals {
  _handle?: unknown;
}

/**
 * The listening socket's handle, which Node's IPC passes as it is (the worker listens on it when
 * its port is ready); Node's own cluster module passes the same. Typed as the Server that send()
 * accepts.
 */
function listeningHandle(server: Server): Server {
  const handle = (server as unknown as ServerInternals)._handle;
  if (typeof handle !== 'object' || handle === null)
    throw new Error('a published port without a listening handle');
  return handle as Server;
}

/** The level at which a worker's lines are worth the trip to the node's logger. */
export const DATA_PLANE_LOG_LEVEL: LogLevel = 'info';

/** A port's key between the node's mesh and its workers: the port and the service it serves. */
export function shareKey(portKey: string, serviceId: string): string {
  return `${portKey}@${serviceId}`;
}
