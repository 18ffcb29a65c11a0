// Opening a TCP connection to a task on this node, with the socket options every mesh connection
// gets (no Nagle delay, keepalive, half-open allowed so a FIN crosses as a FIN) and a bounded
// connect time; the PROXY header that goes first when the service asks for one; and forwarding
// a task's bytes to the client out of one reused read buffer.

import { connect, type OnReadOpts, type Socket } from 'node:net';
import type { TaskAddress } from './context.js';
import { MeshError } from './errors.js';
import { encodeProxyHeader, type ProxiedAddresses } from './proxy-protocol.js';
import type { ProxyProtocolMode } from './endpoint-table.js';

/**
 * Connects to a task. With a `forwarder`, the socket reads into the forwarder's buffer and starts
 * paused: no byte is read before `forwarder.start` names where they go.
 */
export function connectTask(
  address: TaskAddress,
  options: { connectTimeoutMs: number; keepAliveMs: number },
  forwarder?: ReadForwarder,
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({
      host: address.host,
      port: address.port,
      allowHalfOpen: true,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: options.keepAliveMs,
      ...(forwarder ? { onread: forwarder.onread } : {}),
    });
    if (forwarder) socket.pause();
    const onError = (err: Error): void => {
      socket.off('connect', onConnect);
      socket.off('timeout', onTimeout);
      socket.destroy();
      reject(err);
    };
    const onTimeout = (): void => {
      onError(
        new MeshError(
          'BACKEND_UNREACHABLE',
          `${address.host}:${address.port} did not accept within ${options.connectTimeoutMs} ms`,
          { errno: 'ETIMEDOUT' },
        ),
      );
    };
    const onConnect = (): void => {
      socket.setTimeout(0);
      socket.off('error', onError);
      socket.off('timeout', onTimeout);
      resolve(socket);
    };
    socket.setTimeout(options.connectTimeoutMs);
    socket.once('timeout', onTimeout);
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

/** Writes the PROXY header, if any, as the connection's first bytes. */
export function writeProxyHeader(
  socket: Socket,
  mode: ProxyProtocolMode,
  addresses: ProxiedAddresses,
): number {
  if (mode === 'off') return 0;
  const header = encodeProxyHeader(mode, addresses);
  socket.write(header);
  return header.length;
}

/**
 * A task connection's read buffer: HAProxy's buffer size to start with (a request/response
 * connection stays there), doubled while reads fill it (bulk transfers: fewer, larger reads),
 * halved while they use under a quarter of it.
 */
export const READ_BUFFER_MIN_BYTES = 16 * 1024;
export const READ_BUFFER_MAX_BYTES = 256 * 1024;

/**
 * Forwards what a task connection reads to the client without a new buffer per read. Node
 * allocates a fresh 64 KiB buffer for every socket read; at bulk rates that external memory
 * drives V8 into a major GC every few tens of milliseconds, whose cost grows with the process's
 * heap (a manager's store). Here the socket reads into a buffer of the connection's own, which
 * is reused as long as each write to the client completes at once (the kernel took the bytes);
 * a write that is queued keeps its buffer and the next read gets a new one. A client that does
 * not keep up pauses the task socket until it drains, as pipe() would.
 */
export class ReadForwarder {
  private buffer = Buffer.allocUnsafe(READ_BUFFER_MIN_BYTES);
  private source: Socket | null = null;
  private target: Socket | null = null;
  private waitingForDrain = false;

  /** The `onread` option of the task socket. */
  readonly onread: OnReadOpts = {
    buffer: () => this.buffer,
    callback: (bytes: number, buffer: Uint8Array): boolean => this.forward(bytes, buffer),
  };

  /** Sends the source's bytes to `target` from now on (the source was paused until now). */
  start(source: Socket, target: Socket): void {
    this.source = source;
    this.target = target;
    source.resume();
  }

  /** Forwards nothing more; the source stays paused. */
  stop(): void {
    this.source?.pause();
    this.target = null;
  }

  private forward(bytes: number, buffer: Uint8Array): boolean {
    const target = this.target;
    // Stopped, or the client went away: the bytes have nowhere to go.
    if (target === null || target.destroyed || target.writableEnded) return false;
    const queuedBefore = target.writableLength;
    const flowing = target.write(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
    // Still queued in the client socket: that write holds this buffer now.
    const kept = target.writableLength > 0 || queuedBefore > 0;
    const size = nextReadSize(this.buffer.length, bytes);
    if (kept || size !== this.buffer.length) this.buffer = Buffer.allocUnsafe(size);
    if (flowing) return true;
    if (!this.waitingForDrain) {
      this.waitingForDrain = true;
      target.once('drain', () => {
        this.waitingForDrain = false;
        if (this.target === target) this.source?.resume();
      });
    }
    return false;
  }
}

function nextReadSize(size: number, lastRead: number): number {
  if (lastRead >= size) return Math.min(size * 2, READ_BUFFER_MAX_BYTES);
  if (lastRead < size / 4) return Math.max(size / 2, READ_BUFFER_MIN_BYTES);
  return size;
}
