// The mesh's data plane across processes (src/mesh/data-plane.ts), on real sockets and processes:
// node A's mesh runs a worker process that accepts on A's published ports beside it. To make the
// worker take a connection, the test blocks its own event loop (node A's mesh lives in it) while
// the client's handshake completes: only the worker can accept then. A connection the worker
// serves is one node A's own mesh does not count. Other nodes' tunnels land on the worker too.

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MeshNodeConfig } from '../../bench/support/mesh-node.js';
import type { Service, Task } from '../../src/api/index.js';
import type { TlsIdentity } from '../../src/ca/index.js';
import { computeEndpointTable, Mesh, type TaskAddress } from '../../src/mesh/index.js';
import { processAlive } from '../../src/util/process-alive.js';
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
  type TcpBackend,
  type TestCluster,
} from '../unit/mesh/fixtures.js';

const A = '127.0.2.1';
const B = '127.0.2.2';
const BACKENDS = '127.0.2.3';
const CLIENT = '127.0.2.4';
const TUNNEL_PORT = 17961;
const root = fileURLToPath(new URL('../..', import.meta.url));
const WORKER_SCRIPT = join(root, 'dist/src/mesh/data-plane-worker.js');
const MESH_NODE_SCRIPT = join(root, 'dist/bench/support/mesh-node.js');

/** A node's mesh in a process of its own (bench/support/mesh-node.ts); resolves once it is ready. */
async function meshNodeProcess(dir: string, config: MeshNodeConfig): Promise<ChildProcessWithoutNullStreams> {
  const path = join(dir, `${config.nodeId}.json`);
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  const node = spawn(process.execPath, [MESH_NODE_SCRIPT, path]);
  cleanups.push(async () => void node.kill('SIGKILL'));
  node.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  await new Promise<void>((resolve, reject) => {
    node.stdout.on('data', (d: Buffer) => d.includes('ready') && resolve());
    node.once('exit', (code) => reject(new Error(`mesh node ${config.nodeId} exited with ${code}`)));
  });
  return node;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-data-plane-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

interface World {
  meshA: Mesh;
  services: Service[];
  tasks: Task[];
  publish(): Promise<void>;
  /** Replaces node B's mesh by a new one with these certificates (node B restarted). */
  restartB(tls: TlsIdentity): Promise<void>;
}

/** Node A (one data-plane worker) and node B (none) on TLS tunnels; t1 runs on A, t2 on B. */
async function world(): Promise<World> {
  const backends = new Map<string, TcpBackend>();
  for (const taskId of ['t1', 't2']) {
    const b = await startTcpBackend(taskId, BACKENDS);
    backends.set(taskId, b);
    cleanups.push(() => b.close());
  }
  const resolver = (taskId: string): TaskAddress | null => {
    const b = backends.get(taskId);
    return b === undefined ? null : { host: b.host, port: b.port };
  };
  const make = async (nodeId: string, host: string, workers: number, tls?: TlsIdentity): Promise<Mesh> => {
    const mesh = new Mesh({
      nodeId,
      listenAddress: host,
      tunnelAddress: { host, port: TUNNEL_PORT },
      tls: tls ?? (await cluster.identity(nodeId)),
      localTaskAddress: resolver,
      settings: { connectTimeoutMs: 1000, closeGraceMs: 500, bindRetryMs: 200 },
      dataPlane: { workers, script: WORKER_SCRIPT },
    });
    await mesh.start();
    cleanups.push(() => mesh.stop());
    return mesh;
  };
  const meshA = await make('nodeA', A, 1);
  let meshB = await make('nodeB', B, 0);
  const nodes = [makeNode('nodeA', A), makeNode('nodeB', B)];
  const w: World = {
    meshA,
    services: [],
    tasks: [makeTask('t1', 's1', 'nodeA'), makeTask('t2', 's2', 'nodeB')],
    async publish() {
      const table = computeEndpointTable(w.services, w.tasks, nodes, { tunnelPort: TUNNEL_PORT });
      await Promise.all([meshA.update(table), meshB.update(table)]);
    },
    async restartB(tls) {
      await meshB.stop();
      meshB = await make('nodeB', B, 0, tls);
      await meshB.update(meshA.endpointTable);
    },
  };
  return w;
}

/** Holds this thread (and node A's mesh with it) for `ms`; other processes run on. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A request on a connection only node A's worker could accept; resolves with the reply once node
 * A's own mesh is seen not to count the connection (null: node A's mesh served it after all,
 * e.g. the worker is not listening yet).
 */
async function throughWorker(w: World, port: number, taskId: string): Promise<string | null> {
  // Node A's mesh counts a connection until its close reaches it: start from none.
  await waitUntil('earlier connections closed', () => (w.meshA.activeConnections()[taskId] ?? 0) === 0);
  const socket: Socket = connect({ host: A, port, localAddress: CLIENT });
  cleanups.push(async () => void socket.destroy());
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
    // Past the connect call: the kernel completes the handshake while this thread is held.
    setImmediate(() => blockEventLoop(300));
  });
  const reply = new Promise<string>((resolve, reject) => {
    socket.once('data', (data) => resolve(data.toString()));
    socket.once('close', () => reject(new Error('closed without a reply')));
  });
  socket.write('hello');
  const text = await reply;
  const servedHere = (w.meshA.activeConnections()[taskId] ?? 0) > 0;
  socket.destroy();
  return servedHere ? null : text;
}

/** With `retryOnError`, a request that fails (a tunnel still being re-dialed) is tried again. */
async function untilWorkerServes(
  w: World,
  port: number,
  taskId: string,
  retryOnError = false,
): Promise<string> {
  let reply: string | null = null;
  await waitUntil(
    `node A's worker serving tcp/${port}`,
    async () => {
      reply = await throughWorker(w, port, taskId);
      return reply !== null;
    },
    15_000,
    { retryOnError },
  );
  return reply!;
}

describe('mesh data-plane workers', () => {
  it('accept on the published ports and reach local tasks and, through tunnels of their own, remote ones', async () => {
    const w = await world();
    w.services.push(
      makeService('s1', [{ targetPort: 80, publishedPort: 18160 }]),
      makeService('s2', [{ targetPort: 80, publishedPort: 18161 }]),
    );
    await w.publish();
    await waitUntil('the worker started', () => w.meshA.dataPlanePids().length === 1);
    // t1 runs on A: the worker asks A's mesh for its address. t2 runs on B: through a tunnel.
    expect(await untilWorkerServes(w, 18160, 't1')).toBe('t1:hello');
    expect(await untilWorkerServes(w, 18161, 't2')).toBe('t2:hello');
    // The tunnel to B is the worker's: A's own mesh dialed none.
    expect(w.meshA.tunnelSessions().nodeB ?? 0).toBe(0);
  });

  it('close their copies of a port that is unpublished, so it can be bound again', async () => {
    const w = await world();
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18162 }]));
    await w.publish();
    await waitUntil('the worker started', () => w.meshA.dataPlanePids().length === 1);
    await untilWorkerServes(w, 18162, 't1');

    // Another service takes the port: the new listener binds once every process closed the old.
    w.services.length = 0;
    w.services.push(makeService('s2', [{ targetPort: 80, publishedPort: 18162 }]));
    await w.publish();
    expect(w.meshA.portStatus()).toEqual([expect.objectContaining({ serviceId: 's2', state: 'listening' })]);
    expect(await untilWorkerServes(w, 18162, 't2')).toBe('t2:hello');

    // Unpublished: nothing holds the port any more.
    w.services.length = 0;
    await w.publish();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(18162, A, () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("accept other nodes' tunnels and serve their TCP and UDP streams to local tasks, a restarted worker too", async () => {
    const tcpTask = await startTcpBackend('t1', BACKENDS);
    const udpTask = await startUdpBackend('u1', BACKENDS);
    cleanups.push(
      () => tcpTask.close(),
      () => udpTask.close(),
    );
    const tunnelPort = TUNNEL_PORT + 2;
    const table = computeEndpointTable(
      [
        makeService('s1', [{ targetPort: 80, publishedPort: 18165 }]),
        makeService('s2', [{ targetPort: 53, publishedPort: 18166, protocol: 'udp' }]),
      ],
      [makeTask('t1', 's1', 'nodeA'), makeTask('u1', 's2', 'nodeA')],
      [makeNode('nodeA', A), makeNode('nodeB', B)],
      { tunnelPort },
    );
    // Node A's own process refuses every tunnel: B's clients reach A's tasks only if A's worker
    // accepted B's tunnel (B re-dials after each refusal until one lands there).
    const meshA = new Mesh({
      nodeId: 'nodeA',
      listenAddress: A,
      tunnelAddress: { host: A, port: tunnelPort },
      tls: await cluster.identity('nodeA'),
      localTaskAddress: (taskId) => (taskId === 't1' ? tcpTask : taskId === 'u1' ? udpTask : null),
      admitNode: () => false,
      dataPlane: { workers: 1, script: WORKER_SCRIPT },
    });
    await meshA.start();
    cleanups.push(() => meshA.stop());
    await meshA.update(table);
    await waitUntil('the worker started', () => meshA.dataPlanePids().length === 1);
    // Node B in a process of its own, so that this one's tasks answer while B dials.
    await meshNodeProcess(tempDir(), {
      nodeId: 'nodeB',
      host: B,
      tunnelPort,
      tls: await cluster.identity('nodeB'),
      table,
      tasks: {},
      dataPlaneWorkers: 0,
    });

    /** The first reply to `send`, tried again while it fails (B re-dials until A's worker accepts). */
    const firstReply = async (what: string, send: () => Promise<string>): Promise<string> => {
      let reply = '';
      const attempt = async (): Promise<boolean> => {
        reply = await send();
        return true;
      };
      await waitUntil(`${what} through node A's worker`, attempt, 20_000, { retryOnError: true });
      return reply;
    };
    const tcp = (message: string): Promise<string> =>
      tcpRequest(B, 18165, message, { localAddress: CLIENT, timeoutMs: 2000 });
    expect(await firstReply('tcp/18165 on node B reaching t1', () => tcp('hello'))).toBe('t1:hello');
    expect(
      await firstReply('udp/18166 on node B reaching u1', () => udpRequest(B, 18166, 'ping', 1000)),
    ).toBe('u1:ping');

    // The worker dies with B's tunnels: B re-dials, and the worker that replaces it serves them.
    const [first] = meshA.dataPlanePids();
    process.kill(first!, 'SIGKILL');
    await waitUntil('a new worker', () => meshA.dataPlanePids().some((pid) => pid !== first));
    expect(await firstReply('tcp/18165 on node B, after a restart, reaching t1', () => tcp('again'))).toBe(
      't1:again',
    );
  });

  it('take certificate renewals: after a root rotation, their new tunnels present the new certificate', async () => {
    const w = await world();
    w.services.push(makeService('s2', [{ targetPort: 80, publishedPort: 18167 }]));
    await w.publish();
    await waitUntil('the worker started', () => w.meshA.dataPlanePids().length === 1);
    expect(await untilWorkerServes(w, 18167, 't2')).toBe('t2:hello');

    // The cluster's root is rotated: node A's mesh takes its new certificate, and node B restarts
    // with its own, trusting the new root only. The worker's tunnels to B break with B, and the
    // ones it dials next must present (and trust) the new certificates.
    const rotated = await testCluster();
    w.meshA.updateTlsIdentity(await rotated.identity('nodeA'));
    await w.restartB(await rotated.identity('nodeB'));
    expect(await untilWorkerServes(w, 18167, 't2', true)).toBe('t2:hello');
  });

  it('restarts a worker that dies, and the new one serves', async () => {
    const w = await world();
    w.services.push(makeService('s1', [{ targetPort: 80, publishedPort: 18163 }]));
    await w.publish();
    await waitUntil('the worker started', () => w.meshA.dataPlanePids().length === 1);
    const [first] = w.meshA.dataPlanePids();
    process.kill(first!, 'SIGKILL');
    await waitUntil('a new worker', () => w.meshA.dataPlanePids().some((pid) => pid !== first));
    expect(await untilWorkerServes(w, 18163, 't1')).toBe('t1:hello');
  });

  it('exit when their node process is killed', async () => {
    const backend = await startTcpBackend('t1', BACKENDS);
    cleanups.push(() => backend.close());
    const table = computeEndpointTable(
      [makeService('s1', [{ targetPort: 80, publishedPort: 18164 }])],
      [makeTask('t1', 's1', 'nodeA')],
      [makeNode('nodeA', A)],
      { tunnelPort: TUNNEL_PORT + 1 },
    );
    const node = await meshNodeProcess(tempDir(), {
      nodeId: 'nodeA',
      host: A,
      tunnelPort: TUNNEL_PORT + 1,
      tls: null,
      table,
      tasks: { t1: { host: BACKENDS, port: backend.port } },
      dataPlaneWorkers: 1,
    });
    const workerPids = (): number[] => {
      try {
        const out = execFileSync('pgrep', ['-P', String(node.pid)], { encoding: 'utf8' });
        return out.split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    await waitUntil("the node process's worker", () => workerPids().length === 1);
    const [worker] = workerPids();
    node.kill('SIGKILL');
    await waitUntil('the orphaned worker to exit', () => !processAlive(worker!));
  });
});
