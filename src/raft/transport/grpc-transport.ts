// The Raft peer transport over gRPC. Per peer it keeps two long-lived client streams, each on its
// own connection: `Send` carries batches of ordinary messages, `SendSnapshot` carries snapshot
// chunks one at a time, so a large snapshot never delays heartbeats. Inbound streams are decoded
// (and validated) by codec.ts and handed to the node in arrival order.

import * as grpc from '@grpc/grpc-js';
import type { MemberId, Message } from '../core/messages.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import {
  decodeMessage,
  deserializeAck,
  deserializeBatch,
  deserializeMessage,
  estimateEncodedSize,
  serializeAck,
  serializeBatch,
  serializeMessage,
  type InboundFrame,
  type SendAckValue,
} from './codec.js';

export interface TransportOptions {
  selfId: MemberId;
  logger?: Logger;
  /** Mutual TLS arrives later: both default to insecure credentials. */
  serverCredentials?: () => grpc.ServerCredentials;
  channelCredentials?: () => grpc.ChannelCredentials;
  /** Largest gRPC message sent or accepted; default 16 MiB. Batches are cut below it. */
  maxMessageBytes?: number;
  /**
   * Ordinary messages waiting per peer (queued, or handed to grpc but not yet on the wire), default
   * 4096; beyond it messages are dropped and counted. Raft tolerates the loss.
   */
  sendQueueLimit?: number;
  /** Snapshot chunks waiting per peer, default 16 (the leader sends one chunk per ack anyway). */
  snapshotQueueLimit?: number;
  /** Delay before reopening a failed stream: doubles from `initial` to `max`, with jitter. */
  reconnectBackoffMs?: { initial: number; max: number };
  /** Source of jitter, in [0, 1); injectable for tests. */
  random?: () => number;
}

export interface TransportStats {
  /** Messages written to a stream (they may still be lost with it: Raft tolerates loss). */
  sent: number;
  /** Outbound messages dropped: queue full, unknown peer, too large, peer removed, stopped. */
  dropped: number;
  /** Inbound messages decoded and delivered. */
  received: number;
  /** Inbound messages refused: frames that do not parse, invalid messages, or not addressed to us. */
  rejected: number;
  /** Streams reopened after one ended. */
  reconnects: number;
}

/** Misuse of the transport's lifecycle (listening twice, after stop, ...). */
export class TransportStateError extends Error {
  readonly code = 'RAFT_TRANSPORT_STATE';
  override readonly name = 'TransportStateError';
}

const defaultMaxMessageBytes = 16 * 1024 * 1024;
const keepaliveTimeMs = 10_000;
const keepaliveTimeoutMs = 5_000;
/** Room for the batch envelope around the estimated message sizes. */
const batchEnvelopeBytes = 1024;
/**
 * Batches handed to grpc whose write has not completed yet. Bounds what piles up inside grpc
 * while a peer is slow or unreachable; beyond it messages wait (bounded) in our own queue and are
 * coalesced into the next batch.
 */
const maxBatchesInFlight = 8;
/** Stream failures are logged at most this often per peer stream; the rest are counted. */
const logIntervalMs = 10_000;

/** Options a server hosting the Raft service needs: message size limits and keepalive. */
export function raftServerOptions(options: { maxMessageBytes?: number } = {}): grpc.ServerOptions {
  const max = options.maxMessageBytes ?? defaultMaxMessageBytes;
  return {
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
    // Ping clients too, so the streams of a peer that vanished are released.
    'grpc.keepalive_time_ms': keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
  };
}

const sendPath = '/flotilla.raft.v1.Raft/Send';
const sendSnapshotPath = '/flotilla.raft.v1.Raft/SendSnapshot';

/**
 * The Raft service with the codec's (de)serializers: the client writes core messages, the server
 * reads frames that never fail to deserialize (a malformed one is reported, not thrown, so the
 * stream it came on survives).
 */
const raftService: grpc.ServiceDefinition = {
  Send: {
    path: sendPath,
    requestStream: true,
    responseStream: false,
    requestSerialize: serializeBatch,
    requestDeserialize: deserializeBatch,
    responseSerialize: serializeAck,
    responseDeserialize: deserializeAck,
  },
  SendSnapshot: {
    path: sendSnapshotPath,
    requestStream: true,
    responseStream: false,
    requestSerialize: serializeMessage,
    requestDeserialize: deserializeMessage,
    responseSerialize: serializeAck,
    responseDeserialize: deserializeAck,
  },
};

/** What a peer stream needs from its transport. */
interface StreamContext {
  readonly logger: Logger;
  readonly stats: TransportStats;
  readonly channelOptions: grpc.ChannelOptions;
  readonly channelCredentials: () => grpc.ChannelCredentials;
  readonly backoff: { initial: number; max: number };
  readonly random: () => number;
  readonly batchBudgetBytes: number;
  /** Told when a peer's message stream fails after having worked (the peer died or is cut off). */
  readonly peerUnreachable: (peerId: MemberId) => void;
}

interface LaneSpec {
  readonly name: 'messages' | 'snapshots';
  readonly queueLimit: number;
  /** Whether queued messages are coalesced into MessageBatch writes (else one message per write). */
  readonly batched: boolean;
  /** Writes handed to grpc and not yet completed. */
  readonly maxWritesInFlight: number;
}

/**
 * One long-lived client stream to one peer, with its own channel (connection), a bounded queue,
 * and reconnection with exponential backoff.
 */
class PeerStream {
  private address: string;
  private client: grpc.Client | null = null;
  private call: grpc.ClientWritableStream<Message[] | Message> | null = null;
  /** Increases whenever `call` is replaced, so callbacks of an abandoned call are ignored. */
  private generation = 0;
  private callOpenedAt = 0;
  private opened = false;
  private queue: Message[] = [];
  private queueHead = 0;
  private writesInFlight = 0;
  /** Messages in those writes: they count against the queue limit until grpc has sent them. */
  private messagesInFlight = 0;
  private awaitingDrain = false;
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  /** The last stream failed and nothing was delivered since. */
  private failing = false;
  private lastLogAt = -Infinity;
  private suppressedLogs = 0;
  private closed = false;

  constructor(
    private readonly ctx: StreamContext,
    private readonly spec: LaneSpec,
    private readonly peerId: MemberId,
    address: string,
  ) {
    this.address = address;
    this.backoffMs = ctx.backoff.initial;
  }

  enqueue(m: Message): void {
    if (this.queue.length - this.queueHead + this.messagesInFlight >= this.spec.queueLimit) {
      this.ctx.stats.dropped++;
      return;
    }
    this.queue.push(m);
    if (!this.flushScheduled) {
      // Coalesce everything sent in this turn of the event loop into one write.
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Points the stream at a new address: the current connection is abandoned, the queue kept. */
  setAddress(address: string): void {
    if (address === this.address) return;
    this.address = address;
    this.teardown();
    this.backoffMs = this.ctx.backoff.initial;
    this.flush();
  }

  /** Abandons the stream and its queue for good. */
  close(): void {
    this.closed = true;
    this.ctx.stats.dropped += this.queue.length - this.queueHead;
    this.queue = [];
    this.queueHead = 0;
    this.teardown();
  }

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.closed || this.retryTimer !== null || this.queueHead === this.queue.length) return;
    const call = this.call ?? this.open();
    while (
      this.queueHead < this.queue.length &&
      !this.awaitingDrain &&
      this.writesInFlight < this.spec.maxWritesInFlight
    ) {
      const chunk = this.spec.batched ? this.takeBatch() : this.takeOne();
      if (chunk === undefined) continue; // everything taken was too large and dropped
      const generation = this.generation;
      const count = Array.isArray(chunk) ? chunk.length : 1;
      this.writesInFlight++;
      this.messagesInFlight += count;
      this.ctx.stats.sent += count;
      const ok = call.write(chunk, (error: unknown) => this.onWritten(generation, count, error));
      if (!ok) {
        this.awaitingDrain = true;
        call.once('drain', () => {
          if (generation !== this.generation) return;
          this.awaitingDrain = false;
          this.flush();
        });
      }
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Everything queued, cut where the batch would exceed the channel's message size limit. */
  private takeBatch(): Message[] | undefined {
    const budget = this.ctx.batchBudgetBytes;
    const start = this.queueHead;
    let end = start;
    let size = 0;
    while (end < this.queue.length) {
      const messageSize = estimateEncodedSize(this.queue[end]!);
      if (size + messageSize > budget) break;
      size += messageSize;
      end++;
    }
    if (end === start) {
      this.dropTooLarge(this.queue[start]!);
      this.queueHead++;
      return undefined;
    }
    if (start === 0 && end === this.queue.length) {
      // The common case: hand over the whole queue without copying it.
      const batch = this.queue;
      this.queue = [];
      this.queueHead = 0;
      return batch;
    }
    this.queueHead = end;
    return this.queue.slice(start, end);
  }

  private takeOne(): Message | undefined {
    const m = this.queue[this.queueHead++]!;
    if (estimateEncodedSize(m) <= this.ctx.batchBudgetBytes) return m;
    this.dropTooLarge(m);
    return undefined;
  }

  private dropTooLarge(m: Message): void {
    this.ctx.stats.dropped++;
    this.logRateLimited('warn', 'dropped a message larger than maxMessageBytes', { type: m.type });
  }

  private open(): grpc.ClientWritableStream<Message[] | Message> {
    this.client ??= new grpc.Client(this.address, this.ctx.channelCredentials(), this.ctx.channelOptions);
    if (this.opened) this.ctx.stats.reconnects++;
    this.opened = true;
    const generation = ++this.generation;
    this.callOpenedAt = performance.now();
    // waitForReady: while the peer is unreachable the call waits for the connection instead of
    // failing at once; our writes back up into the bounded queue meanwhile.
    const metadata = new grpc.Metadata({ waitForReady: true });
    const onEnded = (error: grpc.ServiceError | null): void => this.onCallEnded(generation, error);
    const call = this.spec.batched
      ? this.client.makeClientStreamRequest<Message[], SendAckValue | undefined>(
          sendPath,
          serializeBatch,
          deserializeAck,
          metadata,
          onEnded,
        )
      : this.client.makeClientStreamRequest<Message, SendAckValue | undefined>(
          sendSnapshotPath,
          serializeMessage,
          deserializeAck,
          metadata,
          onEnded,
        );
    // The outcome arrives through onEnded; a writable-side error ends the call the same way.
    call.on('error', (error: Error) => this.onCallEnded(generation, error));
    this.call = call as grpc.ClientWritableStream<Message[] | Message>;
    return this.call;
  }

  private onWritten(generation: number, count: number, error: unknown): void {
    if (generation !== this.generation) return;
    this.writesInFlight--;
    this.messagesInFlight -= count;
    if (error !== undefined && error !== null) return; // the call is failing; onCallEnded follows
    if (this.failing) {
      this.failing = false;
      this.ctx.logger.info('peer stream restored', {
        peer: this.peerId,
        stream: this.spec.name,
        address: this.address,
      });
    }
    this.flush();
  }

  private onCallEnded(generation: number, error: Error | null): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.call = null;
    this.writesInFlight = 0;
    this.messagesInFlight = 0;
    this.awaitingDrain = false;
    if (this.closed) return;
    const lived = performance.now() - this.callOpenedAt;
    const fields = {
      peer: this.peerId,
      stream: this.spec.name,
      address: this.address,
      error: error ?? 'ended by peer',
    };
    if (!this.failing) {
      this.ctx.logger.warn('peer stream lost; reconnecting', fields);
      this.lastLogAt = performance.now();
      if (this.spec.name === 'messages') this.ctx.peerUnreachable(this.peerId);
    } else {
      this.logRateLimited('debug', 'peer stream failed again', fields);
    }
    this.failing = true;
    // A stream that lived long was healthy: start over from the short delay. One that ended at
    // once (the peer refuses it) backs off further each time.
    if (lived >= this.ctx.backoff.max) this.backoffMs = this.ctx.backoff.initial;
    const delay = this.backoffMs * (0.5 + 0.5 * this.ctx.random());
    this.backoffMs = Math.min(this.ctx.backoff.max, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.flush();
    }, delay);
    this.retryTimer.unref();
  }

  private teardown(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const call = this.call;
    this.generation++;
    this.call = null;
    this.writesInFlight = 0;
    this.messagesInFlight = 0;
    this.awaitingDrain = false;
    call?.cancel();
    this.client?.close();
    this.client = null;
  }

  private logRateLimited(level: 'debug' | 'warn', msg: string, fields: Record<string, unknown>): void {
    const now = performance.now();
    if (now - this.lastLogAt < logIntervalMs) {
      this.suppressedLogs++;
      return;
    }
    this.ctx.logger[level](msg, {
      ...fields,
      peer: this.peerId,
      stream: this.spec.name,
      suppressed: this.suppressedLogs,
    });
    this.lastLogAt = now;
    this.suppressedLogs = 0;
  }
}

interface Peer {
  address: string;
  messages: PeerStream;
  snapshots: PeerStream;
}

interface InboundCall {
  readonly respond: grpc.sendUnaryData<SendAckValue>;
  received: number;
  done: boolean;
}

export class GrpcRaftTransport {
  private readonly selfId: MemberId;
  private readonly logger: Logger;
  private readonly serverCredentials: () => grpc.ServerCredentials;
  private readonly maxMessageBytes: number;
  private readonly ctx: StreamContext;
  private readonly messagesLane: LaneSpec;
  private readonly snapshotsLane: LaneSpec;
  private readonly statsCounters: TransportStats = {
    sent: 0,
    dropped: 0,
    received: 0,
    rejected: 0,
    reconnects: 0,
  };
  private readonly peers = new Map<MemberId, Peer>();
  private readonly inbound = new Set<InboundCall>();
  private handler: ((m: Message) => void) | null = null;
  private unreachableHandler: ((peerId: MemberId) => void) | null = null;
  private ownServer: grpc.Server | null = null;
  private stopped = false;
  private stopping: Promise<void> | null = null;
  private lastInboundLogAt = -Infinity;
  private suppressedInboundLogs = 0;

  constructor(options: TransportOptions) {
    this.selfId = options.selfId;
    this.logger = (options.logger ?? silentLogger).child({
      component: 'raft-transport',
      member: options.selfId,
    });
    this.serverCredentials = options.serverCredentials ?? (() => grpc.ServerCredentials.createInsecure());
    this.maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    const backoff = options.reconnectBackoffMs ?? { initial: 50, max: 2_000 };
    this.ctx = {
      logger: this.logger,
      stats: this.statsCounters,
      channelCredentials: options.channelCredentials ?? (() => grpc.credentials.createInsecure()),
      backoff,
      random: options.random ?? Math.random,
      batchBudgetBytes: this.maxMessageBytes - batchEnvelopeBytes,
      peerUnreachable: (peerId) => {
        try {
          this.unreachableHandler?.(peerId);
        } catch (err) {
          this.logger.warn('peer-unreachable handler threw', { peer: peerId, err });
        }
      },
      channelOptions: {
        'grpc.max_send_message_length': this.maxMessageBytes,
        'grpc.max_receive_message_length': this.maxMessageBytes,
        // Notice a dead peer (no FIN, e.g. a partition) within keepalive time + timeout.
        'grpc.keepalive_time_ms': keepaliveTimeMs,
        'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
        'grpc.keepalive_permit_without_calls': 1,
        // grpc's own reconnect backoff defaults to 1 s .. 120 s; a Raft peer must come back fast.
        'grpc.initial_reconnect_backoff_ms': backoff.initial,
        'grpc.max_reconnect_backoff_ms': backoff.max,
        // Retries would buffer every message of a long-lived stream for replay; Raft retries itself.
        'grpc.enable_retries': 0,
        // A connection per stream: snapshot chunks must not share a TCP window with heartbeats.
        'grpc.use_local_subchannel_pool': 1,
      },
    };
    this.messagesLane = {
      name: 'messages',
      queueLimit: options.sendQueueLimit ?? 4096,
      batched: true,
      maxWritesInFlight: maxBatchesInFlight,
    };
    this.snapshotsLane = {
      name: 'snapshots',
      queueLimit: options.snapshotQueueLimit ?? 16,
      batched: false,
      maxWritesInFlight: 1,
    };
  }

  /**
   * Registers the Raft service on a server the caller owns (the manager shares one server for all
   * its gRPC services). Create that server with {@link raftServerOptions}: grpc's default 4 MiB
   * receive limit would refuse large snapshot chunks and batches.
   */
  register(server: grpc.Server): void {
    if (this.stopped) throw new TransportStateError('transport is stopped');
    server.addService(raftService, { Send: this.handleCall, SendSnapshot: this.handleCall });
  }

  /** Convenience: own server bound on addr ('127.0.0.2:4242'); resolves with the bound port. */
  async listen(addr: string): Promise<number> {
    if (this.stopped) throw new TransportStateError('transport is stopped');
    if (this.ownServer !== null) throw new TransportStateError('transport is already listening');
    const server = new grpc.Server(raftServerOptions({ maxMessageBytes: this.maxMessageBytes }));
    this.register(server);
    this.ownServer = server;
    try {
      return await new Promise<number>((resolve, reject) => {
        server.bindAsync(addr, this.serverCredentials(), (error, port) =>
          error ? reject(error) : resolve(port),
        );
      });
    } catch (error) {
      this.ownServer = null;
      server.forceShutdown();
      throw error;
    }
  }

  /** Every decoded inbound message, in arrival order per peer (snapshot chunks in their own order). */
  onMessage(handler: (m: Message) => void): void {
    this.handler = handler;
  }

  /**
   * Called when the message stream to a peer breaks (its process died, the connection was
   * reset): a hint RaftNode uses to fail over faster than an election timeout alone would.
   */
  onPeerUnreachable(handler: (peerId: MemberId) => void): void {
    this.unreachableHandler = handler;
  }

  /** Adds a peer or changes its address (its streams reconnect to the new one). */
  setPeer(id: MemberId, address: string): void {
    if (this.stopped) return;
    const peer = this.peers.get(id);
    if (peer === undefined) {
      this.peers.set(id, {
        address,
        messages: new PeerStream(this.ctx, this.messagesLane, id, address),
        snapshots: new PeerStream(this.ctx, this.snapshotsLane, id, address),
      });
    } else if (peer.address !== address) {
      peer.address = address;
      peer.messages.setAddress(address);
      peer.snapshots.setAddress(address);
    }
  }

  removePeer(id: MemberId): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.peers.delete(id);
    peer.messages.close();
    peer.snapshots.close();
  }

  /**
   * Queues messages for their peers (by `m.to`) and returns at once; snapshot chunks take the
   * snapshot stream. The transport keeps references: do not mutate messages after sending them.
   */
  send(messages: Message[]): void {
    for (const m of messages) {
      const peer = this.stopped ? undefined : this.peers.get(m.to);
      if (peer === undefined) {
        this.statsCounters.dropped++;
        continue;
      }
      if (m.type === 'Snap') peer.snapshots.enqueue(m);
      else peer.messages.enqueue(m);
    }
  }

  stats(): TransportStats {
    return { ...this.statsCounters };
  }

  /** Closes every stream, channel and its own server; leaves no timer or socket behind. */
  async stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    this.handler = null;
    for (const peer of this.peers.values()) {
      peer.messages.close();
      peer.snapshots.close();
    }
    this.peers.clear();
    // End the inbound streams too, so a caller-owned server can shut down gracefully; the peers
    // see UNAVAILABLE and keep retrying until this member is back.
    for (const call of this.inbound)
      this.finishInbound(call, { code: grpc.status.UNAVAILABLE, details: 'raft transport stopped' });
    this.inbound.clear();
    const server = this.ownServer;
    this.ownServer = null;
    if (server !== null) await shutdownServer(server);
  }

  private readonly handleCall = (
    call: grpc.ServerReadableStream<InboundFrame, SendAckValue>,
    respond: grpc.sendUnaryData<SendAckValue>,
  ): void => {
    if (this.stopped) {
      respond({ code: grpc.status.UNAVAILABLE, details: 'raft transport stopped' });
      return;
    }
    const inbound: InboundCall = { respond, received: 0, done: false };
    this.inbound.add(inbound);
    const abandon = (): void => {
      inbound.done = true;
      this.inbound.delete(inbound);
    };
    call.on('data', (frame: InboundFrame) => {
      if (!inbound.done) this.receive(frame, inbound, call);
    });
    call.on('end', () => this.finishInbound(inbound, null));
    call.on('cancelled', abandon);
    call.on('error', (error: Error) => {
      this.logger.debug('inbound stream error', { peerAddress: call.getPeer(), error });
      abandon();
    });
  };

  private finishInbound(inbound: InboundCall, error: Partial<grpc.StatusObject> | null): void {
    if (inbound.done) return;
    inbound.done = true;
    this.inbound.delete(inbound);
    if (error === null) inbound.respond(null, { received: inbound.received });
    else inbound.respond(error);
  }

  private receive(
    frame: InboundFrame,
    inbound: InboundCall,
    call: grpc.ServerReadableStream<InboundFrame, SendAckValue>,
  ): void {
    if (!frame.ok) {
      this.statsCounters.rejected++;
      this.logInbound('dropped an inbound frame that does not parse', call, frame.error);
      return;
    }
    for (const raw of frame.messages) {
      let m: Message;
      try {
        m = decodeMessage(raw);
      } catch (error) {
        this.statsCounters.rejected++;
        this.logInbound('dropped a malformed inbound message', call, error);
        continue;
      }
      if (m.to !== this.selfId) {
        // A peer with a stale address table; the core must not see messages meant for another.
        this.statsCounters.rejected++;
        this.logInbound('dropped an inbound message addressed to another member', call, undefined, {
          to: m.to,
          from: m.from,
        });
        continue;
      }
      this.statsCounters.received++;
      inbound.received++;
      const handler = this.handler;
      if (handler === null) continue; // nobody listening yet: a lost message, which Raft tolerates
      try {
        handler(m);
      } catch (error) {
        this.logInbound('message handler threw', call, error, { type: m.type, from: m.from });
      }
    }
  }

  /** Rate-limited: a misbehaving peer must not turn into a log flood. */
  private logInbound(
    msg: string,
    call: grpc.ServerReadableStream<InboundFrame, SendAckValue>,
    error: unknown,
    fields: Record<string, unknown> = {},
  ): void {
    const now = performance.now();
    if (now - this.lastInboundLogAt < logIntervalMs) {
      this.suppressedInboundLogs++;
      return;
    }
    this.logger.warn(msg, {
      ...fields,
      peerAddress: call.getPeer(),
      error,
      suppressed: this.suppressedInboundLogs,
    });
    this.lastInboundLogAt = now;
    this.suppressedInboundLogs = 0;
  }
}

/** Graceful shutdown, forced if connections linger (a peer reconnecting as we close). */
async function shutdownServer(server: grpc.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1_000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
