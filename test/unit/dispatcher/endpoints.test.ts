// The EndpointPublisher on a ManualClock over a real store applied without Raft: each node gets
// the routing mesh's complete endpoint table, then deltas that rebuild the publisher's table
// exactly; changes that do not touch ingress services send nothing; a full stream is caught up
// with one delta once drained.

import { afterEach, describe, expect, it } from 'vitest';
import { withClusterDefaults, withServiceDefaults, type Service } from '../../../src/api/index.js';
import {
  DEFAULT_TUNNEL_PORT,
  EndpointPublisher,
  type EndpointSink,
} from '../../../src/dispatcher/endpoints.js';
import type { EndpointsMessage } from '../../../src/generated/flotilla/dispatcher/v1/EndpointsMessage.js';
import { applyEndpointDelta, type EndpointDelta, type EndpointTable } from '../../../src/mesh/index.js';
import {
  advanceUntil,
  create,
  makeNode,
  makeTask,
  settle,
  status,
  updateTask,
  world,
  type World,
} from './helpers.js';

const publishers: EndpointPublisher[] = [];
afterEach(async () => {
  while (publishers.length > 0) await publishers.pop()!.stop();
});

/** A node's side: applies what it is sent, as the worker's mesh does. */
class NodeView implements EndpointSink {
  readonly messages: EndpointsMessage[] = [];
  table: EndpointTable | null = null;
  full = false;
  private waiting: Array<() => void> = [];

  write(message: EndpointsMessage): boolean {
    this.messages.push(message);
    if (message.tableJson !== undefined && message.tableJson.length > 0)
      this.table = JSON.parse(Buffer.from(message.tableJson).toString('utf8')) as EndpointTable;
    else {
      const delta = JSON.parse(Buffer.from(message.deltaJson!).toString('utf8')) as EndpointDelta;
      expect(delta.fromVersion, 'a delta applies to the table the node has').toBe(this.table!.version);
      this.table = applyEndpointDelta(this.table!, delta);
    }
    return !this.full;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  drain(): void {
    this.full = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

function webService(
  id: string,
  ports: Array<{ publishedPort: number; targetPort: number }>,
): Omit<Service, 'meta'> {
  return {
    id,
    spec: withServiceDefaults({
      name: id,
      taskTemplate: { containerSpec: { image: 'nginx:1.27' } },
      endpointSpec: {
        mode: 'vip',
        ports: ports.map((p) => ({ ...p, protocol: 'tcp' as const, publishMode: 'ingress' as const })),
      },
    }),
  };
}

async function cluster(): Promise<{ w: World; publisher: EndpointPublisher }> {
  const w = world();
  await w.store.update([
    { op: 'create', kind: 'service', object: webService('web', [{ publishedPort: 8080, targetPort: 80 }]) },
    { op: 'create', kind: 'service', object: webService('batch', []) },
  ]);
  await create(w.store, {
    nodes: [makeNode('n1', 'ready', '10.0.0.1'), makeNode('n2', 'ready', '10.0.0.2')],
    tasks: [
      makeTask('t1', { service: 'web', nodeId: 'n1', state: 'running' }),
      makeTask('t2', { service: 'web', nodeId: 'n2', state: 'running' }),
      makeTask('t3', { service: 'web', nodeId: 'n2', state: 'starting' }),
      makeTask('b1', { service: 'batch', nodeId: 'n1', state: 'running' }),
    ],
  });
  const publisher = new EndpointPublisher({ store: w.store, clock: w.clock, batchMs: 20 });
  publishers.push(publisher);
  publisher.start();
  return { w, publisher };
}

describe('the endpoint publisher', () => {
  it('sends a node the complete table: ingress ports, their running tasks, every node’s tunnel address', async () => {
    const { publisher } = await cluster();
    const node = new NodeView();
    publisher.subscribe('n1', node);
    expect(node.messages).toHaveLength(1);
    expect(node.table).toEqual(publisher.current);
    expect(node.table!.ports).toEqual([
      expect.objectContaining({
        protocol: 'tcp',
        publishedPort: 8080,
        serviceId: 'web',
        balance: 'round-robin',
        backends: [
          { taskId: 't1', nodeId: 'n1', targetPort: 80, ready: true },
          { taskId: 't2', nodeId: 'n2', targetPort: 80, ready: true },
        ],
      }),
    ]);
    expect(node.table!.nodes).toEqual({
      n1: { host: '10.0.0.1', port: DEFAULT_TUNNEL_PORT },
      n2: { host: '10.0.0.2', port: DEFAULT_TUNNEL_PORT },
    });
  });

  it('follows the store with deltas that rebuild its table, and sends nothing for other services’ tasks', async () => {
    const { w, publisher } = await cluster();
    const node = new NodeView();
    publisher.subscribe('n1', node);

    await updateTask(w.store, 'b1', (t) => ({ ...t, status: status('complete') }));
    await advanceUntil(w, 'the batch window to pass', () => true);
    w.clock.advance(50);
    await settle();
    expect(node.messages).toHaveLength(1);

    // t3 starts: into the rotation; t1 is asked to stop: out of it, draining.
    await updateTask(w.store, 't3', (t) => ({ ...t, status: status('running') }));
    await updateTask(w.store, 't1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await advanceUntil(w, 'a delta', () => node.messages.length === 2);
    expect(node.table).toEqual(publisher.current);
    const backends = node.table!.ports[0]!.backends;
    expect(backends.map((b) => [b.taskId, b.ready])).toEqual([
      ['t1', false],
      ['t2', true],
      ['t3', true],
    ]);
    expect(backends[0]!.drainingUntil).toBeGreaterThan(0);

    // n2 goes down: its tasks and its address leave the table.
    const n2 = w.store.get('node', 'n2')!;
    await w.store.update([
      {
        op: 'update',
        kind: 'node',
        object: { ...n2, status: { ...n2.status, state: 'down' } },
        expectedVersion: n2.meta.version.index,
      },
    ]);
    await advanceUntil(w, 'another delta', () => node.messages.length === 3);
    expect(node.table).toEqual(publisher.current);
    expect(node.table!.ports[0]!.backends.map((b) => b.taskId)).toEqual(['t1']);
    expect(Object.keys(node.table!.nodes)).toEqual(['n1']);
  });

  it('holds a full stream back and catches it up with one delta once drained', async () => {
    const { w, publisher } = await cluster();
    const slow = new NodeView();
    const fast = new NodeView();
    publisher.subscribe('n1', slow);
    publisher.subscribe('n2', fast);
    slow.full = true;
    await updateTask(w.store, 't3', (t) => ({ ...t, status: status('running') }));
    await advanceUntil(w, 'a first delta', () => fast.messages.length === 2);
    await updateTask(w.store, 't2', (t) => ({ ...t, status: status('failed') }));
    await advanceUntil(w, 'a second delta', () => fast.messages.length === 3);
    expect(slow.messages).toHaveLength(2); // the first delta filled its stream
    slow.drain();
    await settle();
    expect(slow.messages).toHaveLength(3);
    expect(slow.table).toEqual(publisher.current);
    expect(fast.table).toEqual(publisher.current);
  });

  it('uses the cluster’s data path port for the tunnels', async () => {
    const { w, publisher } = await cluster();
    await w.store.update([
      {
        op: 'create',
        kind: 'cluster',
        object: {
          spec: withClusterDefaults(),
          joinTokens: { worker: 'w', manager: 'm' },
          rootRotationInProgress: false,
          defaultAddrPool: ['10.0.0.0/8'],
          subnetSize: 24,
          dataPathPort: 7946,
        },
      },
    ]);
    await advanceUntil(w, 'the table to follow', () => publisher.current.nodes['n1']?.port === 7946);
  });
});
