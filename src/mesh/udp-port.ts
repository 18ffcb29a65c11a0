// One published UDP port on this node. Each client address is a flow, bound to one task while it
// lasts: its own socket connected to a local task, or a datagram stream through the owning node's
// tunnel. Replies return from the published port. Flows are forgotten after the service's idle
// timeout (swept on the injected clock); a flow whose task is unreachable is dropped and the next
// datagram from that client starts a new one on another task.

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ClockTimer } from '../util/clock.js';
import type { BackendConnection, BackendSet, BackendState } from './backend-set.js';
import { resolveTask, type MeshContext, type PortStatus, type TaskAddress } from './context.js';
import { describeError, errorCode, MeshError } from './errors.js';
import type { TunnelStream } from './tunnel/session.js';

export class UdpPort {
  private socket: UdpSocket | null = null;
  private retryTimer: ClockTimer | null = null;
  private closed = false;
  private readonly flows = new Map<string, UdpFlow>();
  /** Datagrams dropped because the flow table was full. */
  private dropped = 0;
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

  async open(): Promise<void> {
    if (this.closed || this.socket !== null) return;
    const socket = createSocket({ type: isIPv6(this.host) ? 'udp6' : 'udp4' });
    const bound = await new Promise<Error | null>((resolve) => {
      socket.once('error', resolve);
      socket.bind({ address: this.host, port: this.publishedPort, exclusive: true }, () => {
        socket.off('error', resolve);
        resolve(null);
      });
    });
    if (this.closed) {
      socket.close();
      return;
    }
    if (bound !== null) {
      try {
        socket.close();
      } catch {
        // Never bound: nothing to release.
      }
      const error = new MeshError(
        'PORT_UNAVAILABLE',
        `cannot publish udp/${this.publishedPort} on ${this.host}: ${bound.message}`,
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
    socket.on('error', (err) =>
      this.ctx.logger.warn('published udp port error', { port: this.publishedPort, err }),
    );
    socket.on('message', (datagram, client) => this.onDatagram(datagram, client));
    this.socket = socket;
    this.setStatus('listening');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    for (const flow of [...this.flows.values()]) flow.close('STOPPED');
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.setStatus('closed');
  }

  /** Forgets flows idle past the service's timeout. */
  sweep(now: number): void {
    const idle = this.backends.entry.idleTimeoutMs;
    if (idle <= 0) return;
    for (const flow of this.flows.values()) if (now - flow.lastSeen > idle) flow.close('STOPPED');
  }

  get flowCount(): number {
    return this.flows.size;
  }

  /** @internal A reply from a task to a client. */
  reply(datagram: Buffer, client: RemoteInfo): void {
    this.socket?.send(datagram, client.port, client.address);
  }

  /** @internal */
  forget(key: string, flow: UdpFlow): void {
    if (this.flows.get(key) === flow) this.flows.delete(key);
  }

  private onDatagram(datagram: Buffer, client: RemoteInfo): void {
    const key = `${client.address}|${client.port}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      if (this.flows.size >= this.ctx.settings.udpMaxFlows) {
        this.dropped++;
        if (this.dropped === 1 || this.dropped % 1000 === 0)
          this.ctx.logger.warn('udp flow table full: datagrams from new clients dropped', {
            port: this.publishedPort,
            flows: this.flows.size,
            dropped: this.dropped,
          });
        return;
      }
      const state = this.backends.balancer.pick(this.backends.ready);
      if (state === undefined) {
        this.ctx.logger.debug('udp datagram dropped: no task in rotation', { port: this.publishedPort });
        return;
      }
      flow = new UdpFlow(this, key, client, state);
      this.flows.set(key, flow);
      flow.start();
    }
    flow.send(datagram);
  }

  private makeStatus(state: PortStatus['state'], error?: MeshError): PortStatus {
    const status: PortStatus = {
      protocol: 'udp',
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

class UdpFlow implements BackendConnection {
  lastSeen: number;
  private local: UdpSocket | null = null;
  private stream: TunnelStream | null = null;
  /** Datagrams that arrived before the way to the task was ready. */
  private queue: Buffer[] | null = [];
  private closed = false;
  private readonly untrack: () => void;
  private readonly ctx: MeshContext;

  constructor(
    private readonly port: UdpPort,
    private readonly key: string,
    private readonly client: RemoteInfo,
    private readonly state: BackendState,
  ) {
    this.ctx = port.ctx;
    this.lastSeen = this.ctx.clock.now();
    this.untrack = port.backends.track(state, this);
  }

  start(): void {
    const backend = this.state.backend;
    if (backend.nodeId === this.ctx.nodeId) {
      const resolved = resolveTask(this.ctx, backend.taskId, backend.targetPort);
      if (resolved instanceof Promise)
        resolved.then(
          (a) => this.startLocal(a),
          (err: unknown) => this.fail(err),
        );
      else this.startLocal(resolved);
    } else {
      this.startRemote();
    }
  }

  send(datagram: Buffer): void {
    this.lastSeen = this.ctx.clock.now();
    if (this.queue !== null) {
      if (this.queue.length < this.ctx.settings.udpQueueLimit) this.queue.push(datagram);
      return;
    }
    if (this.local !== null) this.local.send(datagram);
    else this.stream?.sendDatagram(datagram);
  }

  close(_reason: 'DRAINED' | 'STOPPED'): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = null;
    this.port.forget(this.key, this);
    this.untrack();
    this.stream?.reset({ code: 'STOPPED', message: 'udp flow closed' });
    if (this.local !== null) {
      try {
        this.local.close();
      } catch {
        // Closed already after an error.
      }
    }
  }

  private startLocal(address: TaskAddress | null): void {
    if (this.closed) return;
    if (address === null) {
      this.fail(new MeshError('TASK_UNKNOWN', `no address for task ${this.state.taskId} on this node`));
      return;
    }
    const socket = createSocket(isIPv6(address.host) ? 'udp6' : 'udp4');
    this.local = socket;
    socket.on('error', (err) => this.fail(err)); // ECONNREFUSED: the task's port is closed (ICMP)
    socket.on('message', (datagram) => {
      this.lastSeen = this.ctx.clock.now();
      this.port.reply(datagram, this.client);
    });
    socket.connect(address.port, address.host, () => this.flush());
  }

  private startRemote(): void {
    const backend = this.state.backend;
    const address = this.ctx.nodeAddress(backend.nodeId);
    if (address === undefined) {
      this.fail(new MeshError('TUNNEL_BROKEN', `no tunnel address for node ${backend.nodeId}`));
      return;
    }
    const entry = this.port.backends.entry;
    this.ctx.pool
      .open(backend.nodeId, address, {
        taskId: backend.taskId,
        targetPort: backend.targetPort,
        protocol: 'udp',
        proxyProtocol: 'off',
        sourceAddress: this.client.address,
        sourcePort: this.client.port,
        destinationAddress: '',
        destinationPort: entry.publishedPort,
        idleTimeoutMs: entry.idleTimeoutMs,
      })
      .then(async (stream) => {
        if (this.closed) {
          stream.reset({ code: 'STOPPED', message: 'udp flow closed' });
          return;
        }
        this.stream = stream;
        stream.onDatagram = (datagram) => {
          this.lastSeen = this.ctx.clock.now();
          this.port.reply(datagram, this.client);
        };
        stream.onEnd((end) => {
          this.stream = null;
          if (end !== null)
            this.fail(new MeshError('BACKEND_UNREACHABLE', end.message, { remoteCode: end.code }));
          else this.close('STOPPED');
          return false;
        });
        await stream.opened;
        this.flush();
      })
      .catch((err: unknown) => this.fail(err));
  }

  private flush(): void {
    const queue = this.queue;
    this.queue = null;
    if (queue !== null) for (const datagram of queue) this.send(datagram);
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.ctx.logger.info('udp flow to a task failed; the next datagram picks another', {
      port: this.port.publishedPort,
      task: this.state.taskId,
      code: errorCode(err),
      reason: describeError(err),
    });
    this.close('STOPPED');
  }
}
