// One long-lived client stream to one peer: its own channel, a bounded queue coalesced into
// batch writes with backpressure, and reconnection with exponential backoff and jitter. The
// transport keeps two per peer (ordinary messages, snapshot chunks).

import * as grpc from '@grpc/grpc-js';
import type { MemberId, Message } from '../core/messages.js';
import type { Logger } from '../../util/logger.js';
import {
  deserializeAck,
  estimateEncodedSize,
  serializeBatch,
  serializeMessage,
  type SendAckValue,
} from './codec.js';
import type { TransportStats } from './grpc-transport.js';
import { sendPath, sendSnapshotPath } from './raft-service.js';

/** Room for the batch envelope around the estimated message sizes. */
export const batchEnvelopeBytes = 1024;
/**
 * Batches handed to grpc whose write has not completed yet. Bounds what piles up inside grpc
 * while a peer is slow or unreachable; beyond it messages wait (bounded) in our own queue and are
 * coalesced into the next batch.
 */
export const maxBatchesInFlight = 8;
/** Stream failures are logged at most this often per peer stream; the rest are counted. */
export const logIntervalMs = 10_000;

/** What a peer stream needs from its transport. */
export interface StreamContext {
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

export interface LaneSpec {
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
export class PeerStream {
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
