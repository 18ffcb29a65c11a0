// The worker agent against a real manager in this process (real gRPC over mutual TLS, a fake
// executor): it joins with the worker token and runs what it is assigned, follows a root CA
// rotation to a certificate of the new root, and is cut off at once when the cluster removes it.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNodeCertificates, verifyCertificate } from '../../../src/ca/index.js';
import { certificateRole } from '../../../src/ca/trust.js';
import { Manager } from '../../../src/manager/index.js';
import { applyEndpointDelta, type EndpointTable } from '../../../src/mesh/index.js';
import { systemClock } from '../../../src/util/clock.js';
import { Agent, type AgentOptions } from '../../../src/worker/agent.js';
import { FakeExecutor } from '../../support/fake-executor.js';
import { addresses, FAST, TestDirs, waitUntil } from '../../support/manager-cluster.js';

let dirs: TestDirs;
const stops: Array<() => Promise<void>> = [];
const addr = addresses(90);

beforeEach(async () => {
  dirs = await TestDirs.create('flotilla-agent-');
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await dirs.remove();
});

async function managerAndWorker(
  extra: Pick<AgentOptions, 'endpoints'> & { advertiseAddr?: string } = {},
): Promise<{ manager: Manager; agent: Agent; executor: FakeExecutor }> {
  const manager = await Manager.init({
    dataDir: dirs.dir('m'),
    listenAddr: addr(1),
    tuning: { ...FAST, heartbeatPeriodMs: 200 },
  });
  stops.push(() => manager.stop());
  const client = manager.client();
  const token = (await client.getCluster()).joinTokens.worker;
  client.close();
  const executor = new FakeExecutor(systemClock);
  const agent = await Agent.join({
    dataDir: dirs.dir('w'),
    joinAddr: manager.address,
    joinToken: token,
    executor,
    hostname: 'worker-1',
    retryMs: { initial: 20, max: 200 },
    ...extra,
  });
  stops.push(() => agent.stop());
  agent.start();
  // Ready in the store comes with registration, a moment before the agent counts its session.
  await waitUntil(
    'the worker ready, its session open',
    () => manager.store.get('node', agent.nodeId)?.status.state === 'ready' && agent.connected,
  );
  return { manager, agent, executor };
}

describe('Agent', () => {
  it('joins with the worker token, registers its description and runs the tasks assigned to it', async () => {
    const { manager, agent } = await managerAndWorker();
    const node = manager.store.get('node', agent.nodeId)!;
    expect(node.spec.role).toBe('worker');
    expect(node.description?.hostname).toBe('worker-1');
    const client = manager.client();
    try {
      const { id } = await client.createService({
        name: 'web',
        taskTemplate: { containerSpec: { image: 'busybox' } },
        mode: { replicated: { replicas: 2 } },
      });
      // The manager runs no agent here, so both land on the worker and run there.
      await waitUntil(
        'two running tasks on the worker',
        () =>
          manager.store
            .list('task', { serviceId: id })
            .filter((t) => t.nodeId === agent.nodeId && t.status.state === 'running').length === 2,
      );
    } finally {
      client.close();
    }
  });

  it('receives the routing mesh’s endpoint table, then the changes that keep it current', async () => {
    let table: EndpointTable | null = null;
    const updates: string[] = [];
    const { manager, agent } = await managerAndWorker({
      endpoints: (update) => {
        if ('table' in update) {
          table = update.table;
          updates.push('table');
          return true;
        }
        if (table === null || update.delta.fromVersion !== table.version) return false;
        table = applyEndpointDelta(table, update.delta);
        updates.push('delta');
        return true;
      },
    });
    const client = manager.client();
    try {
      await waitUntil('the complete table', () => table !== null);
      const { id } = await client.createService({
        name: 'web',
        taskTemplate: { containerSpec: { image: 'busybox' } },
        mode: { replicated: { replicas: 2 } },
        endpointSpec: { ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 30080 }] },
      });
      await waitUntil('both tasks in the worker’s table', () => {
        const port = table?.ports.find((p) => p.publishedPort === 30080);
        return port?.serviceId === id && port.backends.filter((b) => b.ready).length === 2;
      });
      expect(table!.nodes[agent.nodeId]).toEqual({ host: '127.0.0.1', port: 4789 });
      expect(updates[0]).toBe('table');
      expect(updates.slice(1).every((u) => u === 'delta')).toBe(true);
      await client.removeService(id);
      await waitUntil('the port to leave the table', () => table!.ports.length === 0);
    } finally {
      client.close();
    }
  });

  it('is recorded at the address it advertises (where the mesh’s tunnels dial), also after a restart', async () => {
    const { manager, agent } = await managerAndWorker({ advertiseAddr: '127.0.0.95' });
    expect(manager.store.get('node', agent.nodeId)?.status.addr).toBe('127.0.0.95');
    // Restarted from its data directory, without being told again.
    await agent.stop();
    const reopened = await Agent.open({
      dataDir: dirs.dir('w'),
      executor: new FakeExecutor(systemClock),
      retryMs: { initial: 20, max: 200 },
    });
    stops.push(() => reopened.stop());
    const before = manager.store.get('node', agent.nodeId)!.meta.version.index;
    reopened.start();
    await waitUntil(
      'the restarted worker registered again',
      () => reopened.connected && manager.store.get('node', agent.nodeId)!.meta.version.index > before,
    );
    expect(manager.store.get('node', agent.nodeId)?.status.addr).toBe('127.0.0.95');
  });

  it('follows a root CA rotation: renews for a certificate of the new root and ends up trusting it only', async () => {
    const { manager, agent } = await managerAndWorker();
    const client = manager.client();
    try {
      const before = (await client.getCluster()).rootCA!.caCertHash;
      await client.rotateRootCA();
      await waitUntil(
        'the rotation to finish (it waits for the worker)',
        () => {
          const cluster = manager.store.list('cluster')[0]!;
          return !cluster.rootRotationInProgress && cluster.rootCA!.caCertHash !== before;
        },
        30_000,
      );
      const newRoot = manager.store.list('cluster')[0]!.rootCA!.caCert;
      // The renewed certificate and the new trust arrive separately (the renewal's answer, a
      // session message): wait for both on disk.
      await waitUntil('the worker to trust the new root only, with a certificate of it', async () => {
        const certs = (await readNodeCertificates(dirs.dir('w')))!;
        if (certs.rootsPem !== newRoot) return false;
        return verifyCertificate(certs.certChainPem, { roots: [newRoot] }).then(
          () => true,
          () => false,
        );
      });
      // Still in the cluster with its new certificate.
      await waitUntil('the worker connected', () => agent.connected);
    } finally {
      client.close();
    }
  });

  it('renews for a certificate with its new role when the cluster promotes or demotes it', async () => {
    const { manager, agent } = await managerAndWorker();
    const client = manager.client();
    const roleOnDisk = async (): Promise<string | null> =>
      certificateRole((await readNodeCertificates(dirs.dir('w')))!.certChainPem);
    try {
      expect(await roleOnDisk()).toBe('worker');
      const setRole = async (role: 'worker' | 'manager'): Promise<void> => {
        const node = await client.getNode(agent.nodeId);
        await client.updateNode(agent.nodeId, node.meta.version.index, { ...node.spec, role });
      };
      await setRole('manager');
      await waitUntil(
        'a manager certificate on the worker',
        async () => (await roleOnDisk()) === 'manager',
        10_000,
      );
      await setRole('worker');
      await waitUntil('a worker certificate again', async () => (await roleOnDisk()) === 'worker', 10_000);
    } finally {
      client.close();
    }
  });

  it('is cut off as soon as the cluster removes it', async () => {
    const { manager, agent } = await managerAndWorker();
    const client = manager.client();
    try {
      const opened = agent.sessions;
      await client.removeNode(agent.nodeId, { force: true });
      await waitUntil('the session to end', () => !agent.connected, 5_000);
      // It keeps trying, and is refused every time: no new session opens.
      await new Promise((r) => setTimeout(r, 500));
      expect(agent.connected).toBe(false);
      expect(agent.sessions).toBe(opened);
    } finally {
      client.close();
    }
  });
});
