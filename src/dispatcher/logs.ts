// The leader's log broker (SwarmKit's manager/logbroker): a reader's request for the output of
// some tasks becomes one subscription per node that runs them, sent down each node's
// LogSubscriptions stream; the nodes publish the lines back (PublishLogs) and the broker hands
// them to the reader as they arrive, merged across nodes. Without follow, the subscription ends
// once every node has said it sent everything (or is gone); a followed one lasts until the reader
// goes, and takes on the tasks that start meanwhile (add). A slow reader holds the nodes back:
// while it has not taken a batch, the broker reads no more from that node's publish stream, so
// HTTP/2 flow control stops the node (which stops reading the engine) instead of the leader
// buffering without bound.

import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { LogSubscription } from '../generated/flotilla/dispatcher/v1/LogSubscription.js';
import type { PublishLogsMessage__Output } from '../generated/flotilla/dispatcher/v1/PublishLogsMessage.js';
import { silentLogger, type Logger } from '../util/logger.js';

export interface BrokerLogLine {
  taskId: string;
  nodeId: string;
  stream: 'stdout' | 'stderr';
  timeMs: number;
  line: string;
}

export interface LogRequest {
  /** Task ids by the node that runs them. */
  tasksByNode: ReadonlyMap<string, readonly string[]>;
  follow: boolean;
  tail?: number;
  sinceMs?: number;
}

export interface LogReader {
  /**
   * A batch from one node. A promise says the reader is full: the broker reads nothing more from
   * that node for this subscription until it settles (it must settle, also when the reader goes).
   */
  lines(lines: BrokerLogLine[]): void | Promise<void>;
  /** A node could not serve its part (gone, no session, its own error). */
  nodeError(nodeId: string, message: string): void;
  /** Every node finished (without follow), or the broker stopped. */
  end(): void;
}

/** What subscribe() hands back: cancel, and (while following) more tasks to follow. */
export interface LogSubscriptionHandle {
  /** The reader went away: every node stops sending. */
  cancel(): void;
  /** Also follows these tasks of `nodeId` from their first line (tasks that started meanwhile). */
  add(nodeId: string, taskIds: readonly string[]): void;
}

interface Subscription {
  reader: LogReader;
  follow: boolean;
  /** The parts not closed yet: wire subscription id → the node serving it (one per node and request). */
  pendingParts: Map<string, string>;
  cancelled: boolean;
}

type NodeStream = grpc.ServerWritableStream<{ sessionId: string }, unknown>;

export class LogBroker {
  private readonly nodeStreams = new Map<string, NodeStream>();
  /** By the wire id of each of its parts. */
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly log: Logger;

  constructor(options: { logger?: Logger } = {}) {
    this.log = (options.logger ?? silentLogger).child({ component: 'log-broker' });
  }

  /** Keeps a node's LogSubscriptions stream until it ends; a newer one replaces it. */
  serveNode(nodeId: string, call: NodeStream): void {
    const previous = this.nodeStreams.get(nodeId);
    if (previous && !previous.cancelled) previous.end();
    this.nodeStreams.set(nodeId, call);
    const gone = (): void => {
      if (this.nodeStreams.get(nodeId) !== call) return;
      this.nodeStreams.delete(nodeId);
      for (const [partId, sub] of [...this.subscriptions])
        if (sub.pendingParts.get(partId) === nodeId) this.partDone(sub, partId, 'the node disconnected');
    };
    call.on('cancelled', gone);
    call.on('error', gone);
    call.on('close', gone);
  }

  /** Starts a subscription: one part per node that runs some of the tasks. */
  subscribe(request: LogRequest, reader: LogReader): LogSubscriptionHandle {
    const sub: Subscription = { reader, follow: request.follow, pendingParts: new Map(), cancelled: false };
    const history = {
      ...(request.tail === undefined ? {} : { tail: request.tail }),
      sinceMs: request.sinceMs ?? 0,
    };
    for (const [nodeId, taskIds] of request.tasksByNode) this.openPart(sub, nodeId, taskIds, history);
    if (sub.pendingParts.size === 0 && !sub.follow) this.finish(sub);
    return {
      cancel: () => this.cancel(sub),
      add: (nodeId, taskIds) => {
        // A new task's lines are all new: no tail, no since.
        if (sub.follow && !sub.cancelled) this.openPart(sub, nodeId, taskIds, { sinceMs: 0 });
      },
    };
  }

  private openPart(
    sub: Subscription,
    nodeId: string,
    taskIds: readonly string[],
    history: { tail?: number; sinceMs: number },
  ): void {
    const stream = this.nodeStreams.get(nodeId);
    if (!stream) {
      sub.reader.nodeError(nodeId, `node ${nodeId} is not connected; its logs are unavailable`);
      return;
    }
    const partId = randomBytes(8).toString('hex');
    sub.pendingParts.set(partId, nodeId);
    this.subscriptions.set(partId, sub);
    const message: LogSubscription = {
      subscriptionId: partId,
      taskIds: [...taskIds],
      follow: sub.follow,
      ...history,
    };
    stream.write(message);
  }

  /** A node's PublishLogs stream: lines of its subscriptions until it closes them. */
  receive(
    nodeId: string,
    call: grpc.ServerReadableStream<unknown, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void {
    call.on('data', (raw: PublishLogsMessage__Output) => {
      const sub = this.subscriptions.get(raw.subscriptionId);
      // Cancelled meanwhile, or not this node's part.
      if (!sub || sub.pendingParts.get(raw.subscriptionId) !== nodeId) return;
      if (raw.lines.length > 0) {
        const full = sub.reader.lines(
          raw.lines.map((l) => ({
            taskId: l.taskId,
            nodeId,
            stream: l.stream === 'stderr' ? 'stderr' : 'stdout',
            timeMs: l.timeMs,
            line: l.line,
          })),
        );
        if (full) {
          // Paused, the stream buffers what already arrived and then stops reading from the node.
          call.pause();
          const resume = (): void => void call.resume();
          full.then(resume, resume);
        }
      }
      if (raw.error) sub.reader.nodeError(nodeId, raw.error);
      if (raw.close) this.partDone(sub, raw.subscriptionId);
    });
    call.on('error', (err) => this.log.debug('publish stream failed', { nodeId, error: err.message }));
    call.on('end', () => callback(null, {}));
  }

  /** Ends every subscription (the dispatcher stops). */
  stop(): void {
    for (const sub of new Set(this.subscriptions.values())) {
      sub.reader.nodeError('', 'the manager stopped serving logs');
      this.finish(sub);
    }
    for (const stream of this.nodeStreams.values())
      if (!stream.cancelled) stream.emit('error', { code: 14, details: 'the dispatcher stopped' });
    this.nodeStreams.clear();
  }

  private partDone(sub: Subscription, partId: string, error?: string): void {
    const nodeId = sub.pendingParts.get(partId);
    if (nodeId === undefined) return;
    sub.pendingParts.delete(partId);
    this.subscriptions.delete(partId);
    if (error) sub.reader.nodeError(nodeId, error);
    // A followed subscription stays open for tasks that start later, until the reader goes.
    if (sub.pendingParts.size === 0 && !sub.follow) this.finish(sub);
  }

  private cancel(sub: Subscription): void {
    if (sub.cancelled) return;
    sub.cancelled = true;
    for (const [partId, nodeId] of sub.pendingParts) {
      this.subscriptions.delete(partId);
      this.nodeStreams
        .get(nodeId)
        ?.write({ subscriptionId: partId, taskIds: [], close: true } satisfies LogSubscription);
    }
    sub.pendingParts.clear();
  }

  private finish(sub: Subscription): void {
    if (sub.cancelled) return;
    sub.cancelled = true;
    for (const partId of sub.pendingParts.keys()) this.subscriptions.delete(partId);
    sub.pendingParts.clear();
    sub.reader.end();
  }
}
