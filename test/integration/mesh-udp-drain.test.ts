// Two meshes (127.0.0.244 and .245, tasks on .246) on a manual clock: UDP echo through the local
// path and the tunnel, flows forgotten after their idle timeout, least-connections balancing, and
// connections to a task being stopped drained until its deadline while new ones go elsewhere.

import { connect, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Service, Task } from '../../src/api/index.js';
import { SECOND } from '../../src/api/index.js';
import {
  computeEndpointTable,
  diffEndpointTables,
  Mesh,
  MESH_LABELS,
  type TaskAddress,
} from '../../src/mesh/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { waitUntil } from '../support/wait.js';
import {
  makeNode,
  makeService,
  makeTask,
  startTcpBackend,
  startUdpBackend,
  tcpRequest,
  testCluster,
  udpRequest,
  who,
  type TestCluster,
} from '../unit/mesh/fixtures.js';

const CLIENT = '127.0.0.240';
const A = '127.0.0.244';
const B = '127.0.0.245';
const TASKS = '127.0.0.246';
const TUNNEL_PORT = 17948;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

interface World {
  clock: ManualClock;
  meshA: Mesh;
  meshB: Mesh;
  addresses: Map<string, TaskAddress>;
  services: Service[];
  tasks: Task[];
  nodes: Node[];
  publish(): Promise<void>;
}

async function world(settings: { udpMaxFlows?: number } = {}): Promise<World> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const addresses = new Map<string, TaskAddress>();
  const make = async (nodeId: string, host: string): Promise<Mesh> => {
    const mesh = new Mesh({
      nodeId,
      listenAddress: host,
      tunnelAddress: { host, port: TUNNEL_PORT },
      tls: await cluster.identity(nodeId),
      localTaskAddress: (taskId) => addresses.get(taskId) ?? null,
      clock,
      settings: { connectTimeoutMs: 500, closeGraceMs: 500, udpSweepMs: 1000, ...settings },
    });
    await mesh.start();
    cleanups.push(() => mesh.stop());
    return mesh;
  };
  const meshA = await make('nodeA', A);
  const meshB = await make('nodeB', B);
  const w: World = {
    clock,
    meshA,
    meshB,
    addresses,
    services: [],
    tasks: [],
    nodes: [makeNode('nodeA', A), makeNode('nodeB', B)],
    async publish() {
      const table = computeEndpointTable(w.services, w.tasks, w.nodes, { tunnelPort: TUNNEL_PORT });
      await Promise.all([meshA.update(table), meshB.update(table)]);
    },
  };
  return w;
}

describe('mesh over UDP', () => {
  it('echoes through the local path and the tunnel, and forgets idle flows', async () => {
    const w = await world();
    for (const name of ['u1', 'u2']) {
      const b = await startUdpBackend(name, TASKS);
      cleanups.push(() => b.close());
      w.addresses.set(name, { host: b.host, port: b.port });
    }
    w.services.push(
      makeService('s1', [{ targetPort: 53, publishedPort: 18153, protocol: 'udp' }], {
        [MESH_LABELS.idleTimeout]: '2s',
      }),
    );
    w.tasks.push(makeTask('u1', 's1', 'nodeA'), makeTask('u2', 's1', 'nodeB'));
    await w.publish();

    for (const host of [A, B]) {
      const seen = new Set<string>();
      // Each request comes from a new client port: a new flow, balanced round robin.
      for (let i = 0; i < 4; i++) {
        const reply = await udpRequest(host, 18153, `ping${i}`);
        expect(reply.endsWith(`:ping${i}`)).toBe(true);
        seen.add(who(reply));
      }
      expect(seen).toEqual(new Set(['u1', 'u2']));
    }
    // Each node holds its own clients' 4 flows, and the 2 flows the other node's clients opened to its task.
    const flows = (mesh: Mesh): number => Object.values(mesh.activeConnections()).reduce((a, b) => a + b, 0);
    expect([flows(w.meshA), flows(w.meshB)]).toEqual([6, 6]);
    w.clock.advance(1500);
    expect([flows(w.meshA), flows(w.meshB)]).toEqual([6, 6]);
    w.clock.advance(1500);
    expect([flows(w.meshA), flows(w.meshB)]).toEqual([0, 0]);
    // And the next datagram opens a fresh flow.
    expect(await udpRequest(A, 18153, 'again')).toMatch(/^u[12]:again$/);
  });

  it('drops datagrams from new clients once the flow table is full, and serves them after expiry', async () => {
    const w = await world({ udpMaxFlows: 2 });
    const b = await startUdpBackend('u1', TASKS);
    cleanups.push(() => b.close());
    w.addresses.set('u1', { host: b.host, port: b.port });
    w.services.push(
      makeService('s1', [{ targetPort: 53, publishedPort: 18154, protocol: 'udp' }], {
        [MESH_LABELS.idleTimeout]: '2s',
      }),
    );
    w.tasks.push(makeTask('u1', 's1', 'nodeA'));
    await w.publish();
    expect(await udpRequest(A, 18154, 'one')).toBe('u1:one');
    expect(await udpRequest(A, 18154, 'two')).toBe('u1:two');
    await expect(udpRequest(A, 18154, 'three', 500)).rejects.toThrow(/no udp reply/);
    w.clock.advance(3000);
    expect(await udpRequest(A, 18154, 'four')).toBe('u1:four');
  });
});

describe('mesh tables', () => {
  it('ignores a stale table and refuses a delta for another version', async () => {
    const w = await world();
    const b = await startTcpBackend('t1', TASKS);
    cleanups.push(() => b.close());
    w.addresses.set('t1', { host: b.host, port: b.port });
    const s1 = makeService('s1', [{ targetPort: 80, publishedPort: 18182 }]);
    const v1 = computeEndpointTable([s1], [makeTask('t1', 's1', 'nodeA')], w.nodes, {
      tunnelPort: TUNNEL_PORT,
      version: 1,
    });
    const v2 = computeEndpointTable([s1], [], w.nodes, { tunnelPort: TUNNEL_PORT, version: 2 });
    await w.meshA.update(v2);
    await w.meshA.update(v1); // stale: v2 stays
    expect(w.meshA.endpointTable.version).toBe(2);
    await expect(tcpRequest(A, 18182, 'x', { localAddress: CLIENT, timeoutMs: 2000 })).rejects.toThrow();
    const v3 = computeEndpointTable([s1], [makeTask('t1', 's1', 'nodeA')], w.nodes, {
      tunnelPort: TUNNEL_PORT,
      version: 3,
    });
    expect(await w.meshA.applyDelta(diffEndpointTables(v1, v3))).toBe(false);
    expect(await w.meshA.applyDelta(diffEndpointTables(v2, v3))).toBe(true);
    expect(w.meshA.endpointTable).toEqual(v3);
    expect(who(await tcpRequest(A, 18182, 'x', { localAddress: CLIENT }))).toBe('t1');
  });
});

describe('mesh draining and balancing', () => {
  it('keeps connections to a stopping task until its deadline while new ones go to the others', async () => {
    const w = await world();
    for (const name of ['old', 'new']) {
      const b = await startTcpBackend(name, TASKS);
      cleanups.push(() => b.close());
      w.addresses.set(name, { host: b.host, port: b.port });
    }
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18180 }]));
    w.tasks.push(makeTask('old', 's1', 'nodeB'));
    await w.publish();

    const socket: Socket = connect({ host: A, port: 18180, localAddress: CLIENT });
    cleanups.push(async () => {
      socket.destroy();
    });
    const ask = (msg: string): Promise<string> =>
      new Promise((resolve) => {
        socket.once('data', (d) => resolve(d.toString()));
        socket.write(msg);
      });
    expect(await ask('1')).toBe('old:1');
    const ended = new Promise<void>((r) => socket.once('end', () => r()));

    // `old` is asked to stop now with a 10 s grace period; `new` runs.
    const now = new Date(w.clock.now()).toISOString();
    w.tasks = [
      makeTask('old', 's1', 'nodeB', 'running', 'shutdown', {
        updatedAt: now,
        stopGracePeriodNs: 10 * SECOND,
      }),
      makeTask('new', 's1', 'nodeA'),
    ];
    await w.publish();
    for (let i = 0; i < 3; i++)
      expect(who(await tcpRequest(A, 18180, 'x', { localAddress: CLIENT }))).toBe('new');
    w.clock.advance(9000);
    expect(await ask('2')).toBe('old:2');
    w.clock.advance(1500);
    await ended; // closed cleanly (a FIN) at the deadline
    await waitUntil(
      'the drained connection to be forgotten',
      () => (w.meshA.activeConnections().old ?? 0) === 0,
    );
  });

  it('sends new connections to the task with the fewest open ones under least-conn', async () => {
    const w = await world();
    for (const name of ['l1', 'l2', 'l3']) {
      const b = await startTcpBackend(name, TASKS);
      cleanups.push(() => b.close());
      w.addresses.set(name, { host: b.host, port: b.port });
    }
    w.services.push(
      makeService('s1', [{ targetPort: 80, publishedPort: 18181 }], { [MESH_LABELS.balance]: 'least-conn' }),
    );
    w.tasks.push(makeTask('l1', 's1', 'nodeA'), makeTask('l2', 's1', 'nodeB'), makeTask('l3', 's1', 'nodeA'));
    await w.publish();

    // Hold two connections open (they land on two different tasks), then short requests all go to the third.
    const held: Socket[] = [];
    const heldOn: string[] = [];
    for (let i = 0; i < 2; i++) {
      const s = connect({ host: A, port: 18181, localAddress: CLIENT });
      held.push(s);
      cleanups.push(async () => {
        s.destroy();
      });
      s.write('hold');
      heldOn.push(who(await new Promise<string>((r) => s.once('data', (d) => r(d.toString())))));
    }
    expect(new Set(heldOn).size).toBe(2);
    const free = ['l1', 'l2', 'l3'].find((t) => !heldOn.includes(t));
    for (let i = 0; i < 3; i++) {
      expect(who(await tcpRequest(A, 18181, 'x', { localAddress: CLIENT }))).toBe(free);
      await waitUntil(
        'the short connection to be closed',
        () => (w.meshA.activeConnections()[free!] ?? 0) === 0,
      );
    }
    expect(w.meshA.activeConnections()).toMatchObject({ [heldOn[0]!]: 1, [heldOn[1]!]: 1 });
  });
});
