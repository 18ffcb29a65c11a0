// End to end on the real Docker Engine, a node whose role the cluster changes while it runs
// tasks: `node promote` makes the worker process a manager in place (a Raft voter serving the
// control API on its admin socket), `node demote` makes it a worker again, and through both its
// containers keep running, untouched. A node killed with SIGKILL comes back from its data
// directory in the role it had last.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, NodeRole } from '../../src/api/index.js';
import { certificateRole } from '../../src/ca/trust.js';
import { FlotillaClient, VersionConflictError } from '../../src/client/index.js';
import { DockerCluster, sleeper } from '../support/docker-cluster.js';
import { waitUntil } from '../support/manager-cluster.js';

let cluster: DockerCluster;

beforeAll(async () => {
  cluster = await DockerCluster.start({ managers: 1, workers: 1, hostBase: 110 });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** What `node promote|demote` does: the spec with the new role, again if the node changed meanwhile. */
async function setRole(nodeId: string, role: NodeRole): Promise<void> {
  const client = cluster.client('m1');
  for (let attempt = 1; ; attempt++) {
    const node = await client.getNode(nodeId);
    try {
      await client.updateNode(nodeId, node.meta.version.index, { ...node.spec, role });
      return;
    } catch (err) {
      if (!(err instanceof VersionConflictError) || attempt === 5) throw err;
    }
  }
}

/** The node as m1 sees it. */
function node(nodeId: string): Promise<Node> {
  return cluster.client('m1').getNode(nodeId);
}

/** A control client on w1's admin socket, which exists only while it runs the manager role. */
function w1Client(): FlotillaClient {
  return new FlotillaClient({ address: cluster.procs.controlAddress('w1'), timeoutMs: 5_000 });
}

async function answersAsManager(): Promise<boolean> {
  const client = w1Client();
  try {
    await client.getCluster();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Ids of the running containers of the service on w1 (by the node label the worker sets). */
async function containersOnW1(serviceId: string): Promise<string[]> {
  const w1 = cluster.nodeId('w1');
  return (await cluster.containers(serviceId))
    .filter((c) => c.Labels['com.flotilla.node.id'] === w1)
    .map((c) => c.Id)
    .sort();
}

describe('a node whose role the cluster changes', () => {
  let serviceId = '';
  let onW1: string[] = [];

  it('runs tasks on the worker first', async () => {
    const client = cluster.client('m1');
    ({ id: serviceId } = await client.createService(sleeper('steady', 4)));
    await waitUntil(
      'four running tasks, some on w1',
      async () => {
        const tasks = await client.listTasks({ services: [serviceId] });
        const running = tasks.filter((t) => t.status.state === 'running' && t.desiredState === 'running');
        return running.length === 4 && (await containersOnW1(serviceId)).length > 0;
      },
      60_000,
    );
    onW1 = await containersOnW1(serviceId);
  });

  it('promotes the worker process to a manager in place, its containers untouched', async () => {
    const w1 = cluster.nodeId('w1');
    await setRole(w1, 'manager');
    // Only Raft voters have a managerStatus: a learner that has not caught up has none yet.
    await waitUntil(
      'w1 a reachable voter, serving the control API',
      async () => (await node(w1)).managerStatus?.reachability === 'reachable' && (await answersAsManager()),
      60_000,
    );
    const m1 = cluster.procs.get('m1');
    expect(cluster.procs.get('w1').child).not.toBeNull();
    expect(certificateRole((await cluster.procs.certificates('w1')).certChainPem)).toBe('manager');
    // Its own agent took the containers over: the same ones, still running, still reported.
    expect(await containersOnW1(serviceId)).toEqual(onW1);
    expect((await node(w1)).status.state).toBe('ready');

    // A write through the promoted node's control API reaches the whole cluster.
    const client = w1Client();
    try {
      const { id } = await client.createService(sleeper('via-w1', 0));
      await waitUntil(
        'the write seen on m1',
        async () => (await cluster.client('m1').listServices()).some((s) => s.id === id),
        10_000,
      );
      const members = (await client.listNodes()).filter((n) => n.managerStatus !== undefined);
      expect(members.map((n) => n.id).sort()).toEqual([m1.id, w1].sort());
    } finally {
      client.close();
    }
  });

  it('comes back as a manager after SIGKILL, from its data directory', async () => {
    const w1 = cluster.nodeId('w1');
    await cluster.procs.kill('w1');
    const restarted = await cluster.procs.restart('w1');
    expect(restarted.address).not.toBe('');
    await waitUntil(
      'w1 reachable again',
      async () => (await node(w1)).managerStatus?.reachability === 'reachable',
      30_000,
    );
    await waitUntil(
      'w1 ready with its containers',
      async () => (await node(w1)).status.state === 'ready',
      30_000,
    );
    expect(await containersOnW1(serviceId)).toEqual(onW1);
  });

  it('demotes it back to a worker that keeps running, its containers untouched', async () => {
    const w1 = cluster.nodeId('w1');
    await setRole(w1, 'worker');
    await waitUntil(
      'w1 no longer a manager',
      async () => (await node(w1)).managerStatus === undefined && !(await answersAsManager()),
      60_000,
    );
    await waitUntil('w1 ready as a worker', async () => (await node(w1)).status.state === 'ready', 30_000);
    expect(cluster.procs.get('w1').child).not.toBeNull();
    // Its agent renews for a certificate of its new role, as Swarm's does.
    await waitUntil(
      "w1's certificate a worker's",
      async () => certificateRole((await cluster.procs.certificates('w1')).certChainPem) === 'worker',
      30_000,
    );
    const managers = (await cluster.client('m1').listNodes()).filter((n) => n.managerStatus !== undefined);
    expect(managers.map((n) => n.id)).toEqual([cluster.nodeId('m1')]);
    expect(await containersOnW1(serviceId)).toEqual(onW1);
    const tasks = await cluster.client('m1').listTasks({ services: [serviceId] });
    expect(tasks.filter((t) => t.status.state === 'running' && t.desiredState === 'running')).toHaveLength(4);
  });

  it('comes back as a worker after SIGKILL', async () => {
    const w1 = cluster.nodeId('w1');
    await cluster.procs.kill('w1');
    const restarted = await cluster.procs.restart('w1');
    expect(restarted.address).toBe('');
    await waitUntil('w1 ready', async () => (await node(w1)).status.state === 'ready', 30_000);
    expect((await node(w1)).managerStatus).toBeUndefined();
    expect(await containersOnW1(serviceId)).toEqual(onW1);
  });
});
