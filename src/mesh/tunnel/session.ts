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
  type FrameTypeCode,
  type OpenRequest,
} from './frames.js';
import { TunnelStream, type StreamHost } from './stream.js';

export { TunnelStream } from './stream.js';
export type { StreamEnd } from './stream.js';

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

export class TunnelSession implements StreamHost {
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
    // A socket that went through the plain handshake was left paused (plain-auth.ts).
    socket.resume();
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

  /** @internal Returns whether `chunk` itself (not a copy) waits in the socket's queue. */
  sendData(streamId: number, chunk: Buffer): boolean {
    if (chunk.length <= COPY_BELOW) {
      this.send(frame(FrameType.DATA, streamId, chunk));
      return false;
    }
    this.send(frameHeader(FrameType.DATA, streamId, chunk.length));
    this.send(chunk);
    return true;
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
    // syscall) instead of one each. The uncork waits for setImmediate, after the loop has run the
    // callbacks of every socket that was readable in this turn: with many client connections
    // forwarding at once, their frames share a write (nextTick would flush after each read).
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
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
