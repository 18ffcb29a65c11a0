// ServiceLogs through real gRPC servers and FlotillaClient, with a scripted log broker in place of
// the dispatcher's: which tasks are asked for (by node), how batches and warnings reach the
// client, when the stream ends, that a client going away cancels the subscription, that a slow
// client holds the broker back, and that a follower forwards the whole stream to the leader.

import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task } from '../../../../src/api/index.js';
import {
  ControlError,
  FlotillaClient,
  formatLogLine,
  NotFoundError,
  ValidationError,
  type ServiceLogLine,
} from '../../../../src/index.js';
import {
  controlServerOptions,
  registerControlService,
  type ApiObjectTypes,
  type ApiStore,
  type ControlService,
  type LogSource,
  type SourceLogLine,
} from '../../../../src/manager/control/index.js';
import { ReplicatedStore, type TransactionResult } from '../../../../src/manager/store/index.js';
import { LocalHub, MemoryStorage, RaftNode } from '../../../../src/raft/index.js';
import { waitUntil } from '../../../support/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

type Reader = Parameters<LogSource['subscribe']>[1];
type LogRequest = Parameters<LogSource['subscribe']>[0];

/** A broker the test drives: it records subscriptions and hands their readers to the test. */
interface ScriptedSubscription {
  request: LogRequest;
  reader: Reader;
  cancelled: boolean;
  /** Tasks added while following, as [nodeId, taskId]. */
  added: Array<[string, string]>;
}

class ScriptedBroker implements LogSource {
  readonly subscriptions: ScriptedSubscription[] = [];

  subscribe(
    request: LogRequest,
    reader: Reader,
  ): { cancel(): void; add(nodeId: string, taskIds: readonly string[]): void } {
    const sub: ScriptedSubscription = { request, reader, cancelled: false, added: [] };
    this.subscriptions.push(sub);
    return {
      cancel: () => {
        sub.cancelled = true;
      },
      add: (nodeId, taskIds) => {
        for (const id of taskIds) sub.added.push([nodeId, id]);
      },
    };
  }

  async next(): Promise<ScriptedSubscription> {
    await waitUntil('a log subscription at the broker', () => this.subscriptions.length > 0);
    return this.subscriptions[this.subscriptions.length - 1]!;
  }
}

interface Manager {
  id: string;
  node: RaftNode<TransactionResult>;
  store: ApiStore;
  control: ControlService;
  broker: ScriptedBroker;
  client: FlotillaClient;
}

/**
 * Managers whose Raft addresses are their gRPC addresses (a follower forwards logs to the
 * leader's address): each server is bound before its node is made.
 */
async function startManagers(ids: string[], options: { withLogs?: boolean } = {}): Promise<Manager[]> {
  const hub = new LocalHub();
  const bound = await Promise.all(
    ids.map(async (id) => {
      const server = new grpc.Server(controlServerOptions());
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(err) : resolve(p),
        ),
      );
      cleanups.push(() => server.forceShutdown());
      return { id, server, address: `127.0.0.1:${port}` };
    }),
  );
  const managers: Manager[] = [];
  for (const { id, server, address } of bound) {
    const store = new ReplicatedStore<ApiObjectTypes>();
    const node = new RaftNode<TransactionResult>({
      id,
      address,
      storage: new MemoryStorage(),
      transport: hub.transport(id),
      stateMachine: store,
      bootstrap: bound.map((b) => ({ id: b.id, address: b.address })),
      heartbeatMs: 10,
      electionMs: 100,
    });
    store.attach(node);
    await node.start();
    cleanups.push(() => node.stop());
    const broker = new ScriptedBroker();
    const control = registerControlService(server, {
      store,
      node,
      ...(options.withLogs === false
        ? {}
        : { logs: { broker, selfId: id, credentials: () => grpc.credentials.createInsecure() } }),
    });
    cleanups.push(() => control.stop());
    const client = new FlotillaClient({ address });
    cleanups.push(() => client.close());
    managers.push({ id, node, store, control, broker, client });
  }
  await waitUntil('a leader known to every manager', () =>
    managers.every((m) => m.node.leader().id !== '' && m.node.leader().id === managers[0]!.node.leader().id),
  );
  return managers;
}

function leaderOf(managers: Manager[]): Manager {
  return managers.find((m) => m.node.isLeader())!;
}

const AT = '2023-11-14T22:13:20.000Z';

/** A service "web" with tasks in various states, and two described nodes. */
async function seed(store: ApiStore): Promise<{ serviceId: string; tasks: Record<string, string> }> {
  const { objects } = await store.update([
    {
      op: 'create',
      kind: 'service',
      object: { spec: { name: 'web', taskTemplate: { containerSpec: { image: 'busybox' } } } },
    },
  ]);
  const serviceId = objects[0]!.id;
  const task = (
    slot: number,
    nodeId: string | undefined,
    status: Partial<Task['status']>,
  ): Omit<Task, 'id' | 'meta'> => ({
    labels: {},
    serviceId,
    slot,
    ...(nodeId === undefined ? {} : { nodeId }),
    spec: { containerSpec: { image: 'busybox' } },
    status: { state: 'pending', timestamp: AT, message: '', ...status },
    desiredState: 'running',
  });
  const created = await store.update([
    { op: 'create', kind: 'task', object: task(1, 'n1', { state: 'running' }) },
    {
      op: 'create',
      kind: 'task',
      object: task(2, 'n2', {
        state: 'complete',
        containerStatus: { containerId: 'c2', pid: 0, exitCode: 0 },
      }),
    },
    // Not yet started on its node: no container, no logs.
    { op: 'create', kind: 'task', object: task(3, 'n1', { state: 'assigned' }) },
    // Never scheduled.
    { op: 'create', kind: 'task', object: task(4, undefined, { state: 'pending' }) },
    { op: 'create', kind: 'task', object: task(5, 'n2', { state: 'starting' }) },
  ]);
  const ids = created.objects.map((o) => o.id);
  return {
    serviceId,
    tasks: { running: ids[0]!, complete: ids[1]!, assigned: ids[2]!, pending: ids[3]!, starting: ids[4]! },
  };
}

function line(taskId: string, nodeId: string, text: string, timeMs = 1_700_000_000_123): SourceLogLine {
  return { taskId, nodeId, stream: 'stdout', timeMs, line: text };
}

async function collect(lines: AsyncIterable<ServiceLogLine>): Promise<ServiceLogLine[]> {
  const all: ServiceLogLine[] = [];
  for await (const l of lines) all.push(l);
  return all;
}

describe('service logs through the control API', () => {
  it('asks the broker for the started tasks by node and streams their lines, named, until the broker ends', async () => {
    const [m] = await startManagers(['m1']);
    const { serviceId, tasks } = await seed(m!.store);

    const stream = m!.client.serviceLogs('web', { tail: 5, sinceMs: 42 });
    const done = collect(stream);
    const sub = await m!.broker.next();
    expect(sub.request.follow).toBe(false);
    expect(sub.request.tail).toBe(5);
    expect(sub.request.sinceMs).toBe(42);
    expect(Object.fromEntries([...sub.request.tasksByNode].map(([n, ids]) => [n, [...ids].sort()]))).toEqual({
      n1: [tasks.running],
      n2: [tasks.complete, tasks.starting].sort(),
    });

    await sub.reader.lines([line(tasks.running!, 'n1', 'hello'), line(tasks.running!, 'n1', 'again')]);
    sub.reader.nodeError('n2', 'node n2 is not connected; its logs are unavailable');
    sub.reader.end();
    const lines = await done;

    expect(lines).toEqual([
      expect.objectContaining({
        taskId: tasks.running,
        serviceId,
        serviceName: 'web',
        taskSlot: 1,
        nodeId: 'n1',
        line: 'hello',
      }),
      expect.objectContaining({ line: 'again', stream: 'stdout', timeMs: 1_700_000_000_123 }),
    ]);
    expect(stream.warnings).toEqual([
      { nodeId: 'n2', message: 'node n2 is not connected; its logs are unavailable' },
    ]);
    expect(formatLogLine(lines[0]!, { timestamps: true })).toBe(
      `2023-11-14T22:13:20.123Z web.1.${tasks.running!.slice(0, 12)}@n1    | hello`,
    );
    await waitUntil('the stream to close on the manager', () => m!.control.openLogStreams === 0);
  });

  it('serves chosen task ids, and refuses unknown services and empty requests', async () => {
    const [m] = await startManagers(['m1']);
    const { tasks } = await seed(m!.store);

    const done = collect(m!.client.serviceLogs({ taskIds: [tasks.complete!, tasks.assigned!] }));
    const sub = await m!.broker.next();
    // The assigned task never ran: it is left out.
    expect([...sub.request.tasksByNode]).toEqual([['n2', [tasks.complete]]]);
    sub.reader.end();
    expect(await done).toEqual([]);

    await expect(collect(m!.client.serviceLogs('nope'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(collect(m!.client.serviceLogs({ taskIds: [] }))).rejects.toBeInstanceOf(ValidationError);
    expect(m!.broker.subscriptions).toHaveLength(1);
  });

  it('passes tail 0 on (no earlier lines), and while following a service adds each of its tasks that starts', async () => {
    const [m] = await startManagers(['m1']);
    const { serviceId, tasks } = await seed(m!.store);
    const abort = new AbortController();
    const done = collect(m!.client.serviceLogs('web', { follow: true, tail: 0, signal: abort.signal })).catch(
      () => [],
    );
    const sub = await m!.broker.next();
    expect(sub.request.tail).toBe(0);
    const pending = m!.store.get('task', tasks.pending!)!;
    await m!.store.update([
      // The pending task is placed and starts; a task of another service starts too.
      {
        op: 'update',
        kind: 'task',
        object: { ...pending, nodeId: 'n3', status: { ...pending.status, state: 'starting' } },
        expectedVersion: pending.meta.version.index,
      },
      {
        op: 'create',
        kind: 'task',
        object: {
          ...pending,
          id: 'other-service-task',
          serviceId: 'another',
          nodeId: 'n3',
          status: { ...pending.status, state: 'running' },
        },
      },
    ]);
    await waitUntil('the started task to join the subscription', () => sub.added.length > 0);
    expect(sub.added).toEqual([['n3', tasks.pending]]);
    await sub.reader.lines([line(tasks.pending!, 'n3', 'from the new task')]);
    abort.abort();
    await done;
    expect(serviceId).not.toBe('');
    await waitUntil('the subscription to be cancelled', () => sub.cancelled);
  });

  it('keeps following until the client aborts, then cancels the subscription', async () => {
    const [m] = await startManagers(['m1']);
    const { tasks } = await seed(m!.store);
    const abort = new AbortController();
    const received: string[] = [];
    const done = (async () => {
      for await (const l of m!.client.serviceLogs('web', { follow: true, signal: abort.signal })) {
        received.push(l.line);
        if (received.length === 2) abort.abort();
      }
    })();
    const sub = await m!.broker.next();
    expect(sub.request.follow).toBe(true);
    await sub.reader.lines([line(tasks.running!, 'n1', 'one')]);
    await waitUntil('the first line at the client', () => received.length === 1);
    expect(sub.cancelled).toBe(false);
    await sub.reader.lines([line(tasks.running!, 'n1', 'two')]);
    await done;
    expect(received).toEqual(['one', 'two']);
    await waitUntil('the subscription to be cancelled', () => sub.cancelled);
    await waitUntil('the stream to close on the manager', () => m!.control.openLogStreams === 0);
  });

  it('holds the broker back while the client does not read, and delivers everything once it does', async () => {
    const [m] = await startManagers(['m1']);
    const { tasks } = await seed(m!.store);
    const stream = m!.client.serviceLogs('web', { follow: true });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    const sub = await m!.broker.next();
    const big = 'x'.repeat(256 * 1024);
    let sent = 0;
    let full: Promise<void> | void = undefined;
    // The client reads one line and then nothing: the windows and buffers fill up.
    while (!full) {
      if (sent > 400) throw new Error('the broker was never told to wait (100 MiB sent)');
      full = sub.reader.lines([line(tasks.running!, 'n1', `${sent} ${big}`)]);
      sent += 1;
    }
    expect(((await first).value as ServiceLogLine).line.startsWith('0 ')).toBe(true);
    let settled = false;
    void full.then(() => (settled = true));
    for (let i = 1; i < sent; i++) {
      const next = await iterator.next();
      expect((next.value as ServiceLogLine).line.startsWith(`${i} `)).toBe(true);
    }
    await waitUntil('the broker to be let go on', () => settled);
    await iterator.return?.();
  });

  it('on a follower, forwards the stream to the leader and the cancellation with it', async () => {
    const managers = await startManagers(['m1', 'm2', 'm3']);
    const leader = leaderOf(managers);
    const follower = managers.find((m) => m !== leader)!;
    const { tasks } = await seed(leader.store);
    await waitUntil('the follower to apply the tasks', () => follower.store.count('task') === 5);

    const abort = new AbortController();
    const received: string[] = [];
    const done = (async () => {
      for await (const l of follower.client.serviceLogs('web', { follow: true, signal: abort.signal })) {
        received.push(`${l.serviceName}.${l.taskSlot} ${l.line}`);
        abort.abort();
      }
    })();
    const sub = await leader.broker.next();
    expect(follower.broker.subscriptions).toHaveLength(0);
    await sub.reader.lines([line(tasks.complete!, 'n2', 'from the leader')]);
    await done;
    expect(received).toEqual(['web.2 from the leader']);
    await waitUntil('the leader to cancel the subscription', () => sub.cancelled);
    await waitUntil('both streams to close', () => managers.every((m) => m.control.openLogStreams === 0));

    // Without follow, the end at the leader ends the follower's stream.
    const all = collect(follower.client.serviceLogs('web'));
    await waitUntil('a second subscription', () => leader.broker.subscriptions.length === 2);
    leader.broker.subscriptions[1]!.reader.nodeError('n1', 'gone');
    leader.broker.subscriptions[1]!.reader.end();
    expect(await all).toEqual([]);
  });

  it('fails UNIMPLEMENTED on a control service without a broker', async () => {
    const [m] = await startManagers(['m1'], { withLogs: false });
    await seed(m!.store);
    const err = await collect(m!.client.serviceLogs('web')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).code).toBe('UNIMPLEMENTED');
  });
});
