// The accepting end of tunnel streams: another node's mesh asks for a connection to a task that
// runs here. Only tasks the endpoint table places on this node, for the port the request names,
// are reachable (a tunnel is not a way into arbitrary local ports). The task is connected, the
// PROXY header written with the original client's address, and the stream attached to it.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { BackendConnection, BackendSet, BackendState } from './backend-set.js';
import { resolveTask, type MeshContext, type TaskAddress } from './context.js';
import { describeError, errorCode, MeshError } from './errors.js';
import { portKey } from './endpoint-table.js';
import { QuietTracker } from './quiet-tracker.js';
import { ReadForwarder } from './read-forwarder.js';
import { connectTask, writeProxyHeader } from './task-connect.js';
import type { OpenRequest } from './tunnel/frames.js';
import type { TunnelStream } from './tunnel/session.js';

/** A task connection, closed by the sweep once it carried nothing for `quietLimitMs` (0: never). */
interface TaskConnection extends BackendConnection {
  quiet: QuietTracker;
  quietLimitMs: number;
}

export class RemoteEndpoint {
  /** UDP flows opened by peers, for the idle sweep. */
  private readonly udpFlows = new Set<RemoteUdpFlow>();
  private readonly connections = new Set<TaskConnection>();

  constructor(
    private readonly ctx: MeshContext,
    private readonly backendsFor: (key: string) => BackendSet | undefined,
  ) {}

  handle(stream: TunnelStream, request: OpenRequest): void {
    const key = portKey({ protocol: request.protocol, publishedPort: request.destinationPort });
    const backends = this.backendsFor(key);
    const state = backends?.get(request.taskId);
    if (
      backends === undefined ||
      state === undefined ||
      state.backend.nodeId !== this.ctx.nodeId ||
      state.backend.targetPort !== request.targetPort
    ) {
      stream.refuse({
        code: 'TASK_UNKNOWN',
        message: `node ${this.ctx.nodeId} has no task ${request.taskId} serving ${key}`,
      });
      return;
    }
    const resolved = resolveTask(this.ctx, request.taskId, request.targetPort);
    const go = (address: TaskAddress | null): void => {
      if (address === null) {
        stream.refuse({
          code: 'TASK_UNKNOWN',
          message: `no address for task ${request.taskId} on node ${this.ctx.nodeId}`,
        });
        return;
      }
      if (request.protocol === 'udp') this.openUdp(stream, request, address, backends, state);
      else this.openTcp(stream, request, address, backends, state);
    };
    if (resolved instanceof Promise)
      resolved.then(go, (err: unknown) =>
        stream.refuse({ code: errorCode(err), message: describeError(err) }),
      );
    else go(resolved);
  }

  /** Ends UDP flows idle past their timeout, and task connections quiet past theirs; returns how many flows remain. */
  sweep(now: number): number {
    for (const flow of this.udpFlows) if (flow.idleSince(now)) flow.close('STOPPED');
    for (const c of this.connections)
      if (c.quietLimitMs > 0 && c.quiet.quietFor(now, c.quietLimitMs)) {
        c.quietLimitMs = 0; // closing: once is enough
        c.close('STOPPED');
      }
    return this.udpFlows.size;
  }

  closeAll(): void {
    for (const connection of [...this.connections]) connection.close('STOPPED');
    for (const flow of [...this.udpFlows]) flow.close('STOPPED');
  }

  private openTcp(
    stream: TunnelStream,
    request: OpenRequest,
    address: TaskAddress,
    backends: BackendSet,
    state: BackendState,
  ): void {
    const ctx = this.ctx;
    const reader = new ReadForwarder();
    connectTask(address, ctx.settings, reader).then(
      (socket) => {
        writeProxyHeader(socket, request.proxyProtocol, request);
        let graceTimer: { cancel(): void } | null = null;
        const connection: TaskConnection = {
          close: () => {
            socket.end();
            stream.end();
            graceTimer = ctx.clock.setTimer(ctx.settings.closeGraceMs, () => socket.destroy());
          },
          quiet: new QuietTracker(socket, ctx.clock.now()),
          // The dialing node times the client side; this bounds a connection whose tunnel went quiet.
          quietLimitMs: request.idleTimeoutMs > 0 ? request.idleTimeoutMs + ctx.settings.closeGraceMs : 0,
        };
        const untrack = backends.track(state, connection);
        this.connections.add(connection);
        socket.on('error', (err) => ctx.logger.debug('task connection error', { task: request.taskId, err }));
        socket.on('close', () => {
          untrack();
          this.connections.delete(connection);
          graceTimer?.cancel();
        });
        stream.accept();
        stream.attach(socket, reader);
      },
      (err: unknown) => {
        stream.refuse({ code: errno(err), message: describeError(err) });
      },
    );
  }

  private openUdp(
    stream: TunnelStream,
    request: OpenRequest,
    address: TaskAddress,
    backends: BackendSet,
    state: BackendState,
  ): void {
    const flow = new RemoteUdpFlow(this.ctx, stream, request, address, () => {
      this.udpFlows.delete(flow);
      untrack();
    });
    const untrack = backends.track(state, flow);
    this.udpFlows.add(flow);
    flow.start();
  }
}

/** The errno of a failed connect (ECONNREFUSED, ETIMEDOUT, …) for the dialing side's logs. */
function errno(err: unknown): string {
  if (err instanceof MeshError) return typeof err.details.errno === 'string' ? err.details.errno : err.code;
  return errorCode(err);
}

/** One UDP flow from another node's client to a task here: datagrams both ways over one stream. */
class RemoteUdpFlow implements BackendConnection {
  private socket: UdpSocket | null = null;
  private lastSeen: number;
  private closed = false;

  constructor(
    private readonly ctx: MeshContext,
    private readonly stream: TunnelStream,
    private readonly request: OpenRequest,
    private readonly address: TaskAddress,
    private readonly onClosed: () => void,
  ) {
    this.lastSeen = ctx.clock.now();
  }

  start(): void {
    const socket = createSocket(isIPv6(this.address.host) ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('error', (err) => {
      this.ctx.logger.debug('udp task socket error', { task: this.request.taskId, err });
      this.close('STOPPED');
    });
    socket.on('message', (datagram) => {
      this.lastSeen = this.ctx.clock.now();
      this.stream.sendDatagram(datagram);
    });
    socket.connect(this.address.port, this.address.host, () => {
      if (this.closed) return;
      this.stream.accept();
      this.stream.onDatagram = (datagram) => {
        this.lastSeen = this.ctx.clock.now();
        socket.send(datagram);
      };
    });
    this.stream.onEnd(() => {
      this.close('STOPPED');
      return false;
    });
  }

  idleSince(now: number): boolean {
    const idle = this.request.idleTimeoutMs;
    return idle > 0 && now - this.lastSeen > idle;
  }

  close(_reason: 'DRAINED' | 'STOPPED'): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.reset({ code: 'STOPPED', message: 'udp flow closed' });
    try {
      this.socket?.close();
    } catch {
      // Already closed (after an error): nothing left to release.
    }
    this.onClosed();
  }
}
