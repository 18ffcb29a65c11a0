// One published TCP port on this node: the listener, and for each client connection the choice of
// a task, the connection to it (directly when it runs here, through the owning node's tunnel
// otherwise), the retry on another task when one refuses or times out, the idle timeout, and a
// clean end on every path (a reset crosses as a reset, a FIN as a FIN).

import { createServer, type Server, type Socket } from 'node:net';
import type { ClockTimer } from '../util/clock.js';
import type { BackendConnection, BackendSet, BackendState } from './backend-set.js';
import { resolveTask, type MeshContext, type PortStatus } from './context.js';
import { shareKey } from './data-plane.js';
import { portKey } from './endpoint-table.js';
import { describeError, errorCode, MeshError } from './errors.js';
import { resetSocket } from './socket-reset.js';
import { QuietTracker } from './quiet-tracker.js';
import { adoptAccepted, ReadForwarder } from './read-forwarder.js';
import { connectTask, writeProxyHeader } from './task-connect.js';
import type { TunnelStream } from './tunnel/session.js';

/** A published port's server: connections paused until adopted (see adoptAccepted), half-open allowed. */
export const LISTEN_OPTIONS = { allowHalfOpen: true, pauseOnConnect: true, noDelay: true } as const;
export const LISTEN_BACKLOG = 1024;

export class TcpPort {
  private server: Server | null = null;
  private retryTimer: ClockTimer | null = null;
  private idleTimer: ClockTimer | null = null;
  private closed = false;
  /** A data-plane worker's claim on the node mesh's socket for this port. */
  private unclaim: (() => void) | null = null;
  private readonly forwards = new Set<TcpForward>();
  status: PortStatus;

  constructor(
    readonly ctx: MeshContext,
    readonly backends: BackendSet,
    private readonly host: string,
    private readonly onStatus: (status: PortStatus) => void,
  ) {
    this.status = this.makeStatus('unavailable');
  }

  get publishedPort(): number {
    return this.backends.entry.publishedPort;
  }

  /** Where this port's socket is known to the data plane's other processes (see data-plane.ts). */
  private get shareKey(): string {
    return shareKey(portKey(this.backends.entry), this.backends.entry.serviceId);
  }

  /** Binds the port; a failure is reported as status (and retried), never thrown. */
  async open(): Promise<void> {
    if (this.closed || this.server !== null || this.unclaim !== null) return;
    const inbox = this.ctx.inbox;
    if (inbox !== undefined) {
      // A data-plane worker: the node's mesh binds the port and shares its socket.
      this.unclaim = inbox.claim(this.shareKey, (client) => this.accept(client));
      this.setStatus('listening');
      return;
    }
    const server = createServer(LISTEN_OPTIONS, (client) => this.accept(client));
    const bound = await new Promise<Error | null>((resolve) => {
      server.once('error', resolve);
      server.listen({ host: this.host, port: this.publishedPort, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', resolve);
        resolve(null);
      });
    });
    if (this.closed) {
      server.close();
      return;
    }
    if (bound !== null) {
      const error = new MeshError(
        'PORT_UNAVAILABLE',
        `cannot publish tcp/${this.publishedPort} on ${this.host}: ${bound.message}`,
        { errno: errorCode(bound), host: this.host, port: this.publishedPort },
        { cause: bound },
      );
      this.setStatus('unavailable', error);
      this.retryTimer = this.ctx.clock.setTimer(this.ctx.settings.bindRetryMs, () => {
        this.retryTimer = null;
        this.open().catch((err: unknown) =>
          this.ctx.logger.error('rebinding a published port failed', { err }),
        );
      });
      return;
    }
    server.on('error', (err) =>
      this.ctx.logger.error('published port listener error', { port: this.publishedPort, err }),
    );
    this.server = server;
    this.ctx.sharing?.share(this.shareKey, server);
    this.setStatus('listening');
  }

  /** Stops accepting; with `closeConnections`, also ends the connections open through it. */
  async close(closeConnections: boolean): Promise<void> {
    this.closed = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.idleTimer?.cancel();
    this.idleTimer = null;
    this.unclaim?.();
    this.unclaim = null;
    const server = this.server;
    this.server = null;
    if (closeConnections) for (const forward of [...this.forwards]) forward.close('STOPPED');
    if (server !== null) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([closed, this.ctx.sharing?.release(this.shareKey)]);
    }
    this.setStatus('closed');
  }

  /** @internal */
  forget(forward: TcpForward): void {
    this.forwards.delete(forward);
  }

  private accept(accepted: Socket): void {
    const reader = new ReadForwarder();
    const forward = new TcpForward(this, adoptAccepted(accepted, reader), reader);
    this.forwards.add(forward);
    forward.start();
    this.armIdleSweep();
  }

  /**
   * Finds idle connections by a sweep (see QuietTracker), a pass every eighth of the idle timeout
   * and at most every second: a connection closes within a quarter of its timeout past it, and
   * within 2 s past a timeout of 8 s or more.
   */
  private armIdleSweep(): void {
    const idleMs = this.backends.entry.idleTimeoutMs;
    if (this.idleTimer !== null || this.closed || idleMs <= 0 || this.forwards.size === 0) return;
    const everyMs = Math.min(1000, Math.max(10, Math.floor(idleMs / 8)));
    this.idleTimer = this.ctx.clock.setTimer(everyMs, () => {
      this.idleTimer = null;
      const now = this.ctx.clock.now();
      const limitMs = this.backends.entry.idleTimeoutMs;
      for (const forward of this.forwards) forward.checkIdle(now, limitMs);
      this.armIdleSweep();
    });
  }

  private makeStatus(state: PortStatus['state'], error?: MeshError): PortStatus {
    const status: PortStatus = {
      protocol: 'tcp',
      publishedPort: this.publishedPort,
      serviceId: this.backends.entry.serviceId,
      state,
    };
    if (error !== undefined) status.error = error;
    return status;
  }

  private setStatus(state: PortStatus['state'], error?: MeshError): void {
    this.status = this.makeStatus(state, error);
    this.onStatus(this.status);
  }
}

/** One client connection and its way to a task. */
class TcpForward implements BackendConnection {
  private readonly tried = new Set<string>();
  private backend: Socket | null = null;
  private stream: TunnelStream | null = null;
  private untrack: (() => void) | null = null;
  private headerBytes = 0;
  /** The client socket carries the connection's traffic both ways: its quiet is the connection's. */
  private readonly quiet: QuietTracker;
  private clientGone = false;
  private closing = false;
  private graceTimer: ClockTimer | null = null;
  private readonly ctx: MeshContext;

  constructor(
    private readonly port: TcpPort,
    private readonly client: Socket,
    /** The client socket's reader: what the client sends goes to the task through it. */
    private readonly clientReader: ReadForwarder,
  ) {
    this.ctx = port.ctx;
    this.quiet = new QuietTracker(client, this.ctx.clock.now());
  }

  start(): void {
    const { client } = this;
    const settings = this.ctx.settings;
    client.setNoDelay(true);
    client.setKeepAlive(true, settings.keepAliveMs);
    client.on('error', (err) => {
      this.ctx.logger.debug('client connection error', { port: this.port.publishedPort, err });
      if (this.backend) resetSocket(this.backend);
    });
    client.on('close', () => this.onClientClose());
    this.attempt(null);
  }

  /** Closes the connection once no byte crossed it for `idleMs` (0: never). */
  checkIdle(now: number, idleMs: number): void {
    if (this.closing || this.clientGone || idleMs <= 0 || !this.quiet.quietFor(now, idleMs)) return;
    this.ctx.logger.debug('idle connection closed', { port: this.port.publishedPort, idleMs });
    this.close('IDLE_TIMEOUT');
  }

  /** Ends the connection cleanly: a FIN to both ends, then a reset for whichever lingers. */
  close(_reason: 'DRAINED' | 'STOPPED' | 'IDLE_TIMEOUT'): void {
    if (this.closing || this.clientGone) return;
    this.closing = true;
    this.client.end();
    this.backend?.end();
    this.stream?.end();
    this.graceTimer = this.ctx.clock.setTimer(this.ctx.settings.closeGraceMs, () => {
      this.client.destroy();
      this.backend?.destroy();
      this.stream?.reset({ code: 'IDLE_TIMEOUT', message: 'closed by the mesh' });
    });
  }

  /** Picks the next task not yet tried and connects to it. */
  private attempt(lastError: unknown): void {
    if (this.clientGone) return;
    const backends = this.port.backends;
    const state = backends.balancer.pick(backends.ready, this.tried);
    if (state === undefined) {
      const entry = backends.entry;
      this.ctx.logger.warn('no task could take a connection', {
        port: entry.publishedPort,
        service: entry.serviceName,
        tried: this.tried.size,
        lastError: lastError === null ? undefined : describeError(lastError),
      });
      resetSocket(this.client);
      return;
    }
    this.tried.add(state.taskId);
    if (state.backend.nodeId === this.ctx.nodeId) this.connectLocal(state);
    else this.connectRemote(state);
  }

  private retry(state: BackendState, err: unknown): void {
    this.ctx.logger.info('task did not take a connection; trying another', {
      port: this.port.publishedPort,
      task: state.taskId,
      node: state.backend.nodeId,
      code: errorCode(err),
      reason: describeError(err),
    });
    this.attempt(err);
  }

  private connectLocal(state: BackendState): void {
    const resolved = resolveTask(this.ctx, state.taskId, state.backend.targetPort);
    const withAddress = (address: Awaited<typeof resolved>): void => {
      if (this.clientGone) return;
      if (address === null) {
        this.retry(state, new MeshError('TASK_UNKNOWN', `no address for task ${state.taskId} on this node`));
        return;
      }
      const backendReader = new ReadForwarder();
      connectTask(address, this.ctx.settings, backendReader).then(
        (backend) => this.wireLocal(state, backend, backendReader),
        (err: unknown) => this.retry(state, err),
      );
    };
    if (resolved instanceof Promise) resolved.then(withAddress, (err: unknown) => this.retry(state, err));
    else withAddress(resolved);
  }

  private wireLocal(state: BackendState, backend: Socket, backendReader: ReadForwarder): void {
    const { client, clientReader } = this;
    if (this.clientGone) {
      backend.destroy();
      return;
    }
    this.backend = backend;
    this.untrack = this.port.backends.track(state, this);
    this.headerBytes = writeProxyHeader(backend, this.port.backends.entry.proxyProtocol, {
      sourceAddress: client.remoteAddress ?? '',
      sourcePort: client.remotePort ?? 0,
      destinationAddress: client.localAddress ?? '',
      destinationPort: client.localPort ?? 0,
    });
    // Bytes cross through the two sockets' readers (reused read buffers; see ReadForwarder).
    // Ends are forwarded by hand: a task that closes before anything was exchanged is retried on
    // another, so its FIN must not reach the client.
    clientReader.startToSocket(client, backend);
    backendReader.startToSocket(backend, client);
    const early = (): boolean =>
      !this.closing &&
      backend.bytesRead === 0 &&
      backend.bytesWritten <= this.headerBytes &&
      client.bytesRead === 0;
    const onEnd = (): void => {
      if (early()) return; // 'close' follows and retries
      client.end();
    };
    const giveBack = (err: unknown): boolean => {
      if (!early() || this.clientGone) return false;
      clientReader.stop();
      backendReader.stop();
      backend.destroy();
      this.backend = null;
      this.untrack?.();
      this.untrack = null;
      this.retry(state, err);
      return true;
    };
    backend.on('end', onEnd);
    backend.on('error', (err) => {
      if (giveBack(err)) return;
      this.ctx.logger.debug('task connection error', { task: state.taskId, err });
      resetSocket(client);
    });
    backend.on('close', () => {
      if (this.backend !== backend) return;
      if (
        giveBack(new MeshError('BACKEND_UNREACHABLE', `task ${state.taskId} closed the connection at once`))
      )
        return;
      this.untrack?.();
      this.untrack = null;
      if (!client.destroyed && !client.writableEnded) client.end();
    });
    client.on('end', () => backend.end());
  }

  private connectRemote(state: BackendState): void {
    const nodeId = state.backend.nodeId;
    const address = this.ctx.nodeAddress(nodeId);
    if (address === undefined) {
      this.retry(state, new MeshError('TUNNEL_BROKEN', `no tunnel address for node ${nodeId}`));
      return;
    }
    const { client } = this;
    const entry = this.port.backends.entry;
    const request = {
      taskId: state.taskId,
      targetPort: state.backend.targetPort,
      protocol: 'tcp' as const,
      proxyProtocol: entry.proxyProtocol,
      sourceAddress: client.remoteAddress ?? '',
      sourcePort: client.remotePort ?? 0,
      destinationAddress: client.localAddress ?? '',
      destinationPort: client.localPort ?? 0,
      idleTimeoutMs: entry.idleTimeoutMs,
    };
    const connect = async (): Promise<TunnelStream> => {
      const stream = await this.ctx.pool.open(nodeId, address, request);
      // The remote side bounds its own connect; this bounds a tunnel that stopped answering.
      let timer: ClockTimer | null = null;
      const timeout = new Promise<never>((_, reject) => {
        timer = this.ctx.clock.setTimer(this.ctx.settings.connectTimeoutMs * 2, () => {
          stream.reset({ code: 'ETIMEDOUT', message: 'no answer to the open request' });
          reject(
            new MeshError('BACKEND_UNREACHABLE', `node ${nodeId} did not answer the open request in time`),
          );
        });
      });
      try {
        await Promise.race([stream.opened, timeout]);
      } catch (err) {
        stream.reset({ code: 'ECANCELED', message: 'given up' });
        throw err;
      } finally {
        (timer as ClockTimer | null)?.cancel();
      }
      return stream;
    };
    connect().then(
      (stream) => this.wireRemote(state, stream),
      (err: unknown) => this.retry(state, err),
    );
  }

  private wireRemote(state: BackendState, stream: TunnelStream): void {
    const { client } = this;
    if (this.clientGone) {
      stream.reset({ code: 'ECONNRESET', message: 'the client left' });
      return;
    }
    this.stream = stream;
    this.untrack = this.port.backends.track(state, this);
    stream.onEnd((end) => {
      this.untrack?.();
      this.untrack = null;
      this.stream = null;
      if (end === null) return false;
      if (!this.closing && !this.clientGone && stream.bytesSent === 0 && stream.bytesReceived === 0) {
        // The stream stopped the client's reader: nothing is read until the next attempt.
        this.retry(state, new MeshError('BACKEND_UNREACHABLE', end.message, { remoteCode: end.code }));
        return true;
      }
      this.ctx.logger.debug('tunnel stream ended abnormally', {
        task: state.taskId,
        code: end.code,
        reason: end.message,
      });
      return false;
    });
    stream.attach(client, this.clientReader);
  }

  private onClientClose(): void {
    this.clientGone = true;
    this.graceTimer?.cancel();
    this.port.forget(this);
    const backend = this.backend;
    if (backend !== null && !backend.destroyed) {
      if (backend.writableEnded) backend.destroy();
      else resetSocket(backend);
    }
    this.untrack?.();
    this.untrack = null;
  }
}
