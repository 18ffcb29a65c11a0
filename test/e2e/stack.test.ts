// `stack deploy` end to end: compose files become services of a real multi-process cluster
// (a manager and a worker on 127.0.0.120+) whose tasks run as containers of the local Docker
// Engine. Checks the order depends_on imposes, convergence, the secret inside a container, a
// redeploy that updates only the edited service, the voting-app stack of the corpus with its
// images swapped for the test image, and that removing a stack leaves nothing behind.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlotillaClient } from '../../src/client/index.js';
import {
  deployStack,
  listStacks,
  loadProject,
  removeStack,
  stackServices,
  stackTasks,
  waitForStack,
  type DeployEvent,
  type ServiceProgress,
} from '../../src/compose/index.js';
import { dockerAvailable, TEST_IMAGE, testDocker } from '../support/docker.js';
import { DockerCluster } from '../support/docker-cluster.js';
import { waitUntil } from '../support/wait.js';
import { composeCorpus } from '../support/corpus.js';

const execFileAsync = promisify(execFile);
const FIXTURE = join(import.meta.dirname, '../fixtures/compose/app/compose.yml');
const CORPUS = composeCorpus();
const NAMESPACE_LABEL = 'com.docker.stack.namespace';

const engine = await dockerAvailable(testDocker());
if (!engine)
  console.warn('stack e2e: skipped, no Docker Engine answers (npm test runs scripts/docker-engine.sh)');

describe.skipIf(!engine)('stack deploy on a real cluster and Docker Engine', () => {
  let cluster: DockerCluster;
  let client: FlotillaClient;
  // Stack names unique to this run, so volumes and leftovers of other runs never mix.
  const suffix = Math.random().toString(36).slice(2, 8);
  const APP = `app-${suffix}`;
  const VOTE = `vote-${suffix}`;

  beforeAll(async () => {
    cluster = await DockerCluster.start({ managers: 1, workers: 1, hostBase: 120 });
    client = await cluster.anyClient();
  }, 120_000);

  afterAll(async () => {
    // Containers go with the cluster (every one carries the run's label); the named volumes the
    // engine made for the stacks' volume mounts carry the stack label.
    await cluster?.stop();
    const { Volumes } = await testDocker().listVolumes({ filters: { label: [NAMESPACE_LABEL] } });
    for (const volume of Volumes ?? []) {
      const stack = volume.Labels?.[NAMESPACE_LABEL];
      if (stack === APP || stack === VOTE)
        await testDocker()
          .getVolume(volume.Name)
          .remove()
          .catch(() => undefined);
    }
  }, 60_000);

  /** This run's running containers of a service, by the service's name. */
  async function containersOf(serviceName: string): Promise<string[]> {
    const [service] = await client.listServices({ names: serviceName });
    if (service === undefined) return [];
    return (await cluster.containers(service.id)).map((c) => c.Id);
  }

  async function execIn(containerId: string, command: string[]): Promise<string> {
    const { stdout } = await execFileAsync('docker', ['exec', containerId, ...command]);
    return stdout;
  }

  it('deploys a 3-service stack in depends_on order, converges, and shows the secret and config in the containers', async () => {
    const events: DeployEvent[] = [];
    const project = await loadProject([FIXTURE], { environment: { IMAGE: TEST_IMAGE } });
    const result = await deployStack(client, APP, project, {
      onProgress: (e) => events.push(e),
      pollIntervalMs: 250,
      dependencyTimeoutMs: 60_000,
    });
    expect(result.created.map((s) => s.name)).toEqual(['db', 'api', 'web']);
    expect(result.secrets.created).toEqual([`${APP}_db_password`]);
    expect(result.configs.created).toEqual([`${APP}_app_config`]);

    // api was created only once db's task ran healthy: the deploy waited for it, and db's
    // task was running before api existed.
    const waits = events.filter((e) => e.type === 'waiting');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((e) => e.type === 'waiting' && e.service === 'api' && e.dependency === 'db')).toBe(
      true,
    );
    const [db] = await client.listServices({ names: `${APP}_db` });
    const [api] = await client.listServices({ names: `${APP}_api` });
    const dbTasks = await client.listTasks({ services: db!.id });
    const dbRunning = dbTasks.find((t) => t.status.state === 'running');
    expect(dbRunning, 'db has a running task').toBeDefined();
    expect(Date.parse(api!.meta.createdAt)).toBeGreaterThanOrEqual(Date.parse(dbRunning!.status.timestamp));

    const progress: ServiceProgress[] = await waitForStack(client, APP, {
      timeoutMs: 90_000,
      pollIntervalMs: 500,
    });
    expect(progress.map((p) => [p.name, p.running, p.desired])).toEqual([
      [`${APP}_api`, 2, 2],
      [`${APP}_db`, 1, 1],
      [`${APP}_web`, 1, 1],
    ]);
    expect(await listStacks(client)).toContainEqual({ name: APP, services: 3 });
    expect((await stackServices(client, APP)).map((s) => s.spec.name)).toEqual([
      `${APP}_api`,
      `${APP}_db`,
      `${APP}_web`,
    ]);
    expect((await stackTasks(client, APP)).filter((t) => t.status.state === 'running')).toHaveLength(4);

    // The secret and the config, readable where the file put them, in every api container.
    const apiContainers = await containersOf(`${APP}_api`);
    expect(apiContainers).toHaveLength(2);
    for (const id of apiContainers) {
      expect(await execIn(id, ['cat', '/run/secrets/db-password'])).toBe('correct-horse-battery');
      expect(await execIn(id, ['cat', '/etc/app.conf'])).toBe('listen=8080\n');
      // The service template of the environment, expanded by the worker.
      expect((await execIn(id, ['sh', '-c', 'echo $NODE_ID'])).trim()).toMatch(/^[a-z0-9]{25}$/);
    }
    const [dbContainer] = await containersOf(`${APP}_db`);
    expect(await execIn(dbContainer!, ['cat', '/run/secrets/db_password'])).toBe('correct-horse-battery');
  }, 180_000);

  it('redeploys an edited file by updating only the service that changed', async () => {
    const versionsBefore = new Map(
      (await stackServices(client, APP)).map((s) => [s.spec.name, s.meta.version.index]),
    );
    // The same file again: nothing to do.
    const same = await deployStack(
      client,
      APP,
      await loadProject([FIXTURE], { environment: { IMAGE: TEST_IMAGE } }),
    );
    expect(same.updated).toEqual([]);
    expect(same.unchanged.map((s) => s.name)).toEqual(['db', 'api', 'web']);

    // One edit to api's environment.
    const edited = await loadProject([FIXTURE], { environment: { IMAGE: TEST_IMAGE } });
    edited.model.services.api!.environment = ['API_VERSION=2', 'NODE_ID={{.Node.ID}}'];
    const result = await deployStack(client, APP, edited);
    expect(result.updated.map((s) => s.name)).toEqual(['api']);
    expect(result.unchanged.map((s) => s.name)).toEqual(['db', 'web']);

    const versionsAfter = new Map(
      (await stackServices(client, APP)).map((s) => [s.spec.name, s.meta.version.index]),
    );
    expect(versionsAfter.get(`${APP}_api`)).not.toBe(versionsBefore.get(`${APP}_api`));
    expect(versionsAfter.get(`${APP}_db`)).toBe(versionsBefore.get(`${APP}_db`));
    expect(versionsAfter.get(`${APP}_web`)).toBe(versionsBefore.get(`${APP}_web`));

    // The rolling update replaces api's containers with ones that see the new value.
    await waitUntil(
      'two api containers with API_VERSION=2',
      async () => {
        const ids = await containersOf(`${APP}_api`);
        if (ids.length !== 2) return false;
        const values = await Promise.all(ids.map((id) => execIn(id, ['sh', '-c', 'echo $API_VERSION'])));
        return values.every((v) => v.trim() === '2');
      },
      120_000,
      { intervalMs: 500, retryOnError: true },
    );
    await waitForStack(client, APP, { timeoutMs: 60_000 });
  }, 180_000);

  it('removes the stack and leaves no service, secret, config or container behind', async () => {
    const ids = (await stackServices(client, APP)).map((s) => s.id);
    const removed = await removeStack(client, APP);
    expect(removed).toEqual({
      services: [`${APP}_api`, `${APP}_db`, `${APP}_web`],
      secrets: [`${APP}_db_password`],
      configs: [`${APP}_app_config`],
    });
    expect(await stackServices(client, APP)).toEqual([]);
    expect(await client.listSecrets({ labels: { [NAMESPACE_LABEL]: APP } })).toEqual([]);
    expect(await client.listConfigs({ labels: { [NAMESPACE_LABEL]: APP } })).toEqual([]);
    expect(await listStacks(client)).not.toContainEqual(expect.objectContaining({ name: APP }));
    await waitUntil(
      'no container of the removed stack',
      async () =>
        (await Promise.all(ids.map((id) => cluster.containers(id, false)))).every((c) => c.length === 0),
      60_000,
      { intervalMs: 500 },
    );
  }, 120_000);

  it.skipIf(CORPUS === null)(
    'deploys the voting-app stack of the corpus with its images swapped for the test image, and it converges',
    async () => {
      const project = await loadProject([join(CORPUS!, 'voting-app-stack.yml')], { environment: {} });
      // The file is used as published; only the parsed project changes: every service runs the
      // test image, kept up by sleep, and stops quickly.
      for (const service of Object.values(project.model.services)) {
        service.image = TEST_IMAGE;
        service.command = ['sleep', '3600'];
        service.stop_grace_period = 1e9;
      }
      try {
        await votingAppConverges(project);
      } finally {
        // Whatever failed above, the stack goes (its containers, with the cluster, in afterAll).
        await removeStack(client, VOTE).catch(() => undefined);
      }
    },
    240_000,
  );

  async function votingAppConverges(project: Awaited<ReturnType<typeof loadProject>>): Promise<void> {
    const result = await deployStack(client, VOTE, project);
    expect(result.created.map((s) => s.name).sort()).toEqual([
      'db',
      'redis',
      'result',
      'visualizer',
      'vote',
      'worker',
    ]);

    const progress = await waitForStack(client, VOTE, { timeoutMs: 120_000, pollIntervalMs: 500 });
    expect(progress.map((p) => [p.name, p.running])).toEqual([
      [`${VOTE}_db`, 1],
      [`${VOTE}_redis`, 2],
      [`${VOTE}_result`, 2],
      [`${VOTE}_visualizer`, 1],
      [`${VOTE}_vote`, 2],
      [`${VOTE}_worker`, 1],
    ]);
    // db's placement constraint: it runs on the manager.
    const [db] = await client.listServices({ names: `${VOTE}_db` });
    const dbTask = (await client.listTasks({ services: db!.id })).find((t) => t.status.state === 'running');
    expect(dbTask?.nodeId).toBe(cluster.nodeId('m1'));
    // The named volume became a volume of the engine, labelled with the stack.
    const [dbContainer] = await containersOf(`${VOTE}_db`);
    const mounts = (await testDocker().getContainer(dbContainer!).inspect()).Mounts;
    expect(mounts).toContainEqual(
      expect.objectContaining({
        Type: 'volume',
        Name: `${VOTE}_db-data`,
        Destination: '/var/lib/postgresql/data',
      }),
    );
    let running = 0;
    for (const p of progress) running += (await containersOf(p.name)).length;
    expect(running).toBe(9);

    const ids = progress.map((p) => p.serviceId);
    await removeStack(client, VOTE);
    await waitUntil(
      'no container of the voting app',
      async () =>
        (await Promise.all(ids.map((id) => cluster.containers(id, false)))).every((c) => c.length === 0),
      60_000,
      { intervalMs: 500 },
    );
    expect(await listStacks(client)).not.toContainEqual(expect.objectContaining({ name: VOTE }));
  }
});
