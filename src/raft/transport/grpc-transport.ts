// The Raft peer transport over gRPC. Per peer it keeps two long-lived client streams, each on its
// own connection: `Send` carries batches of ordinary messages, `SendSnapshot` carries snapshot
// chunks one at a time, so a large snapshot never delays heartbeats. Inbound streams are decoded
// (and validated) by codec.ts and handed to the node in arrival order.

import * as grpc from '@grpc/grpc-js';
import type { MemberId, Message } from '../core/messages.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { decodeMessage, type InboundFrame, type SendAckValue } from './codec.js';
import {
  PeerStream,
  batchEnvelopeBytes,
  logIntervalMs,
  maxBatchesInFlight,
  type LaneSpec,
  type StreamContext,
} from './peer-stream.js';
import {
  defaultMaxMessageBytes,
  keepaliveTimeMs,
  keepaliveTimeoutMs,
  raftServerOptions,
  raftService,
} from './raft-service.js';

export { raftServerOptions };

/** What an authorize hook sees of an inbound call: the peer's address and its TLS identity. */
export type InboundCallInfo = Pick<grpc.ServerReadableStream<unknown, unknown>, 'getPeer' | 'getAuthContext'>;

export interface TransportOptions {
  selfId: MemberId;
  logger?: Logger;
  /** Both default to insecure credentials; a manager passes its mutual-TLS ones. */
  serverCredentials?: () => grpc.ServerCredentials;
  channelCredentials?: () => grpc.ChannelCredentials;
  /**
   * Decides who may open an inbound stream: returns the member id the caller proved it is (its
   * messages must then come from that id), or throws a PeerRefusedError. Default: anyone, as
   * whoever they say (insecure clusters and tests).
   */
  authorize?: (call: InboundCallInfo) => MemberId | undefined;
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

interface Peer {
  address: string;
  messages: PeerStream;
  snapshots: PeerStream;
}

/** Thrown by TransportOptions.authorize to refuse a caller; the status goes back to it. */
export class PeerRefusedError extends Error {
  override readonly name = 'PeerRefusedError';
  constructor(
    readonly grpcCode: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

interface InboundCall {
  readonly respond: grpc.sendUnaryData<SendAckValue>;
  /** The member the caller proved it is; undefined when nothing was proved (no authorize). */
  readonly peerId: MemberId | undefined;
  received: number;
  done: boolean;
}

export class GrpcRaftTransport {
  private readonly selfId: MemberId;
  private readonly logger: Logger;
  private readonly serverCredentials: () => grpc.ServerCredentials;
  private readonly authorize: ((call: InboundCallInfo) => MemberId | undefined) | undefined;
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
    this.authorize = options.authorize;
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
    let peerId: MemberId | undefined;
    try {
      peerId = this.authorize?.(call);
    } catch (error) {
      const refused =
        error instanceof PeerRefusedError
          ? error
          : new PeerRefusedError(grpc.status.INTERNAL, 'the caller could not be authorized');
      this.logInbound('refused an inbound Raft stream', call, refused.message);
      respond({ code: refused.grpcCode, details: refused.message });
      return;
    }
    const inbound: InboundCall = { respond, peerId, received: 0, done: false };
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
      if (inbound.peerId !== undefined && m.from !== inbound.peerId) {
        // A member may only speak for itself: its certificate names it.
        this.statsCounters.rejected++;
        this.logInbound('dropped an inbound message from a member other than the caller', call, undefined, {
          from: m.from,
          caller: inbound.peerId,
        });
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
