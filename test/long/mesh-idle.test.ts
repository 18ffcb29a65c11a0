// A connection through the routing mesh that stays idle for five minutes, on the remote path (a
// TLS tunnel between two nodes' meshes) with the mesh's default keepalive and tunnel liveness:
// one with no idle timeout still carries bytes afterwards, and one with an idle timeout just past
// five minutes is closed cleanly (a FIN at both ends) when it expires, not before. Docker Swarm's
// IPVS mesh forgets idle flows after 900 s and the client never learns; this is the test that
// Flotilla's mesh does neither.
//
// Wall-clock long by nature: `npm test` runs test/long in a second vitest process beside the main
// suite (scripts/test.sh), so the wait costs no time on the critical path.

import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEndpointTable, Mesh, MESH_LABELS, type TaskAddress } from '../../src/mesh/index.js';
import {
  makeNode,
  makeService,
  makeTask,
  startTcpBackend,
  testCluster,
  type TcpBackend,
} from '../unit/mesh/fixtures.js';
import { waitUntil } from '../support/wait.js';

const CLIENT = '127.0.0.250';
const A = '127.0.0.251';
const B = '127.0.0.252';
const BACKENDS = '127.0.0.253';
const TUNNEL_PORT = 17948;
const NEVER_PORT = 18480;
const EXPIRING_PORT = 18481;
const IDLE_MS = 5 * 60_000;
const EXPIRES_AFTER_MS = IDLE_MS + 10_000;

const meshes: Mesh[] = [];
const backends: TcpBackend[] = [];

beforeAll(async () => {
  const cluster = await testCluster();
  const never = await startTcpBackend('never', BACKENDS);
  const expiring = await startTcpBackend('expiring', BACKENDS);
  backends.push(never, expiring);
  const byTask = new Map(backends.map((b) => [b.name, b]));
  const resolve = (taskId: string): TaskAddress | null => {
    const b = byTask.get(taskId);
    return b === undefined ? null : { host: b.host, port: b.port };
  };
  for (const [nodeId, host] of [
    ['nodeA', A],
    ['nodeB', B],
  ] as const) {
    // Default settings: keepalive after 30 s, tunnel PINGs every 5 s.
    const mesh = new Mesh({
      nodeId,
      listenAddress: host,
      tunnelAddress: { host, port: TUNNEL_PORT },
      tls: await cluster.identity(nodeId),
      localTaskAddress: resolve,
    });
    await mesh.start();
    meshes.push(mesh);
  }
  // Both tasks run on node B: a client of node A is served through the tunnel.
  const table = computeEndpointTable(
    [
      makeService('s-never', [{ targetPort: 80, publishedPort: NEVER_PORT }], {
        [MESH_LABELS.idleTimeout]: '0',
      }),
      makeService('s-expiring', [{ targetPort: 80, publishedPort: EXPIRING_PORT }], {
        [MESH_LABELS.idleTimeout]: `${EXPIRES_AFTER_MS}ms`,
      }),
    ],
    [makeTask('never', 's-never', 'nodeB'), makeTask('expiring', 's-expiring', 'nodeB')],
    [makeNode('nodeA', A), makeNode('nodeB', B)],
    { tunnelPort: TUNNEL_PORT },
  );
  await Promise.all(meshes.map((m) => m.update(table)));
});

afterAll(async () => {
  for (const mesh of meshes) await mesh.stop();
  for (const backend of backends) await backend.close();
});

/** A client connection through node A that records how it ended. */
function open(port: number): { socket: Socket; events: string[]; ended: Promise<number> } {
  const socket = connect({ host: A, port, localAddress: CLIENT });
  const events: string[] = [];
  socket.on('end', () => events.push('end'));
  socket.on('error', (err) => events.push(`error:${(err as NodeJS.ErrnoException).code}`));
  const ended = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return { socket, events, ended };
}

function exchange(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${text}`)), 5000);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(chunk.toString());
    });
    socket.write(text);
  });
}

describe('an idle connection through the mesh’s tunnel', () => {
  it(
    'outlives five idle minutes, and is closed cleanly at both ends at its idle timeout',
    async () => {
      const never = open(NEVER_PORT);
      const expiring = open(EXPIRING_PORT);
      expect(await exchange(never.socket, 'hello')).toBe('never:hello');
      expect(await exchange(expiring.socket, 'hello')).toBe('expiring:hello');
      const idleFrom = Date.now();

      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      // Five idle minutes later both are open; the one without an idle timeout still carries bytes.
      expect(never.events).toEqual([]);
      expect(expiring.events).toEqual([]);
      expect(await exchange(never.socket, 'still there?')).toBe('never:still there?');

      // The other reaches its idle timeout: a FIN to the client and to the task, no reset.
      const closedAt = await expiring.ended;
      expect(expiring.events).toEqual(['end']);
      expect(closedAt - idleFrom).toBeGreaterThanOrEqual(EXPIRES_AFTER_MS - 50);
      expect(closedAt - idleFrom).toBeLessThan(EXPIRES_AFTER_MS + 10_000);
      await waitUntil('the task’s end of the connection closed', () => backends[1]!.sockets.size === 0, 2000);
      never.socket.destroy();
    },
    IDLE_MS + 60_000,
  );
});
