// The leader's log broker (SwarmKit's manager/logbroker): a reader's request for the output of
// some tasks becomes one subscription per node that runs them, sent down each node's
// LogSubscriptions stream; the nodes publish the lines back (PublishLogs) and the broker hands
// them to the reader as they arrive, merged across nodes. Without follow, the subscription ends
// once every node has said it sent everything (or is gone). A slow reader holds the nodes back:
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
  /** Every node finished (never called while following). */
  end(): void;
}

interface Subscription {
  id: string;
  reader: LogReader;
  /** Nodes that have not closed their part yet. */
  pendingNodes: Set<string>;
  follow: boolean;
}

type NodeStream = grpc.ServerWritableStream<{ sessionId: string }, unknown>;

export class LogBroker {
  private readonly nodeStreams = new Map<string, NodeStream>();
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
      for (const sub of [...this.subscriptions.values()])
        if (sub.pendingNodes.has(nodeId)) this.nodeDone(sub, nodeId, 'the node disconnected');
    };
    call.on('cancelled', gone);
    call.on('error', gone);
    call.on('close', gone);
  }

  /** Starts a subscription; returns a function that cancels it (the reader went away). */
  subscribe(request: LogRequest, reader: LogReader): () => void {
    const id = randomBytes(8).toString('hex');
    const sub: Subscription = { id, reader, pendingNodes: new Set(), follow: request.follow };
    this.subscriptions.set(id, sub);
    for (const [nodeId, taskIds] of request.tasksByNode) {
      const stream = this.nodeStreams.get(nodeId);
      if (!stream) {
        reader.nodeError(nodeId, `node ${nodeId} is not connected; its logs are unavailable`);
        continue;
      }
      sub.pendingNodes.add(nodeId);
      const message: LogSubscription = {
        subscriptionId: id,
        taskIds: [...taskIds],
        follow: request.follow,
        tail: request.tail ?? 0,
        sinceMs: request.sinceMs ?? 0,
      };
      stream.write(message);
    }
    if (sub.pendingNodes.size === 0) this.finish(sub);
    return () => this.cancel(sub);
  }

  /** A node's PublishLogs stream: lines of its subscriptions until it closes them. */
  receive(
    nodeId: string,
    call: grpc.ServerReadableStream<unknown, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void {
    call.on('data', (raw: PublishLogsMessage__Output) => {
      const sub = this.subscriptions.get(raw.subscriptionId);
      if (!sub || !sub.pendingNodes.has(nodeId)) return; // cancelled meanwhile, or not this node's
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
      if (raw.close) this.nodeDone(sub, nodeId);
    });
    call.on('error', (err) => this.log.debug('publish stream failed', { nodeId, error: err.message }));
    call.on('end', () => callback(null, {}));
  }

  /** Ends every subscription (the dispatcher stops). */
  stop(): void {
    for (const sub of [...this.subscriptions.values()]) {
      sub.reader.nodeError('', 'the manager stopped serving logs');
      this.finish(sub);
    }
    for (const stream of this.nodeStreams.values())
      if (!stream.cancelled) stream.emit('error', { code: 14, details: 'the dispatcher stopped' });
    this.nodeStreams.clear();
  }

  private nodeDone(sub: Subscription, nodeId: string, error?: string): void {
    if (!sub.pendingNodes.delete(nodeId)) return;
    if (error) sub.reader.nodeError(nodeId, error);
    if (sub.pendingNodes.size === 0) this.finish(sub);
  }

  private cancel(sub: Subscription): void {
    if (!this.subscriptions.delete(sub.id)) return;
    for (const nodeId of sub.pendingNodes)
      this.nodeStreams
        .get(nodeId)
        ?.write({ subscriptionId: sub.id, taskIds: [], close: true } satisfies LogSubscription);
  }

  private finish(sub: Subscription): void {
    if (!this.subscriptions.delete(sub.id)) return;
    sub.reader.end();
  }
}
