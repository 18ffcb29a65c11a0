// The leader's LogBroker and a worker's LogPublisher with stand-ins for their gRPC streams: a
// request becomes one subscription per node, lines come back to the reader, nodes that are gone
// are reported, a cancelled reader closes the nodes' parts, and a full reader holds a node's
// publish stream (and a full publish stream holds the task's reader) until there is room.

import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { LogBroker, type BrokerLogLine, type LogReader } from '../../../src/dispatcher/logs.js';
import type { LogSubscription } from '../../../src/generated/flotilla/dispatcher/v1/LogSubscription.js';
import type { PublishLogsMessage } from '../../../src/generated/flotilla/dispatcher/v1/PublishLogsMessage.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { LogLine, LogOptions } from '../../../src/worker/executor.js';
import { LogPublisher } from '../../../src/worker/log-publisher.js';
import { waitUntil } from '../../support/wait.js';

/** A node's LogSubscriptions stream as the broker writes to it. */
class NodeStream extends EventEmitter {
  readonly written: LogSubscription[] = [];
  cancelled = false;
  write(message: LogSubscription): boolean {
    this.written.push(message);
    return true;
  }
  end(): void {}
}

/** A node's PublishLogs stream as the broker reads it. */
class PublishCall extends EventEmitter {
  paused = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
}

function recordingReader(full?: () => Promise<void> | void): LogReader & {
  lines_: BrokerLogLine[];
  errors: string[];
  ended: boolean;
} {
  const reader = {
    lines_: [] as BrokerLogLine[],
    errors: [] as string[],
    ended: false,
    lines(lines: BrokerLogLine[]) {
      reader.lines_.push(...lines);
      return full?.();
    },
    nodeError(nodeId: string, message: string) {
      reader.errors.push(`${nodeId}: ${message}`);
    },
    end() {
      reader.ended = true;
    },
  };
  return reader;
}

function connect(broker: LogBroker, nodeId: string): NodeStream {
  const stream = new NodeStream();
  broker.serveNode(nodeId, stream as unknown as grpc.ServerWritableStream<{ sessionId: string }, unknown>);
  return stream;
}

function publish(broker: LogBroker, nodeId: string): PublishCall {
  const call = new PublishCall();
  broker.receive(nodeId, call as unknown as grpc.ServerReadableStream<unknown, unknown>, () => undefined);
  return call;
}

const tasksByNode = (entries: Record<string, string[]>): Map<string, string[]> =>
  new Map(Object.entries(entries));

describe('the log broker', () => {
  it('asks each node for its tasks, hands their lines to the reader, and ends once every node closed', () => {
    const broker = new LogBroker();
    const n1 = connect(broker, 'n1');
    const n2 = connect(broker, 'n2');
    const reader = recordingReader();
    broker.subscribe(
      { tasksByNode: tasksByNode({ n1: ['t1'], n2: ['t2', 't3'] }), follow: false, tail: 2 },
      reader,
    );
    const [sub1] = n1.written;
    expect(sub1).toMatchObject({ taskIds: ['t1'], follow: false, tail: 2, sinceMs: 0 });
    // One part per node, each with its own id.
    expect(n2.written[0]).toMatchObject({ taskIds: ['t2', 't3'] });
    expect(n2.written[0]!.subscriptionId).not.toBe(sub1!.subscriptionId);

    const p1 = publish(broker, 'n1');
    p1.emit('data', {
      subscriptionId: sub1!.subscriptionId,
      lines: [{ taskId: 't1', stream: 'stderr', timeMs: 5, line: 'boom' }],
      close: true,
      error: '',
    });
    expect(reader.lines_).toEqual([
      { taskId: 't1', nodeId: 'n1', stream: 'stderr', timeMs: 5, line: 'boom' },
    ]);
    expect(reader.ended).toBe(false);
    // n2 goes away without closing: reported, and the subscription ends.
    n2.emit('cancelled');
    expect(reader.errors).toEqual(['n2: the node disconnected']);
    expect(reader.ended).toBe(true);
  });

  it('reports a node that is not connected and ends at once when no node is', () => {
    const broker = new LogBroker();
    const reader = recordingReader();
    broker.subscribe({ tasksByNode: tasksByNode({ gone: ['t1'] }), follow: false }, reader);
    expect(reader.errors).toEqual(['gone: node gone is not connected; its logs are unavailable']);
    expect(reader.ended).toBe(true);
  });

  it('keeps a followed subscription open for tasks added later, each from its first line, until cancelled', () => {
    const broker = new LogBroker();
    const n1 = connect(broker, 'n1');
    const n2 = connect(broker, 'n2');
    const reader = recordingReader();
    const sub = broker.subscribe({ tasksByNode: new Map(), follow: true, tail: 0 }, reader);
    expect(reader.ended).toBe(false);
    sub.add('n2', ['t9']);
    expect(n2.written[0]).toMatchObject({ taskIds: ['t9'], follow: true, sinceMs: 0 });
    expect(n2.written[0]!.tail).toBeUndefined();
    const part = n2.written[0]!.subscriptionId;
    publish(broker, 'n2').emit('data', {
      subscriptionId: part,
      lines: [{ taskId: 't9', stream: 'stdout', timeMs: 1, line: 'new task' }],
      close: false,
      error: '',
    });
    expect(reader.lines_.map((l) => l.line)).toEqual(['new task']);
    // A part's lines count only from the node it was sent to.
    publish(broker, 'n1').emit('data', {
      subscriptionId: part,
      lines: [{ taskId: 't9', stream: 'stdout', timeMs: 2, line: 'forged' }],
      close: false,
      error: '',
    });
    expect(reader.lines_).toHaveLength(1);
    sub.cancel();
    expect(n2.written[1]).toMatchObject({ subscriptionId: part, close: true });
    expect(n1.written).toEqual([]);
    sub.add('n1', ['t10']);
    expect(n1.written).toEqual([]);
  });

  it('tells the nodes to stop when the reader cancels, and drops their late lines', () => {
    const broker = new LogBroker();
    const n1 = connect(broker, 'n1');
    const reader = recordingReader();
    const sub = broker.subscribe({ tasksByNode: tasksByNode({ n1: ['t1'] }), follow: true }, reader);
    const id = n1.written[0]!.subscriptionId;
    sub.cancel();
    expect(n1.written[1]).toMatchObject({ subscriptionId: id, close: true });
    publish(broker, 'n1').emit('data', {
      subscriptionId: id,
      lines: [{ taskId: 't1', stream: 'stdout', timeMs: 1, line: 'late' }],
      close: false,
      error: '',
    });
    expect(reader.lines_).toEqual([]);
  });

  it('pauses a node’s publish stream while the reader is full, and resumes it when it has room', async () => {
    const broker = new LogBroker();
    const n1 = connect(broker, 'n1');
    let room: () => void = () => undefined;
    const reader = recordingReader(() => new Promise<void>((resolve) => (room = resolve)));
    broker.subscribe({ tasksByNode: tasksByNode({ n1: ['t1'] }), follow: true }, reader);
    const call = publish(broker, 'n1');
    call.emit('data', {
      subscriptionId: n1.written[0]!.subscriptionId,
      lines: [{ taskId: 't1', stream: 'stdout', timeMs: 1, line: 'a' }],
      close: false,
      error: '',
    });
    expect(call.paused).toBe(true);
    room();
    await waitUntil('the publish stream to be resumed', () => !call.paused);
  });
});

/** A publish stream whose buffer is full until drained. */
class FullStream extends EventEmitter {
  readonly messages: PublishLogsMessage[] = [];
  destroyed = false;
  room = false;
  ended = false;
  write(message: PublishLogsMessage): boolean {
    this.messages.push(message);
    return this.room;
  }
  end(): void {
    this.ended = true;
  }
}

describe('the log publisher', () => {
  it('stops reading a task’s lines while its stream is full, and sends them all once it drains', async () => {
    let read = 0;
    async function* lines(): AsyncGenerator<LogLine> {
      for (let i = 0; i < 1000; i++) {
        read += 1;
        yield { stream: 'stdout', timeMs: i, line: `line ${i}` };
      }
    }
    const publisher = new LogPublisher((_taskId: string, _options: LogOptions) => lines(), silentLogger);
    const stream = new FullStream();
    publisher.serve(
      { subscriptionId: 's1', taskIds: ['t1'], follow: false, sinceMs: 0, close: false },
      () => stream as unknown as grpc.ClientWritableStream<PublishLogsMessage>,
    );
    await waitUntil('a first batch', () => stream.messages.length === 1);
    // One batch of 200 went out and found the stream full: reading stopped right there.
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toBe(200);
    stream.room = true;
    stream.emit('drain');
    await waitUntil('the stream to be closed', () => stream.ended);
    const sent = stream.messages.flatMap((m) => m.lines ?? []).map((l) => l.line);
    expect(sent).toEqual(Array.from({ length: 1000 }, (_, i) => `line ${i}`));
    expect(stream.messages[stream.messages.length - 1]).toMatchObject({ close: true, error: '' });
  });
});
