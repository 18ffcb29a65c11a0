// Serves the dispatcher's log requests on a worker: for one subscription, reads the output of
// each requested task from the executor and publishes it in batches on a PublishLogs stream,
// closing the stream when every task's output is sent (or, when following, when the
// subscription is cancelled or the session ends). While the stream is full (the leader's reader
// is slow) the tasks' readers wait for it to drain, so the engine's output stays in the engine.

import type * as grpc from '@grpc/grpc-js';
import type { LogSubscription__Output } from '../generated/flotilla/dispatcher/v1/LogSubscription.js';
import type { PublishLogsMessage } from '../generated/flotilla/dispatcher/v1/PublishLogsMessage.js';
import type { Logger } from '../util/logger.js';
import type { LogLine, LogOptions } from './executor.js';

/** A task's output, or null when the node does not run that task. */
export type TaskLogs = (taskId: string, options: LogOptions) => AsyncIterable<LogLine> | null;

const BATCH_LINES = 200;
const BATCH_MS = 50;

export class LogPublisher {
  private readonly active = new Map<string, AbortController>();

  constructor(
    private readonly logsOf: TaskLogs,
    private readonly log: Logger,
  ) {}

  serve(
    subscription: LogSubscription__Output,
    open: () => grpc.ClientWritableStream<PublishLogsMessage>,
  ): void {
    if (subscription.close) {
      this.active.get(subscription.subscriptionId)?.abort();
      return;
    }
    const controller = new AbortController();
    this.active.set(subscription.subscriptionId, controller);
    void this.publish(subscription, open(), controller).finally(() =>
      this.active.delete(subscription.subscriptionId),
    );
  }

  /** Stops every subscription (the session ended). */
  stopAll(): void {
    for (const c of this.active.values()) c.abort();
    this.active.clear();
  }

  private async publish(
    sub: LogSubscription__Output,
    stream: grpc.ClientWritableStream<PublishLogsMessage>,
    controller: AbortController,
  ): Promise<void> {
    const { subscriptionId } = sub;
    stream.on('error', () => controller.abort());
    let batch: PublishLogsMessage['lines'] & object = [];
    let timer: NodeJS.Timeout | null = null;
    /** Set while the stream is over its buffer: readers wait on it before taking more lines. */
    let drained: Promise<void> | null = null;
    const flush = (): void => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (batch.length === 0 || stream.destroyed) return;
      const room = stream.write({ subscriptionId, lines: batch });
      batch = [];
      if (!room && drained === null)
        drained = new Promise<void>((resolve) => {
          const done = (): void => {
            stream.off('drain', done);
            controller.signal.removeEventListener('abort', done);
            drained = null;
            resolve();
          };
          stream.on('drain', done);
          controller.signal.addEventListener('abort', done, { once: true });
        });
    };
    const options: LogOptions = {
      follow: sub.follow,
      tail: sub.tail === undefined ? undefined : Number(sub.tail),
      sinceMs: Number(sub.sinceMs) > 0 ? Number(sub.sinceMs) : undefined,
      signal: controller.signal,
    };
    const errors: string[] = [];
    await Promise.all(
      sub.taskIds.map(async (taskId) => {
        const lines = this.logsOf(taskId, options);
        if (!lines) {
          errors.push(`task ${taskId} is not on this node`);
          return;
        }
        try {
          for await (const l of lines) {
            batch.push({ taskId, stream: l.stream, timeMs: l.timeMs, line: l.line });
            if (batch.length >= BATCH_LINES) flush();
            else timer ??= setTimeout(flush, BATCH_MS);
            if (drained) await drained;
          }
        } catch (err) {
          if (!controller.signal.aborted) errors.push(`task ${taskId}: ${(err as Error).message}`);
        }
      }),
    );
    flush();
    if (!stream.destroyed) {
      stream.write({ subscriptionId, close: true, error: errors.join('; ') });
      stream.end();
    }
    if (errors.length > 0) this.log.debug('log subscription served with errors', { subscriptionId, errors });
  }
}
