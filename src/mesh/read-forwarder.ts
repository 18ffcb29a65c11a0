// How the mesh reads its TCP sockets: each one (a client's connection, a task's) reads into a
// buffer of its own that is reused from read to read, and each read is handed straight to where
// its bytes go (the other socket, or a tunnel stream), without Node's readable-stream machinery.

import type { OnReadOpts, Socket } from 'node:net';
import { Socket as NetSocket } from 'node:net';

/**
 * Where a socket's bytes go. Called once per read with the bytes read, which live in the
 * forwarder's buffer; returns whether it kept a reference to them (then the next read gets a new
 * buffer). A sink that cannot take more pauses the source itself and resumes it later.
 */
export type ReadSink = (chunk: Buffer) => boolean;

/**
 * A socket's read buffer: HAProxy's buffer size to start with (a request/response connection
 * stays there), doubled while reads fill it (bulk transfers: fewer, larger reads), halved while
 * they use under a quarter of it.
 */
export const READ_BUFFER_MIN_BYTES = 16 * 1024;
export const READ_BUFFER_MAX_BYTES = 256 * 1024;

/**
 * Forwards what a socket reads without a new buffer per read. Node's default is a fresh 64 KiB
 * buffer for every read, pushed through a Readable and emitted as 'data': at request rates that
 * machinery is a good part of the mesh's CPU, and at bulk rates the external memory drives V8
 * into a major GC every few tens of milliseconds, whose cost grows with the process's heap (a
 * manager's store). Here the socket reads into a buffer of the connection's own (the `onread`
 * option), reused for as long as the sink lets go of each read at once.
 */
export class ReadForwarder {
  private buffer = Buffer.allocUnsafe(READ_BUFFER_MIN_BYTES);
  private source: Socket | null = null;
  private sink: ReadSink | null = null;

  /** The `onread` option of the socket to read. */
  readonly onread: OnReadOpts = {
    buffer: () => this.buffer,
    callback: (bytes: number, buffer: Uint8Array): boolean => this.forward(bytes, buffer),
  };

  /** Sends the source's bytes to `sink` from now on and resumes the source (paused until now). */
  start(source: Socket, sink: ReadSink): void {
    this.source = source;
    this.sink = sink;
    source.resume();
  }

  /**
   * Sends the source's bytes to the `target` socket, pausing the source while the target does not
   * keep up (until its 'drain'), as pipe() would.
   */
  startToSocket(source: Socket, target: Socket): void {
    let waitingForDrain = false;
    this.start(source, (chunk) => {
      if (target.destroyed || target.writableEnded) return false;
      const queuedBefore = target.writableLength;
      const flowing = target.write(chunk);
      if (!flowing && !waitingForDrain) {
        waitingForDrain = true;
        source.pause();
        target.once('drain', () => {
          waitingForDrain = false;
          if (this.sink !== null && this.source === source) source.resume();
        });
      }
      // Still queued in the target socket: that write holds the buffer now.
      return queuedBefore > 0 || target.writableLength > 0;
    });
  }

  /** Forwards bytes that were read some other way (into a buffer of their own). */
  feed(chunk: Buffer): void {
    this.sink?.(chunk);
  }

  /** Forwards nothing more; the source stays paused. */
  stop(): void {
    this.source?.pause();
    this.sink = null;
  }

  private forward(bytes: number, buffer: Uint8Array): boolean {
    const sink = this.sink;
    // Stopped: the bytes have nowhere to go (a source is only read while it has a sink).
    if (sink === null) return false;
    const kept = sink(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
    const size = nextReadSize(this.buffer.length, bytes);
    if (kept || size !== this.buffer.length) this.buffer = Buffer.allocUnsafe(size);
    return true;
  }
}

function nextReadSize(size: number, lastRead: number): number {
  if (lastRead >= size) return Math.min(size * 2, READ_BUFFER_MAX_BYTES);
  if (lastRead < size / 4) return Math.max(size / 2, READ_BUFFER_MIN_BYTES);
  return size;
}

/** What a socket accepted by a `net.Server` carries of Node's internals, used only here. */
interface AcceptedSocketInternals {
  _handle?: unknown;
}

/**
 * Makes a socket that a server accepted (with `pauseOnConnect`) read through `forwarder`. A
 * server cannot give its connections the `onread` option, so the accepted connection's handle is
 * moved into a new socket made with it (as Node's own server makes them), and the socket the
 * server made is destroyed without its handle, which tells the server the connection left its
 * count: the mesh tracks its connections itself. The new socket starts paused.
 *
 * Where the handle is not there to move (another runtime), the accepted socket is kept and its
 * 'data' events feed the forwarder's sink: slower, not different.
 */
export function adoptAccepted(accepted: Socket, forwarder: ReadForwarder): Socket {
  const internals = accepted as unknown as AcceptedSocketInternals;
  const handle = internals._handle;
  if (typeof handle !== 'object' || handle === null) {
    accepted.on('data', (chunk: Buffer) => forwarder.feed(chunk));
    return accepted;
  }
  const socket = new NetSocket({
    handle,
    // Every mesh socket allows half-open connections, so that a FIN crosses as a FIN.
    allowHalfOpen: true,
    pauseOnCreate: true,
    readable: true,
    writable: true,
    onread: forwarder.onread,
  } as ConstructorParameters<typeof NetSocket>[0]);
  internals._handle = null;
  accepted.destroy();
  return socket;
}
