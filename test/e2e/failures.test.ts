// End to end on the real Docker Engine, what goes wrong: a worker killed with SIGKILL (its node
// goes down, its tasks run elsewhere, and once restarted it leaves no duplicate and no orphan),
// the leader killed during a rolling update, containers that exit non-zero or turn unhealthy,
// an image that does not exist, and a secret that reaches only the node that needs it.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/api/index.js';
import type { FlotillaClient } from '../../src/client/index.js';
import { TEST_IMAGE } from '../support/docker.js';
import { DockerCluster, sleeper } from '../support/docker-cluster.js';
import { waitUntil } from '../support/manager-cluster.js';

let cluster: DockerCluster;

beforeAll(async () => {
  cluster = await DockerCluster.start({ managers: 3, workers: 2, hostBase: 185 });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

const SECOND = 1_000_000_000;

async function tasksOf(client: FlotillaClient, serviceId: string): Promise<Task[]> {
  return client.listTasks({ services: [serviceId] });
}

async function runningEverywhere(serviceId: string, count: number, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    `${count} running containers and running tasks of service ${serviceId}`,
    async () => {
      if ((await cluster.containers(serviceId)).length !== count) return false;
      const tasks = await tasksOf(await cluster.anyClient(), serviceId);
      return (
        tasks.filter((t) => t.status.state === 'running' && t.desiredState === 'running').length === count
      );
    },
    timeoutMs,
  );
}

/** Every file under `dir` (not following mounts' contents differently: tmpfs files are files too). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

describe('failures on a cluster of 3 managers and 2 workers', () => {
  it('moves the tasks of a worker killed with SIGKILL, and the restarted worker leaves no duplicate and no orphan', async () => {
    const client = await cluster.anyClient();
    const { id } = await client.createService(sleeper('moved', 5));
    await runningEverywhere(id, 5);
    const victim = 'w1';
    const victimId = cluster.nodeId(victim);
    const onVictim = (await tasksOf(client, id)).filter(
      (t) => t.nodeId === victimId && t.desiredState === 'running',
    );
    expect(onVictim.length).toBeGreaterThan(0);

    await cluster.procs.kill(victim);
    await waitUntil(
      'the killed worker marked down',
      async () => (await client.getNode(victimId)).status.state === 'down',
      30_000,
    );
    // Its containers still run in the shared engine; the replicas must run on the other nodes.
    await waitUntil(
      '5 running tasks on the other nodes',
      async () => {
        const live = (await tasksOf(client, id)).filter(
          (t) => t.status.state === 'running' && t.desiredState === 'running' && t.nodeId !== victimId,
        );
        const containers = (await cluster.containers(id)).filter(
          (c) => c.Labels['com.flotilla.node.id'] !== victimId,
        );
        return live.length === 5 && containers.length === 5;
      },
      60_000,
    );

    await cluster.procs.restart(victim);
    // Back: it stops what it ran before (those tasks are shut down), so exactly 5 run in all.
    await runningEverywhere(id, 5);
    await waitUntil(
      'the old containers of the restarted worker stopped',
      async () =>
        (await cluster.containers(id)).every(
          (c) =>
            c.Labels['com.flotilla.node.id'] !== victimId ||
            !onVictim.some((t) => t.id === c.Labels['com.flotilla.task.id']),
        ),
      30_000,
    );
    // No orphan: every container of the service belongs to a task the cluster still knows.
    const known = new Set((await tasksOf(client, id)).map((t) => t.id));
    for (const c of await cluster.containers(id, false))
      expect(
        known.has(c.Labels['com.flotilla.task.id']!),
        `container of task ${c.Labels['com.flotilla.task.id']}`,
      ).toBe(true);
    await client.removeService(id);
    await waitUntil(
      'no container of the removed service',
      async () => (await cluster.containers(id, false)).length === 0,
      60_000,
    );
  }, 240_000);

  it('restarts a container that exits non-zero as its restart policy says, then stops', async () => {
    const client = await cluster.anyClient();
    const { id } = await client.createService({
      name: 'crashes',
      taskTemplate: {
        containerSpec: { image: TEST_IMAGE, command: ['sh', '-c', 'exit 3'] },
        restartPolicy: { condition: 'on-failure', delay: SECOND / 10, maxAttempts: 2 },
      },
      mode: { replicated: { replicas: 1 } },
    });
    await waitUntil(
      'three failed attempts',
      async () => (await tasksOf(client, id)).filter((t) => t.status.state === 'failed').length === 3,
      60_000,
    );
    const tasks = await tasksOf(client, id);
    for (const t of tasks.filter((x) => x.status.state === 'failed')) {
      expect(t.status.err).toContain('non-zero exit (3)');
      expect(t.status.containerStatus?.exitCode).toBe(3);
    }
    // maxAttempts 2: after the first run and two restarts, nothing more is started.
    expect(tasks.filter((t) => t.desiredState === 'running' && t.status.state !== 'failed')).toHaveLength(0);
    await client.removeService(id);
  }, 120_000);

  it('replaces a container that turns unhealthy', async () => {
    const client = await cluster.anyClient();
    const { id } = await client.createService({
      name: 'sickly',
      taskTemplate: {
        containerSpec: {
          image: TEST_IMAGE,
          command: ['sh', '-c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600'],
          healthcheck: {
            test: ['CMD-SHELL', 'test -f /tmp/healthy'],
            interval: SECOND / 4,
            timeout: SECOND,
            retries: 1,
          },
          stopGracePeriod: SECOND,
        },
        restartPolicy: { condition: 'any', delay: SECOND / 10 },
      },
      mode: { replicated: { replicas: 1 } },
    });
    await waitUntil(
      'a task failed as unhealthy and a replacement started',
      async () => {
        const tasks = await tasksOf(client, id);
        const failed = tasks.some((t) => t.status.state === 'failed' && /unhealthy/.test(t.status.err ?? ''));
        return failed && tasks.length >= 2;
      },
      60_000,
    );
    await client.removeService(id);
  }, 120_000);

  it('rejects a task whose image does not exist, with the engine message', async () => {
    const client = await cluster.anyClient();
    const { id } = await client.createService({
      name: 'ghost',
      taskTemplate: {
        containerSpec: { image: 'flotilla-test/does-not-exist:1', pullPolicy: 'never' },
        restartPolicy: { condition: 'none' },
      },
      mode: { replicated: { replicas: 1 } },
    });
    await waitUntil(
      'a rejected task',
      async () => (await tasksOf(client, id)).some((t) => t.status.state === 'rejected'),
      60_000,
    );
    const rejected = (await tasksOf(client, id)).find((t) => t.status.state === 'rejected')!;
    expect(rejected.status.err).toMatch(/flotilla-test\/does-not-exist:1/);
    await client.removeService(id);
  }, 120_000);

  it('gives a secret to the container at /run/secrets/NAME and to no other node', async () => {
    const client = await cluster.anyClient();
    const marker = `s3cr3t-${cluster.runId}`;
    const secret = await client.createSecret({ name: 'db-password', data: marker });
    const { id } = await client.createService({
      name: 'reader',
      taskTemplate: {
        containerSpec: {
          image: TEST_IMAGE,
          command: ['sh', '-c', 'cat /run/secrets/db-password; echo; sleep 3600'],
          secrets: [{ secretId: secret.id, secretName: 'db-password', file: { name: 'db-password' } }],
          stopGracePeriod: SECOND,
        },
      },
      mode: { replicated: { replicas: 1 } },
    });
    await runningEverywhere(id, 1);
    const [container] = await cluster.containers(id);
    const logs = (
      await cluster.docker.getContainer(container!.Id).logs({ stdout: true, stderr: true })
    ).toString('utf8');
    expect(logs).toContain(marker);
    const holder = container!.Labels['com.flotilla.node.id']!;
    for (const name of [...cluster.managerNames, ...cluster.workerNames]) {
      if (cluster.nodeId(name) === holder) continue;
      for (const file of await filesUnder(cluster.dirs.dir(name))) {
        if (!(await stat(file)).isFile()) continue;
        const content = await readFile(file).catch(() => Buffer.alloc(0));
        expect(content.includes(marker), `${file} holds the secret`).toBe(false);
      }
    }
    await client.removeService(id);
  }, 120_000);

  it('finishes a rolling update under a new leader when the leader is killed during it', async () => {
    let client = await cluster.anyClient();
    const { id } = await client.createService(sleeper('rolling', 4));
    await runningEverywhere(id, 4);
    const service = await client.getService(id);
    const spec = sleeper('rolling', 4);
    spec.taskTemplate.containerSpec.env = ['VERSION=2'];
    spec.updateConfig = { parallelism: 1, delay: SECOND / 2, monitor: SECOND / 2 };
    await client.updateService(id, service.meta.version.index, spec);
    await waitUntil(
      'the update under way',
      async () =>
        (await tasksOf(client, id)).some(
          (t) => t.spec.containerSpec.env?.includes('VERSION=2') && t.status.state === 'running',
        ),
      60_000,
    );
    const leader = (await client.listNodes()).find((n) => n.managerStatus?.leader)!;
    const leaderName = [...cluster.managerNames].find((n) => cluster.nodeId(n) === leader.id)!;
    await cluster.procs.kill(leaderName);
    client = await cluster.anyClient();
    await waitUntil(
      'the update completed under the new leader',
      async () => {
        const c = await cluster.anyClient();
        const s = await c.getService(id);
        if (s.updateStatus?.state !== 'completed') return false;
        const live = (await tasksOf(c, id)).filter(
          (t) => t.desiredState === 'running' && t.status.state === 'running',
        );
        return live.length === 4 && live.every((t) => t.spec.containerSpec.env?.includes('VERSION=2'));
      },
      120_000,
    );
    await cluster.procs.restart(leaderName);
    await (await cluster.anyClient()).removeService(id);
  }, 240_000);
});
