// One tunnel connection between two nodes' meshes: many streams (one per client connection or UDP
// flow) multiplexed over one TLS or TCP socket, with per-stream credit windows (a slow client
// holds back only its own stream) and connection-level backpressure (a full socket pauses the
// streams that write to it). Only the dialing side opens streams; the accepting side connects
// each to a local task. Liveness: TCP keepalive plus PING frames, so a tunnel whose peer vanished
// is detected and its streams reset instead of hanging.

import type { Socket } from 'node:net';
import type { Clock, ClockTimer } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { describeError, errorCode, MeshError } from '../errors.js';
import { resetSocket } from '../socket-reset.js';
import {
  frame,
  FRAME_HEADER_BYTES,
  frameHeader,
  FrameType,
  jsonPayload,
  MAX_CONTROL_BYTES,
  MAX_DATA_BYTES,
  parseOpenRequest,
  parseStreamError,
  windowPayload,
  type FrameTypeCode,
  type OpenRequest,
  type StreamError,
} from './frames.js';

/** Payloads up to this size are copied behind their header (one buffer); larger ones go as two. */
const COPY_BELOW = 2048;
/**
 * Bytes queued on the tunnel socket past which streams stop reading their sources until it
 * drains. Far above the socket's 16 KiB high-water mark: pausing at every write() returning false
 * would stop and restart bulk streams on every 64 KiB read and empty the pipeline each time.
 */
const CONGESTED_BYTES = 1024 * 1024;

export interface TunnelSessionOptions {
  side: 'client' | 'server';
  /** The node at the other end (proven by its certificate, or its address without TLS). */
  peerNodeId: string;
  clock: Clock;
  logger: Logger;
  /** Bytes a stream may send before the receiver acknowledges them. */
  streamWindow: number;
  /** A PING is sent this often; the tunnel is declared dead after `deadAfterPings` silent periods. */
  pingIntervalMs: number;
  deadAfterPings: number;
  /** Server side: a stream was opened by the peer. */
  onOpen?: (stream: TunnelStream, request: OpenRequest) => void;
}

/** The end of a stream: null when both directions finished cleanly. */
export type StreamEnd = StreamError | null;

export class TunnelSession {
  readonly peerNodeId: string;
  private readonly streams = new Map<number, TunnelStream>();
  private nextStreamId = 1;
  private closedWith: MeshError | null = null;
  private readonly closeListeners: Array<(err: MeshError) => void> = [];
  /** The socket refused more data: streams that write wait for its drain. */
  congested = false;
  private readonly waitingForDrain = new Set<TunnelStream>();
  private corked = false;
  // Frame parser state.
  private readonly header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private frameType = 0;
  private frameStreamId = 0;
  private frameRemaining = -1;
  private payload: Buffer | null = null;
  private payloadFill = 0;
  // Liveness.
  private heardFromPeer = true;
  private silentPeriods = 0;
  private pingTimer: ClockTimer | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly options: TunnelSessionOptions,
  ) {
    this.peerNodeId = options.peerNodeId;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('error', (err) =>
      this.destroy(
        new MeshError(
          'TUNNEL_BROKEN',
          `tunnel to node ${this.peerNodeId}: ${err.message}`,
          {},
          { cause: err },
        ),
      ),
    );
    socket.on('close', () =>
      this.destroy(new MeshError('TUNNEL_BROKEN', `tunnel to node ${this.peerNodeId} closed`)),
    );
    this.armPing();
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  onClose(listener: (err: MeshError) => void): void {
    if (this.closedWith !== null) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /** Client side: a new stream to a task on the peer's node; await `stream.opened`. */
  open(request: OpenRequest): TunnelStream {
    if (this.options.side !== 'client')
      throw new Error('TunnelSession.open: only the dialing side opens streams');
    const id = this.nextStreamId;
    this.nextStreamId = this.nextStreamId >= 0xfffffffe ? 1 : this.nextStreamId + 1;
    const stream = new TunnelStream(this, id, request.protocol === 'udp', this.options.streamWindow, true);
    if (this.closedWith !== null) {
      stream.abort({ code: 'TUNNEL_BROKEN', message: this.closedWith.message });
      return stream;
    }
    this.streams.set(id, stream);
    this.send(frame(FrameType.OPEN, id, jsonPayload(request)));
    return stream;
  }

  /** Ends the tunnel: every stream is reset; idempotent. */
  destroy(err: MeshError = new MeshError('STOPPED', 'tunnel closed')): void {
    if (this.closedWith !== null) return;
    this.closedWith = err;
    this.pingTimer?.cancel();
    this.pingTimer = null;
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) stream.abort({ code: err.code, message: err.message });
    this.waitingForDrain.clear();
    this.socket.destroy();
    if (err.code !== 'STOPPED')
      this.options.logger.info('tunnel closed', {
        peer: this.peerNodeId,
        code: err.code,
        reason: err.message,
      });
    for (const listener of this.closeListeners.splice(0)) listener(err);
  }

  // ---- Sending ----

  /** @internal */
  sendFrame(type: FrameTypeCode, streamId: number, payload?: Buffer): void {
    this.send(frame(type, streamId, payload));
  }

  /** @internal */
  sendData(streamId: number, chunk: Buffer): void {
    if (chunk.length <= COPY_BELOW) {
      this.send(frame(FrameType.DATA, streamId, chunk));
    } else {
      this.send(frameHeader(FrameType.DATA, streamId, chunk.length));
      this.send(chunk);
    }
  }

  /** @internal Resumes `stream` once the socket drains. */
  waitForDrain(stream: TunnelStream): void {
    this.waitingForDrain.add(stream);
  }

  /** @internal */
  forget(streamId: number): void {
    this.streams.delete(streamId);
  }

  private send(buf: Buffer): void {
    if (this.closedWith !== null) return;
    // Frames written in one turn of the event loop leave in one writev (one TLS record, one
    // syscall) instead of one each.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(buf);
    if (this.socket.writableLength >= CONGESTED_BYTES) this.congested = true;
  }

  private readonly uncork = (): void => {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  };

  private onSocketDrain(): void {
    this.congested = false;
    if (this.waitingForDrain.size === 0) return;
    const waiting = [...this.waitingForDrain];
    this.waitingForDrain.clear();
    for (const stream of waiting) stream.resumeSource();
  }

  // ---- Receiving ----

  private onSocketData(chunk: Buffer): void {
    this.heardFromPeer = true;
    let offset = 0;
    const length = chunk.length;
    while (offset < length && this.closedWith === null) {
      if (this.frameRemaining < 0) {
        // A header: straight from the chunk when it is whole there, else gathered across reads.
        let header: Buffer;
        let at: number;
        if (this.headerFill === 0 && length - offset >= FRAME_HEADER_BYTES) {
          header = chunk;
          at = offset;
          offset += FRAME_HEADER_BYTES;
        } else {
          const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, length - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + take);
          this.headerFill += take;
          offset += take;
          if (this.headerFill < FRAME_HEADER_BYTES) return;
          this.headerFill = 0;
          header = this.header;
          at = 0;
        }
        this.frameType = header[at] as number;
        this.frameStreamId = header.readUInt32BE(at + 1);
        const frameLength = header.readUInt32BE(at + 5);
        if (!this.startFrame(frameLength)) return;
        continue;
      }
      const take = Math.min(this.frameRemaining, length - offset);
      if (this.payload !== null) {
        chunk.copy(this.payload, this.payloadFill, offset, offset + take);
        this.payloadFill += take;
      } else {
        this.streams.get(this.frameStreamId)?.receiveData(chunk.subarray(offset, offset + take));
      }
      offset += take;
      this.frameRemaining -= take;
      if (this.frameRemaining === 0) this.endFrame();
    }
  }

  /** Sets up the reading of a frame's payload; false when the frame is refused (tunnel closed). */
  private startFrame(frameLength: number): boolean {
    const type = this.frameType;
    if (type === FrameType.DATA) {
      if (frameLength > MAX_DATA_BYTES) return this.protocolError(`a DATA frame of ${frameLength} bytes`);
      const stream = this.streams.get(this.frameStreamId);
      // Datagrams are delivered whole; stream bytes as they arrive.
      this.payload = stream?.datagram === true ? Buffer.allocUnsafe(frameLength) : null;
    } else {
      if (type < FrameType.OPEN || type > FrameType.PONG) return this.protocolError(`frame type ${type}`);
      if (frameLength > MAX_CONTROL_BYTES)
        return this.protocolError(`a control frame of ${frameLength} bytes`);
      this.payload = Buffer.allocUnsafe(frameLength);
    }
    this.payloadFill = 0;
    this.frameRemaining = frameLength;
    if (frameLength === 0) this.endFrame();
    return true;
  }

  private endFrame(): void {
    const type = this.frameType;
    const id = this.frameStreamId;
    const payload = this.payload;
    this.frameRemaining = -1;
    this.payload = null;
    if (type === FrameType.DATA) {
      if (payload !== null) this.streams.get(id)?.receiveData(payload);
      return;
    }
    const body = payload ?? Buffer.alloc(0);
    switch (type) {
      case FrameType.OPEN:
        this.onOpenFrame(id, body);
        return;
      case FrameType.PING:
        this.sendFrame(FrameType.PONG, 0);
        return;
      case FrameType.PONG:
        return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) return; // already ended here: a late frame is harmless
    switch (type) {
      case FrameType.OPEN_OK:
        stream.receiveOpenOk();
        return;
      case FrameType.OPEN_FAIL:
        this.streams.delete(id);
        stream.abort(parseStreamError(body));
        return;
      case FrameType.FIN:
        stream.receiveFin();
        return;
      case FrameType.RST:
        this.streams.delete(id);
        stream.abort(parseStreamError(body));
        return;
      case FrameType.WINDOW:
        if (body.length === 4) stream.receiveWindow(body.readUInt32BE(0));
        return;
    }
  }

  private onOpenFrame(id: number, body: Buffer): void {
    const onOpen = this.options.onOpen;
    if (this.options.side !== 'server' || onOpen === undefined) {
      this.protocolError('an OPEN frame sent to the dialing side');
      return;
    }
    const request = parseOpenRequest(body);
    if (request instanceof Error) {
      this.sendFrame(
        FrameType.OPEN_FAIL,
        id,
        jsonPayload({ code: 'TUNNEL_PROTOCOL', message: request.message }),
      );
      return;
    }
    if (this.streams.has(id)) {
      this.protocolError(`stream ${id} opened twice`);
      return;
    }
    const stream = new TunnelStream(this, id, request.protocol === 'udp', this.options.streamWindow, false);
    this.streams.set(id, stream);
    try {
      onOpen(stream, request);
    } catch (err) {
      // A handler bug must not take the tunnel (and every other stream) down with it.
      this.options.logger.error('tunnel open handler failed', { err, peer: this.peerNodeId });
      stream.refuse({ code: errorCode(err), message: describeError(err) });
    }
  }

  private protocolError(what: string): false {
    this.destroy(
      new MeshError('TUNNEL_PROTOCOL', `node ${this.peerNodeId} sent ${what}: not the tunnel protocol`),
    );
    return false;
  }

  private armPing(): void {
    this.pingTimer = this.options.clock.setTimer(this.options.pingIntervalMs, () => {
      if (this.closedWith !== null) return;
      if (this.heardFromPeer) this.silentPeriods = 0;
      else if (++this.silentPeriods >= this.options.deadAfterPings) {
        this.destroy(
          new MeshError(
            'TUNNEL_BROKEN',
            `tunnel to node ${this.peerNodeId}: nothing received for ${this.silentPeriods * this.options.pingIntervalMs} ms`,
          ),
        );
        return;
      }
      this.heardFromPeer = false;
      this.sendFrame(FrameType.PING, 0);
      this.armPing();
    });
  }
}

/**
 * One stream of a tunnel: the far end of a client connection (dialing side) or of a task
 * connection (accepting side). A local socket is attached to it; bytes, half closes and resets
 * cross in both directions with the stream's window bounding what is in flight.
 */
export class TunnelStream {
  /** Client side: settles when the remote mesh has connected the task (or failed to). */
  readonly opened: Promise<void>;
  private resolveOpened: () => void = () => {};
  private rejectOpened: (err: MeshError) => void = () => {};
  private socket: Socket | null = null;
  private early: Buffer[] | null = null;
  private sendWindow: number;
  private pendingCredit = 0;
  private unflushed = 0;
  private waitingSocketDrain = false;
  private sourcePaused = false;
  private finSent = false;
  private finReceived = false;
  private ended = false;
  private endListener: ((end: StreamEnd) => boolean | void) | null = null;
  /** Datagram streams: called with each datagram from the peer. */
  onDatagram: ((datagram: Buffer) => void) | null = null;
  bytesSent = 0;
  bytesReceived = 0;

  constructor(
    private readonly session: TunnelSession,
    readonly id: number,
    readonly datagram: boolean,
    private readonly window: number,
    dialing: boolean,
  ) {
    this.sendWindow = window;
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    // Only the dialing side awaits it; the other side's would be an unhandled rejection.
    if (!dialing) this.resolveOpened();
    else this.opened.catch(() => {});
  }

  get peerNodeId(): string {
    return this.session.peerNodeId;
  }

  /**
   * Called once with how the stream ended. On an abnormal end the attached socket is destroyed
   * unless the listener returns true: it takes the socket back (to retry it on another task).
   */
  onEnd(listener: (end: StreamEnd) => boolean | void): void {
    this.endListener = listener;
  }

  /** Accepting side: the task is connected; data may flow. */
  accept(): void {
    this.session.sendFrame(FrameType.OPEN_OK, this.id);
  }

  /** Accepting side: the task could not be reached. */
  refuse(error: StreamError): void {
    if (this.ended) return;
    this.session.sendFrame(FrameType.OPEN_FAIL, this.id, jsonPayload(error));
    this.finish(error, false);
  }

  /**
   * Connects `socket` to the stream in both directions. The socket must allow half-open
   * connections, so that a FIN crosses as a FIN. Data received before this call is written first.
   */
  attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onSourceData);
    socket.on('end', this.onSourceEnd);
    socket.on('close', this.onSourceClose);
    const early = this.early;
    this.early = null;
    if (early !== null) for (const chunk of early) this.writeToSocket(socket, chunk);
    if (this.finReceived) socket.end();
  }

  sendDatagram(datagram: Buffer): void {
    if (this.ended) return;
    this.bytesSent += datagram.length;
    this.session.sendData(this.id, datagram);
  }

  /** Ends the stream abnormally: the peer's side is reset and the local socket destroyed. */
  reset(error: StreamError): void {
    if (this.ended) return;
    this.session.sendFrame(FrameType.RST, this.id, jsonPayload(error));
    this.finish(error, false);
  }

  /** Ends our sending direction cleanly (as `socket.end()` would). */
  end(): void {
    if (this.ended || this.finSent) return;
    this.finSent = true;
    this.session.sendFrame(FrameType.FIN, this.id);
    if (this.finReceived && this.socket === null) this.finish(null, false);
  }

  // ---- From the local socket ----

  private readonly onSourceData = (chunk: Buffer): void => {
    if (this.ended) return;
    this.bytesSent += chunk.length;
    this.sendWindow -= chunk.length;
    this.session.sendData(this.id, chunk);
    if (this.sendWindow <= 0 || this.session.congested) {
      this.sourcePaused = true;
      this.socket?.pause();
      if (this.session.congested) this.session.waitForDrain(this);
    }
  };

  private readonly onSourceEnd = (): void => {
    this.end();
  };

  private readonly onSourceClose = (): void => {
    if (this.ended) return;
    if (this.finSent && this.finReceived) this.finish(null, false);
    else this.reset({ code: 'ECONNRESET', message: 'the connection closed before both sides finished' });
  };

  /** @internal The socket drained, or the window reopened. */
  resumeSource(): void {
    if (!this.sourcePaused || this.ended) return;
    if (this.sendWindow <= 0) return;
    if (this.session.congested) {
      this.session.waitForDrain(this);
      return;
    }
    this.sourcePaused = false;
    this.socket?.resume();
  }

  // ---- From the peer ----

  /** @internal */
  receiveOpenOk(): void {
    this.resolveOpened();
  }

  /** @internal */
  receiveData(chunk: Buffer): void {
    if (this.ended) return;
    this.bytesReceived += chunk.length;
    if (this.datagram) {
      this.onDatagram?.(chunk);
      return;
    }
    const socket = this.socket;
    if (socket === null) {
      // Parsed in the same read as OPEN_OK, before the dialing side attached its socket.
      (this.early ??= []).push(Buffer.from(chunk));
      return;
    }
    this.writeToSocket(socket, chunk);
  }

  private writeToSocket(socket: Socket, chunk: Buffer): void {
    if (this.waitingSocketDrain) {
      this.unflushed += chunk.length;
      socket.write(chunk);
      return;
    }
    if (socket.write(chunk)) {
      this.credit(chunk.length);
    } else {
      this.unflushed += chunk.length;
      this.waitingSocketDrain = true;
      socket.once('drain', this.onSocketDrain);
    }
  }

  private readonly onSocketDrain = (): void => {
    this.waitingSocketDrain = false;
    const bytes = this.unflushed;
    this.unflushed = 0;
    this.credit(bytes);
  };

  /** Acknowledges bytes written on; batched so that small exchanges send few WINDOW frames. */
  private credit(bytes: number): void {
    this.pendingCredit += bytes;
    if (this.pendingCredit >= this.window >> 2) {
      this.session.sendFrame(FrameType.WINDOW, this.id, windowPayload(this.pendingCredit));
      this.pendingCredit = 0;
    }
  }

  /** @internal */
  receiveWindow(bytes: number): void {
    this.sendWindow += bytes;
    this.resumeSource();
  }

  /** @internal */
  receiveFin(): void {
    if (this.finReceived) return;
    this.finReceived = true;
    if (this.socket !== null) this.socket.end();
    else if (this.finSent || this.datagram) this.finish(null, false);
  }

  /** @internal The peer reset the stream, refused it, or the tunnel broke. */
  abort(error: StreamError): void {
    if (this.ended) return;
    this.finish(error, true);
  }

  private finish(end: StreamEnd, fromPeer: boolean): void {
    this.ended = true;
    this.session.forget(this.id);
    if (end !== null) {
      const code = end.code === 'TUNNEL_BROKEN' ? 'TUNNEL_BROKEN' : 'BACKEND_UNREACHABLE';
      this.rejectOpened(
        new MeshError(code, end.message, { remoteCode: end.code, node: this.session.peerNodeId }),
      );
    }
    const socket = this.socket;
    if (socket !== null) {
      socket.off('data', this.onSourceData);
      socket.off('end', this.onSourceEnd);
      socket.off('close', this.onSourceClose);
      if (this.waitingSocketDrain) socket.off('drain', this.onSocketDrain);
    }
    const listener = this.endListener;
    this.endListener = null;
    const takenBack = listener?.(end) === true;
    if (socket !== null && end !== null && !takenBack && !socket.destroyed) {
      // An abnormal end crosses as a reset, as it would on a direct connection.
      if (fromPeer) resetSocket(socket);
      else socket.destroy();
    }
  }
}
