// Two meshes as two nodes (127.0.0.241 and .242) over real sockets and TLS tunnels, with small
// TCP backends on 127.0.0.243 and clients from 127.0.0.240: both paths reach every task, rotation
// follows the table, refusing and resetting tasks are retried or end cleanly, the PROXY header
// carries the client's address, idle connections close cleanly, keepalive is on, a port in use
// is reported, and a broken tunnel is re-dialed.

import { execFileSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Service, Task } from '../../src/api/index.js';
import {
  computeEndpointTable,
  Mesh,
  MESH_LABELS,
  type PortStatus,
  type TaskAddress,
} from '../../src/mesh/index.js';
import { waitUntil } from '../support/wait.js';
import {
  makeNode,
  makeService,
  makeTask,
  startTcpBackend,
  startUdpBackend,
  tcpRequest,
  testCluster,
  who,
  type TcpBackend,
  type TestCluster,
  udpRequest,
} from '../unit/mesh/fixtures.js';

const CLIENT = '127.0.0.240';
const A = '127.0.0.241';
const B = '127.0.0.242';
const BACKENDS = '127.0.0.243';
const TUNNEL_PORT = 17947;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster();
});

interface World {
  meshA: Mesh;
  meshB: Mesh;
  /** Where each task listens, by task id. */
  backends: Map<string, TaskAddress>;
  services: Service[];
  tasks: Task[];
  nodes: Node[];
  publish(): Promise<void>;
  /** Stops node B's mesh and starts a new one in its place (a node restart). */
  restartB(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

/** Two meshes (A, B) on TLS tunnels; tasks resolve to the backends by task id. */
async function world(
  options: {
    idleTimeout?: string;
    encryption?: boolean;
    /** Without encryption: authenticate plain tunnels with the node certificates. */
    plainCerts?: boolean;
    nodeB?: string;
    clusterB?: TestCluster;
    /** Node A's data-plane workers (they start only with a published TCP port). */
    workersA?: number;
  } = {},
): Promise<World> {
  const backends = new Map<string, TaskAddress>();
  const resolver = (taskId: string): TaskAddress | null => {
    if (taskId === 'throws') throw new Error('a resolver bug');
    return backends.get(taskId) ?? null;
  };
  const encryption = options.encryption ?? true;
  const make = async (nodeId: string, host: string, ca: TestCluster = cluster): Promise<Mesh> => {
    const mesh = new Mesh({
      nodeId,
      listenAddress: host,
      tunnelAddress: { host, port: TUNNEL_PORT },
      tls: encryption || options.plainCerts ? await ca.identity(nodeId) : null,
      encryption,
      localTaskAddress: resolver,
      settings: { connectTimeoutMs: 500, closeGraceMs: 500, bindRetryMs: 200 },
      tunnel: { pingIntervalMs: 200, deadAfterPings: 3 },
      ...(nodeId === 'nodeA' && options.workersA !== undefined
        ? { dataPlane: { workers: options.workersA } }
        : {}),
    });
    await mesh.start();
    cleanups.push(() => mesh.stop());
    return mesh;
  };
  const meshA = await make('nodeA', A);
  const meshB = await make(options.nodeB ?? 'nodeB', B, options.clusterB);
  const w: World = {
    meshA,
    meshB,
    backends,
    services: [],
    tasks: [],
    nodes: [makeNode('nodeA', A), makeNode('nodeB', B)],
    async publish() {
      const table = computeEndpointTable(w.services, w.tasks, w.nodes, { tunnelPort: TUNNEL_PORT });
      await Promise.all([w.meshA.update(table), w.meshB.update(table)]);
    },
    async restartB() {
      await w.meshB.stop();
      w.meshB = await make(options.nodeB ?? 'nodeB', B, options.clusterB);
      await w.publish();
    },
  };
  return w;
}

async function backend(
  w: World,
  taskId: string,
  options: Parameters<typeof startTcpBackend>[2] = {},
): Promise<TcpBackend> {
  const b = await startTcpBackend(taskId, BACKENDS, options);
  w.backends.set(taskId, b);
  cleanups.push(() => b.close());
  return b;
}

/** A task served by a server of the test's own (a data source, an echo), listening on BACKENDS. */
async function serverBackend(w: World, taskId: string, server: Server): Promise<void> {
  await new Promise<void>((r) => server.listen(0, BACKENDS, () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  w.backends.set(taskId, { host: BACKENDS, port: (server.address() as { port: number }).port });
}

/** The backends `count` requests through `host:port` reached, in order. */
async function reached(host: string, port: number, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++)
    out.push(who(await tcpRequest(host, port, `r${i}`, { localAddress: CLIENT })));
  return out;
}

describe('mesh over TCP', () => {
  it('reaches every task from both nodes, locally and through the tunnel', async () => {
    const w = await world();
    await backend(w, 't1');
    await backend(w, 't2');
    await backend(w, 't3');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18080 }]));
    w.tasks.push(makeTask('t1', 's1', 'nodeA'), makeTask('t2', 's1', 'nodeB'), makeTask('t3', 's1', 'nodeB'));
    await w.publish();

    for (const host of [A, B]) {
      const seen = await reached(host, 18080, 6);
      expect(new Set(seen)).toEqual(new Set(['t1', 't2', 't3']));
      // Round robin: each task twice in six.
      for (const t of ['t1', 't2', 't3']) expect(seen.filter((s) => s === t)).toHaveLength(2);
    }
    // A's clients reached t2/t3 through a tunnel to B (and B's reached t1 through one to A).
    expect(w.meshA.tunnelSessions().nodeB).toBeGreaterThanOrEqual(1);
    expect(w.meshB.tunnelSessions().nodeA).toBeGreaterThanOrEqual(1);
  });

  it('follows the table: a task that stops leaves the rotation and a new one joins, at once', async () => {
    const w = await world();
    await backend(w, 't1');
    await backend(w, 't2');
    await backend(w, 't3');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18081 }]));
    w.tasks.push(makeTask('t1', 's1', 'nodeA'), makeTask('t2', 's1', 'nodeB'));
    await w.publish();
    expect(new Set(await reached(A, 18081, 4))).toEqual(new Set(['t1', 't2']));

    // t2 asked to stop (draining), t3 starts running: the next requests see t1 and t3 only.
    w.tasks = [
      makeTask('t1', 's1', 'nodeA'),
      makeTask('t2', 's1', 'nodeB', 'running', 'shutdown'),
      makeTask('t3', 's1', 'nodeA'),
    ];
    const started = Date.now();
    await w.publish();
    const seen = await reached(A, 18081, 4);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(new Set(seen)).toEqual(new Set(['t1', 't3']));

    // Node B down: its tasks are out; scaling to zero leaves no task and connections are refused cleanly.
    w.tasks = [makeTask('t2', 's1', 'nodeB')];
    w.nodes = [makeNode('nodeA', A), makeNode('nodeB', B, 'down')];
    await w.publish();
    await expect(tcpRequest(A, 18081, 'x', { localAddress: CLIENT })).rejects.toThrow();
  });

  it('survives a local task resolver that throws, trying another task', async () => {
    const w = await world();
    await backend(w, 'good');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18098 }]));
    w.tasks.push(makeTask('throws', 's1', 'nodeA'), makeTask('good', 's1', 'nodeA'));
    await w.publish();
    expect(await reached(A, 18098, 4)).toEqual(new Array(4).fill('good'));
  });

  it('retries a connection on another task when one refuses, on both paths', async () => {
    const w = await world();
    await backend(w, 'good');
    // A task whose port is closed: bind a backend, note its port, close it.
    const gone = await backend(w, 'gone');
    await gone.close();
    const goneRemote = await backend(w, 'goneRemote');
    await goneRemote.close();
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18082 }]));
    w.tasks.push(
      makeTask('gone', 's1', 'nodeA'),
      makeTask('goneRemote', 's1', 'nodeB'),
      makeTask('good', 's1', 'nodeB'),
    );
    await w.publish();
    // Every request succeeds, whichever task the rotation tried first.
    for (const host of [A, B]) expect(await reached(host, 18082, 6)).toEqual(new Array(6).fill('good'));
  });

  it('a task that accepts and resets is retried when nothing was exchanged, and ends the client cleanly otherwise', async () => {
    const w = await world();
    const resetter = await backend(w, 'resetter', { behaviour: 'reset' });
    await backend(w, 'good');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18083 }]));
    w.tasks.push(makeTask('resetter', 's1', 'nodeB'), makeTask('good', 's1', 'nodeA'));
    await w.publish();

    // A client that waits before sending: the reset comes first and the mesh retries on `good`.
    const waiting = async (host: string): Promise<string> => {
      const socket = connect({ host, port: 18083, localAddress: CLIENT });
      await new Promise((r) => socket.once('connect', r));
      // Give the mesh time to meet the reset (when it tries that task first) before sending.
      await new Promise((r) => setTimeout(r, 100));
      socket.write('late');
      const reply = await new Promise<string>((resolve, reject) => {
        socket.once('data', (d) => resolve(d.toString()));
        socket.once('error', reject);
        socket.once('close', () => reject(new Error('closed')));
      });
      socket.destroy();
      return reply;
    };
    for (const host of [A, B]) {
      for (let i = 0; i < 2; i++) expect(who(await waiting(host))).toBe('good');
    }
    expect(resetter.accepted).toBeGreaterThan(0);

    // Clients that send at once: each gets a reply or a reset, never a hang, and the mesh serves on.
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () =>
        tcpRequest(A, 18083, 'now', { localAddress: CLIENT, timeoutMs: 3000 }).then(
          (r) => who(r),
          (err: Error) => (err.message.includes('no reply') ? 'hang' : 'error'),
        ),
      ),
    );
    expect(outcomes).not.toContain('hang');
    expect(outcomes).toContain('good');
  });

  it('sends a PROXY v1 or v2 header with the client address, on both paths', async () => {
    for (const [version, port] of [
      ['v1', 18084],
      ['v2', 18085],
    ] as const) {
      const w = await world();
      const local = await backend(w, 'local', { proxy: true });
      const remote = await backend(w, 'remote', { proxy: true });
      w.services.push(
        makeService('s1', [{ targetPort: 80, publishedPort: port }], {
          [MESH_LABELS.proxyProtocol]: version,
        }),
      );
      w.tasks.push(makeTask('local', 's1', 'nodeA'), makeTask('remote', 's1', 'nodeB'));
      await w.publish();
      expect(new Set(await reached(A, port, 2))).toEqual(new Set(['local', 'remote']));
      for (const b of [local, remote]) {
        expect(b.proxyHeaders).toHaveLength(1);
        const header = b.proxyHeaders[0]!;
        expect(header.version).toBe(version === 'v1' ? 1 : 2);
        expect(header.addresses?.sourceAddress).toBe(CLIENT);
        expect(header.addresses?.destinationAddress).toBe(A);
        expect(header.addresses?.destinationPort).toBe(port);
        expect(header.addresses?.sourcePort).toBeGreaterThan(0);
      }
      while (cleanups.length > 0) await cleanups.pop()!();
    }
  });

  it('closes an idle connection cleanly at both ends after the idle timeout, and keeps a busy one', async () => {
    const w = await world();
    const local = await backend(w, 'local');
    const remote = await backend(w, 'remote');
    w.services.push(
      makeService('s1', [{ targetPort: 80, publishedPort: 18086 }], { [MESH_LABELS.idleTimeout]: '400ms' }),
    );
    w.tasks.push(makeTask('local', 's1', 'nodeA'), makeTask('remote', 's1', 'nodeB'));
    await w.publish();

    for (const target of [local, remote]) {
      const socket = connect({ host: A, port: 18086, localAddress: CLIENT });
      const events: string[] = [];
      socket.on('end', () => events.push('end'));
      socket.on('error', (err) => events.push(`error:${(err as NodeJS.ErrnoException).code}`));
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      // Busy for a while (a message every 150 ms, under the timeout), then idle.
      let replies = 0;
      socket.on('data', () => replies++);
      const opened = Date.now();
      let idleFrom = 0;
      for (let i = 0; i < 5; i++) {
        socket.write(`m${i}`);
        idleFrom = Date.now();
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(replies).toBe(5);
      await waitUntil(
        'the backend to see its connection closed',
        () => target.sockets.size === 0 && events.length > 0,
        5000,
      );
      await closed;
      // A clean FIN, not a reset; after the idle period, not during the busy one.
      expect(events).toEqual(['end']);
      expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(350);
      expect(Date.now() - opened).toBeGreaterThanOrEqual(950);
      socket.destroy();
    }
  });

  it('turns TCP keepalive on for the client, task and tunnel connections', async () => {
    const w = await world();
    const local = await backend(w, 'local');
    await backend(w, 'remote');
    w.services.push(
      makeService('s1', [{ targetPort: 80, publishedPort: 18087 }]),
      makeService('s2', [{ targetPort: 80, publishedPort: 18100 }]),
    );
    w.tasks.push(makeTask('local', 's1', 'nodeA'), makeTask('remote', 's2', 'nodeB'));
    await w.publish();
    expect(who(await tcpRequest(A, 18100, 'x', { localAddress: CLIENT }))).toBe('remote'); // dials a tunnel
    const socket = connect({ host: A, port: 18087, localAddress: CLIENT });
    cleanups.push(async () => {
      socket.destroy();
    });
    socket.write('x');
    await new Promise((r) => socket.once('data', r));
    // ss -o shows a keepalive timer on sockets with SO_KEEPALIVE set.
    const ss = (filter: string): string =>
      execFileSync('ss', ['-tnoH', 'state', 'established', filter], { encoding: 'utf8' });
    const meshToClient = ss(`( sport = :18087 and dst ${CLIENT} )`);
    const meshToTask = ss(`( dport = :${local.port} )`);
    expect(meshToClient).toContain('keepalive');
    expect(meshToTask).toContain('keepalive');
    // Both ends of the tunnel: A's dialed socket and B's accepted one. ss shows one timer per
    // socket: while bytes are unacknowledged it is the retransmission timer, so poll until idle.
    const tunnel = (): string[] =>
      ss(`( dport = :${TUNNEL_PORT} or sport = :${TUNNEL_PORT} )`)
        .split('\n')
        .filter((line) => line.trim() !== '');
    await waitUntil(
      `keepalive timers on both ends of the tunnel (ss: ${tunnel().join(' / ')})`,
      () => tunnel().length >= 2 && tunnel().every((line) => line.includes('keepalive')),
      3000,
    );
  });

  it('reports a published port already in use without stopping the other ports, and binds it once freed', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(18088, A, () => r()));
    let squatterOpen = true;
    cleanups.push(async () => {
      if (squatterOpen) await new Promise<void>((r) => squatter.close(() => r()));
    });
    const w = await world();
    await backend(w, 't1');
    const statuses: PortStatus[] = [];
    w.meshA.on('port', (s) => statuses.push(s));
    w.services.push(
      makeService('s1', [{ targetPort: 80, publishedPort: 18088 }]),
      makeService('s2', [{ targetPort: 80, publishedPort: 18089 }]),
    );
    w.tasks.push(makeTask('t1', 's1', 'nodeA'), makeTask('t1', 's2', 'nodeA'));
    await w.publish();
    const busy = statuses.find((s) => s.publishedPort === 18088);
    expect(busy?.state).toBe('unavailable');
    expect(busy?.error?.code).toBe('PORT_UNAVAILABLE');
    expect(busy?.error?.details.errno).toBe('EADDRINUSE');
    expect(who(await tcpRequest(A, 18089, 'x', { localAddress: CLIENT }))).toBe('t1');
    expect(who(await tcpRequest(B, 18088, 'x', { localAddress: CLIENT }))).toBe('t1');

    await new Promise<void>((r) => squatter.close(() => r()));
    squatterOpen = false;
    await waitUntil('the freed port to be bound', () =>
      w.meshA.portStatus().some((s) => s.publishedPort === 18088 && s.state === 'listening'),
    );
    expect(who(await tcpRequest(A, 18088, 'x', { localAddress: CLIENT }))).toBe('t1');
  });

  it('resets the connections of a broken tunnel and re-dials it for the next ones', async () => {
    const w = await world();
    const remote = await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18090 }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    const socket = connect({ host: A, port: 18090, localAddress: CLIENT });
    const errors: string[] = [];
    socket.on('error', (err) => errors.push((err as NodeJS.ErrnoException).code ?? 'error'));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write('x');
    await new Promise((r) => socket.once('data', r));
    expect(w.meshA.tunnelSessions().nodeB).toBe(1);

    w.meshA.disconnectTunnels('nodeB');
    await closed;
    expect(errors).toEqual(['ECONNRESET']);
    await waitUntil('the task side of the connection to close', () => remote.sockets.size === 0, 3000);
    expect(who(await tcpRequest(A, 18090, 'again', { localAddress: CLIENT }))).toBe('remote');
    expect(w.meshA.tunnelSessions().nodeB).toBe(1);
  });

  it('dials a second tunnel session to a peer once the first carries 8 streams, and no third', async () => {
    const w = await world();
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18101 }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    const held: Socket[] = [];
    cleanups.push(async () => held.forEach((socket) => socket.destroy()));
    const hold = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const socket = connect({ host: A, port: 18101, localAddress: CLIENT });
        held.push(socket);
        socket.write('x');
        await new Promise((r) => socket.once('data', r));
      }
    };
    await hold(8);
    expect(w.meshA.tunnelSessions().nodeB).toBe(1);
    await hold(1);
    await waitUntil('the second session', () => w.meshA.tunnelSessions().nodeB === 2, 3000);
    await hold(12);
    expect(w.meshA.tunnelSessions().nodeB).toBe(2);
  });

  it("shares the sessions per peer out among the node's processes", async () => {
    // With one data-plane worker the node's own process keeps one of the two sessions (the
    // worker dials its own). UDP flows are the node's own process's, and start no worker.
    const w = await world({ workersA: 1 });
    const echo = await startUdpBackend('echo', BACKENDS);
    cleanups.push(() => echo.close());
    w.backends.set('remote', { host: echo.host, port: echo.port });
    w.services.push(makeService('s1', [{ targetPort: 53, publishedPort: 18102, protocol: 'udp' }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    for (let i = 0; i < 12; i++) expect(who(await udpRequest(A, 18102, `flow${i}`))).toBe('echo');
    expect(w.meshA.tunnelSessions().nodeB).toBe(1);
  });

  it('fails requests cleanly while the remote node is down and re-dials once it is back', async () => {
    const w = await world();
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18099 }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    expect(who(await tcpRequest(A, 18099, 'x', { localAddress: CLIENT }))).toBe('remote');

    await w.meshB.stop();
    await waitUntil('A to see its tunnel closed', () => (w.meshA.tunnelSessions().nodeB ?? 0) === 0, 3000);
    const started = Date.now();
    await expect(tcpRequest(A, 18099, 'x', { localAddress: CLIENT, timeoutMs: 3000 })).rejects.toThrow(
      /ECONNRESET|closed/,
    );
    expect(Date.now() - started).toBeLessThan(2000);

    await w.restartB();
    await waitUntil(
      'requests through the restarted node to succeed',
      () =>
        tcpRequest(A, 18099, 'x', { localAddress: CLIENT, timeoutMs: 1000 }).then(
          (r) => who(r) === 'remote',
          () => false,
        ),
      5000,
    );
    expect(w.meshA.tunnelSessions().nodeB).toBe(1);
  });

  it('refuses a tunnel from a node that is not the one the table names', async () => {
    // Node B's certificate says nodeX: A's dial to "nodeB" is refused and the request fails cleanly.
    const w = await world({ nodeB: 'nodeX' });
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18091 }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    await expect(tcpRequest(A, 18091, 'x', { localAddress: CLIENT, timeoutMs: 3000 })).rejects.toThrow(
      /ECONNRESET|closed/,
    );
    expect(w.meshA.tunnelSessions().nodeB ?? 0).toBe(0);
  });

  it("refuses a tunnel to a node holding another cluster's certificate", async () => {
    const w = await world({ clusterB: await testCluster('clusterother00000000000001') });
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18094 }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    await expect(tcpRequest(A, 18094, 'x', { localAddress: CLIENT, timeoutMs: 3000 })).rejects.toThrow(
      /ECONNRESET|closed/,
    );
    expect(w.meshA.tunnelSessions().nodeB ?? 0).toBe(0);
  });

  it('uses renewed certificates for the tunnels dialed after the renewal', async () => {
    const w = await world();
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18095 }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    expect(who(await tcpRequest(A, 18095, 'x', { localAddress: CLIENT }))).toBe('remote');
    // Both nodes renew under a new root (a rotation completed): old tunnels go, new ones verify.
    const rotated = await testCluster();
    w.meshA.updateTlsIdentity(await rotated.identity('nodeA'));
    w.meshB.updateTlsIdentity(await rotated.identity('nodeB'));
    w.meshA.disconnectTunnels('nodeB');
    expect(who(await tcpRequest(A, 18095, 'y', { localAddress: CLIENT }))).toBe('remote');
    expect(w.meshA.tunnelSessions().nodeB).toBe(1);
  });

  it('works without encryption on a trusted network, admitting tunnels by node address', async () => {
    const w = await world({ encryption: false });
    await backend(w, 'local');
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18092 }]));
    w.tasks.push(makeTask('local', 's1', 'nodeA'), makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    expect(new Set(await reached(A, 18092, 4))).toEqual(new Set(['local', 'remote']));
  });

  it('authenticates unencrypted tunnels with the node certificates when it has them', async () => {
    const w = await world({ encryption: false, plainCerts: true });
    await backend(w, 'local');
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18096 }]));
    w.tasks.push(makeTask('local', 's1', 'nodeA'), makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    expect(new Set(await reached(A, 18096, 4))).toEqual(new Set(['local', 'remote']));
    expect(w.meshA.tunnelSessions().nodeB).toBe(1);
  });

  it("refuses an unencrypted tunnel to a node with another cluster's certificate", async () => {
    const w = await world({
      encryption: false,
      plainCerts: true,
      clusterB: await testCluster('clusterother00000000000002'),
    });
    await backend(w, 'remote');
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18097 }]));
    w.tasks.push(makeTask('remote', 's1', 'nodeB'));
    await w.publish();
    await expect(tcpRequest(A, 18097, 'x', { localAddress: CLIENT, timeoutMs: 3000 })).rejects.toThrow(
      /ECONNRESET|closed/,
    );
    expect(w.meshA.tunnelSessions().nodeB ?? 0).toBe(0);
  });

  it('carries a large download to a slow client intact on the local path (read buffers reused only when free)', async () => {
    const w = await world();
    const size = 12 * 1024 * 1024;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) payload.writeUInt32LE(i, i);
    // The task sends in uneven pieces, so reads come in every size the buffer sizing sees.
    const source: Server = createServer((s: Socket) => {
      s.on('error', () => {});
      let at = 0;
      const pump = (): void => {
        while (at < size) {
          const piece = payload.subarray(at, Math.min(size, at + 1000 + ((at / 7) % 300_000)));
          at += piece.length;
          if (!s.write(piece)) return void s.once('drain', pump);
        }
        s.end();
      };
      s.once('data', pump);
    });
    await serverBackend(w, 'source', source);
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18094 }]));
    w.tasks.push(makeTask('source', 's1', 'nodeA'));
    await w.publish();
    const socket = connect({ host: A, port: 18094, localAddress: CLIENT });
    const chunks: Buffer[] = [];
    let received = 0;
    let nextPause = 256 * 1024;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
        // A slow reader: the mesh's writes to it queue, and its reads of the task pause.
        if (received >= nextPause) {
          nextPause += 256 * 1024;
          socket.pause();
          setTimeout(() => socket.resume(), 40);
        }
      });
      socket.on('end', () => resolve());
      socket.on('error', reject);
    });
    socket.write('go');
    await done;
    socket.destroy();
    expect(received).toBe(size);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it('carries a large transfer through the tunnel intact, in both directions', async () => {
    const w = await world();
    const sink: Server = createServer({ allowHalfOpen: true }, (s: Socket) => {
      // Echo everything back (exercises both windows with a slow-ish reader on each side).
      s.pipe(s);
      s.on('error', () => {});
    });
    await serverBackend(w, 'echo', sink);
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18093 }]));
    w.tasks.push(makeTask('echo', 's1', 'nodeB'));
    await w.publish();
    const size = 8 * 1024 * 1024;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) payload.writeUInt32LE(i, i);
    const socket = connect({ host: A, port: 18093, localAddress: CLIENT });
    const chunks: Buffer[] = [];
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
      });
      socket.on('end', () => resolve());
      socket.on('error', reject);
    });
    socket.end(payload);
    await done;
    socket.destroy();
    expect(received).toBe(size);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });
});
