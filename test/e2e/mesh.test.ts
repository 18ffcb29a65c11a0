// End to end on the real Docker Engine: the routing mesh of the node processes. Two managers and
// two workers on 127.0.0.x; the services run on the workers only, so the managers' published
// ports reach every task through the tunnels, and each worker reaches its own tasks directly and
// the other's through a tunnel. The second manager runs without an executor (no agent, no
// session): it serves the published ports from its own store. Each task answers with its
// container's hostname, so the test sees which task served a request.

import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec, ServiceSpec } from '../../src/api/index.js';
import type { FlotillaClient } from '../../src/client/index.js';
import { TEST_IMAGE } from '../support/docker.js';
import { DockerCluster } from '../support/docker-cluster.js';
import { waitUntil } from '../support/manager-cluster.js';

const SECOND = 1_000_000_000;
/** Managers listen on 127.0.0.(HOST_BASE + n), n from 1. */
const HOST_BASE = 130;
let cluster: DockerCluster;
let client: FlotillaClient;

beforeAll(async () => {
  cluster = await DockerCluster.start({
    managers: 2,
    workers: 2,
    hostBase: HOST_BASE,
    managersWithoutExecutor: 1,
  });
  client = cluster.client('m1');
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/**
 * busybox httpd on port 80 serving its container's hostname (/healthy exists for a healthcheck
 * to test); `container` overrides fields of the container spec.
 */
function web(
  name: string,
  replicas: number,
  extra: Partial<ServiceSpec> = {},
  container: Partial<ContainerSpec> = {},
): ServiceSpec {
  return {
    name,
    taskTemplate: {
      containerSpec: {
        image: TEST_IMAGE,
        command: [
          'sh',
          '-c',
          'mkdir -p /www && hostname > /www/index.html && touch /healthy && exec httpd -f -p 80 -h /www',
        ],
        stopGracePeriod: SECOND,
        ...container,
      },
      restartPolicy: { condition: 'any', delay: SECOND / 10 },
      placement: { constraints: ['node.role==worker'] },
    },
    mode: { replicated: { replicas } },
    // No published port: the allocator picks one from 30000-32767.
    endpointSpec: { ports: [{ protocol: 'tcp', targetPort: 80 }] },
    ...extra,
  };
}

/** One HTTP request on a connection of its own (so the mesh balances it): the body, trimmed. */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** One datagram from a fresh socket (a new flow); the answer. */
function udpAsk(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no answer'));
    }, 2000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString('utf8'));
    });
    socket.send(text, port, host);
  });
}

async function runningTasks(serviceId: string): Promise<number> {
  const tasks = await client.listTasks({ services: [serviceId] });
  return tasks.filter((t) => t.status.state === 'running' && t.desiredState === 'running').length;
}

/** The hostnames of the service's containers that run tasks the store has RUNNING on nodes that are up. */
async function servingHostnames(serviceId: string): Promise<Set<string>> {
  const nodes = await client.listNodes();
  const up = new Set(nodes.filter((n) => n.status.state === 'ready').map((n) => n.id));
  const tasks = (await client.listTasks({ services: [serviceId] })).filter(
    (t) => t.status.state === 'running' && t.desiredState === 'running' && up.has(t.nodeId ?? ''),
  );
  const names = new Set<string>();
  for (const task of tasks) {
    const id = task.status.containerStatus?.containerId;
    if (id === undefined) continue;
    const info = await cluster.docker.getContainer(id).inspect();
    names.add(info.Config.Hostname);
  }
  return names;
}

/** The advertised address of every node with a session, as the cluster records it (what the tunnels dial). */
async function nodeAddresses(): Promise<Map<string, string>> {
  const nodes = (await client.listNodes()).filter((n) => n.status.state === 'ready');
  return new Map(nodes.map((n) => [n.description?.hostname ?? n.id, n.status.addr]));
}

/** Where the manager without an executor (m2) listens, its published ports too. */
const AGENTLESS_MANAGER_HOST = `127.0.0.${HOST_BASE + 2}`;

/** Every node's address where published ports answer: those with a session, and the agentless manager. */
async function meshHosts(): Promise<string[]> {
  return [...(await nodeAddresses()).values(), AGENTLESS_MANAGER_HOST];
}

async function publishedPort(serviceId: string, protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  const service = await client.getService(serviceId);
  const port = service.endpoint?.ports?.find((p) => p.protocol === protocol)?.publishedPort;
  if (port === undefined) throw new Error(`service ${serviceId} has no published ${protocol} port`);
  return port;
}

/** `count` requests through `host:port`: the hostnames that answered (failures throw). */
async function answers(host: string, port: number, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(await get(host, port));
  return seen;
}

/** Waits until requests through every node reach exactly the tasks that serve the service. */
async function rotationFollows(serviceId: string, hosts: string[], what: string): Promise<Set<string>> {
  const port = await publishedPort(serviceId);
  let expected = new Set<string>();
  await waitUntil(
    what,
    async () => {
      expected = await servingHostnames(serviceId);
      for (const host of hosts) {
        const seen = await answers(host, port, expected.size * 3).catch(() => null);
        if (seen === null || !sameSet(seen, expected)) return false;
      }
      return true;
    },
    60_000,
  );
  return expected;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

describe('the routing mesh of a 2-manager, 2-worker cluster on the Docker Engine', () => {
  it('serves a published port on every node, balanced over every task wherever it runs, and follows scaling', async () => {
    const { id } = await client.createService(web('mesh-web', 3));
    await waitUntil('3 running tasks', async () => (await runningTasks(id)) === 3, 60_000);
    const hosts = await meshHosts();
    expect(hosts).toHaveLength(4);
    expect(new Set(hosts).size).toBe(4);
    // The workers' tasks land on both workers (spread), so every node has remote tasks to reach.
    const tasks = (await client.listTasks({ services: [id] })).filter((t) => t.status.state === 'running');
    expect(new Set(tasks.map((t) => t.nodeId)).size).toBe(2);
    expect((await rotationFollows(id, hosts, 'all three tasks answering through every node')).size).toBe(3);

    for (const replicas of [1, 5]) {
      const service = await client.getService(id);
      await client.updateService(id, service.meta.version.index, web('mesh-web', replicas));
      await waitUntil(`${replicas} running tasks`, async () => (await runningTasks(id)) === replicas, 60_000);
      const serving = await rotationFollows(
        id,
        hosts,
        `the rotation of every node to follow the scale to ${replicas}`,
      );
      expect(serving.size).toBe(replicas);
    }
    await client.removeService(id);
  }, 240_000);

  it('takes a task that turns unhealthy out of the rotation', async () => {
    const { id } = await client.createService(
      web(
        'mesh-health',
        2,
        {},
        {
          healthcheck: { test: ['CMD', 'test', '-f', '/healthy'], interval: SECOND / 2, retries: 1 },
        },
      ),
    );
    await waitUntil('2 running (healthy) tasks', async () => (await runningTasks(id)) === 2, 60_000);
    const hosts = await meshHosts();
    const before = await rotationFollows(id, hosts, 'both tasks answering through every node');
    const [victim] = [...before];
    const container = (await cluster.containers(id)).find((c) => c.Id.startsWith(victim!));
    expect(container, `the container of ${victim}`).toBeDefined();
    await promisify(execFile)('docker', ['exec', container!.Id, 'rm', '/healthy']);
    const port = await publishedPort(id);
    await waitUntil(
      'the unhealthy task out of every node’s rotation',
      async () => {
        for (const host of hosts) {
          const seen = await answers(host, port, 6).catch(() => null);
          if (seen === null || seen.has(victim!)) return false;
        }
        return true;
      },
      30_000,
    );
    await client.removeService(id);
  }, 120_000);

  it('carries UDP: each new client flow reaches one task, and every task answers in turn', async () => {
    const { id } = await client.createService({
      name: 'mesh-echo',
      taskTemplate: {
        containerSpec: { image: TEST_IMAGE, command: ['udp-echo', '53'], stopGracePeriod: SECOND },
        placement: { constraints: ['node.role==worker'] },
      },
      mode: { replicated: { replicas: 2 } },
      endpointSpec: { ports: [{ protocol: 'udp', targetPort: 53 }] },
    });
    await waitUntil('2 running echo tasks', async () => (await runningTasks(id)) === 2, 60_000);
    const port = await publishedPort(id, 'udp');
    const hosts = await meshHosts();
    const expected = await servingHostnames(id);
    await waitUntil(
      'UDP answers from both tasks through every node',
      async () => {
        for (const host of hosts) {
          const seen = new Set<string>();
          for (let i = 0; i < 6; i++) {
            const answer = await udpAsk(host, port, `ping ${i}`).catch(() => null);
            if (answer === null || !answer.endsWith(` ping ${i}`)) return false;
            seen.add(answer.slice(0, answer.indexOf(' ')));
          }
          if (!sameSet(seen, expected)) return false;
        }
        return true;
      },
      60_000,
    );
    await client.removeService(id);
  }, 120_000);

  it('publishes host-mode ports only on the node that runs the task, at the given port or one the engine picks', async () => {
    const fixed = 20_000 + Math.floor(Math.random() * 9_000);
    const { id } = await client.createService(
      web(
        'mesh-host',
        1,
        {
          endpointSpec: {
            ports: [
              { protocol: 'tcp', targetPort: 80, publishedPort: fixed, publishMode: 'host' },
              { protocol: 'tcp', targetPort: 8080, publishMode: 'host' },
            ],
          },
        },
        {
          command: [
            'sh',
            '-c',
            'mkdir -p /www && hostname > /www/index.html && httpd -p 8080 -h /www && exec httpd -f -p 80 -h /www',
          ],
        },
      ),
    );
    await waitUntil('1 running task', async () => (await runningTasks(id)) === 1, 60_000);
    const [task] = (await client.listTasks({ services: [id] })).filter((t) => t.status.state === 'running');
    const ports = task!.status.portStatus?.ports ?? [];
    expect(ports[0]).toEqual({ protocol: 'tcp', targetPort: 80, publishedPort: fixed, publishMode: 'host' });
    const picked = ports[1]?.publishedPort ?? 0;
    expect(picked).toBeGreaterThan(0);
    const hostname = [...(await servingHostnames(id))][0]!;
    const nodes = await client.listNodes();
    const where = nodes.find((n) => n.id === task!.nodeId)!.status.addr;
    expect(await get(where, fixed)).toBe(hostname);
    expect(await get(where, picked)).toBe(hostname);
    // Nowhere else: not through the mesh, not on the other nodes' addresses.
    for (const other of nodes.filter((n) => n.id !== task!.nodeId))
      await expect(get(other.status.addr, fixed)).rejects.toThrow(/ECONNREFUSED/);
    await client.removeService(id);
  }, 120_000);

  it('keeps answering once the endpoint tables drop the tasks of a worker killed with SIGKILL', async () => {
    const { id } = await client.createService(web('mesh-failover', 4));
    await waitUntil('4 running tasks', async () => (await runningTasks(id)) === 4, 60_000);
    const addresses = await nodeAddresses();
    await rotationFollows(id, [...addresses.values(), AGENTLESS_MANAGER_HOST], 'all four tasks answering');
    const victim = cluster.workerNames[1]!;
    const victimId = cluster.nodeId(victim);
    await cluster.procs.kill(victim);
    await waitUntil(
      'the killed worker marked down',
      async () => (await client.getNode(victimId)).status.state === 'down',
      30_000,
    );
    // The survivors: the managers and the other worker; the victim's address answers nothing now.
    const survivors = [
      ...[...addresses.entries()]
        .filter(([hostname]) => !hostname.endsWith(`-${victim}`))
        .map(([, addr]) => addr),
      AGENTLESS_MANAGER_HOST,
    ];
    expect(survivors).toHaveLength(3);
    const serving = await rotationFollows(
      id,
      survivors,
      'the survivors serving from the tasks that still run',
    );
    expect(serving.size).toBeGreaterThan(0);
    // Once the tables are updated, no request fails.
    const port = await publishedPort(id);
    for (const host of survivors)
      for (let i = 0; i < 20; i++) expect(serving.has(await get(host, port))).toBe(true);
    await client.removeService(id);
  }, 180_000);
});
