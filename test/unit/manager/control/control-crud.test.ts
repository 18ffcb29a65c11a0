// The control API end to end for every kind: a real gRPC server on 127.0.0.1 in this process,
// serving a ReplicatedStore over a single-member driven through FlotillaClient (the
// public client). Objects the API does not create (tasks, nodes, the cluster) are written into
// the store directly, as the orchestrator, dispatcher and `init` will.

import { startTestManager } from '../../../support/control-harness.js';
import { afterEach, describe, expect, it } from 'vitest';
import { withClusterDefaults, type ServiceSpec } from '../../../../src/api/index.js';
import { FlotillaClient, type WatchEvent } from '../../../../src/index.js';
import type { ApiStore } from '../../../../src/manager/control/index.js';
import { LIST_CHUNK_OBJECTS } from '../../../../src/manager/control/lists.js';

interface Manager {
  store: ApiStore;
  client: FlotillaClient;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startManager(): Promise<Manager> {
  const { node, store, client } = await startTestManager('m1', cleanups);
  await node.waitForLeader(5_000);
  return { store, client };
}

function webSpec(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name: 'web', taskTemplate: { containerSpec: { image: 'nginx:1.27' } }, ...overrides };
}

async function addNode(
  store: ApiStore,
  name: string,
  state: 'ready' | 'down',
  role: 'worker' | 'manager' = 'worker',
): Promise<string> {
  const { objects } = await store.update([
    {
      op: 'create',
      kind: 'node',
      object: { spec: { name, role, availability: 'active' }, status: { state, addr: '10.0.0.9' } },
    },
  ]);
  return objects[0]!.id;
}

describe('the control API: services', () => {
  it('creates a service with defaults and reads it by id, name and id prefix', async () => {
    const { client } = await startManager();
    const { id, version } = await client.createService(webSpec({ labels: { tier: 'front' } }));
    expect(id).toMatch(/^[0-9a-z]{25}$/);

    const byId = await client.getService(id);
    expect(byId.meta.version.index).toBe(version);
    expect(byId.spec.labels).toEqual({ tier: 'front' });
    // SwarmKit's defaults were filled in before the spec was stored.
    expect(byId.spec.mode).toEqual({ replicated: { replicas: 1 } });
    expect(byId.spec.taskTemplate.restartPolicy?.condition).toBe('any');
    expect((await client.getService('web')).id).toBe(id);
    expect((await client.getService(id.slice(0, 6))).id).toBe(id);
    expect((await client.getService('web', { linearizable: true })).id).toBe(id);
  });

  it('lists services filtered by name, label and id prefix', async () => {
    const { client } = await startManager();
    const web = await client.createService(webSpec({ labels: { tier: 'front' } }));
    const api = await client.createService(webSpec({ name: 'api', labels: { tier: 'back' } }));
    await client.createService(webSpec({ name: 'db' }));

    const names = async (filter: Parameters<FlotillaClient['listServices']>[0]): Promise<string[]> =>
      (await client.listServices(filter)).map((s) => s.spec.name).sort();
    expect(await names(undefined)).toEqual(['api', 'db', 'web']);
    expect(await names({ names: ['web', 'db'] })).toEqual(['db', 'web']);
    expect(await names({ labels: { tier: 'back' } })).toEqual(['api']);
    expect(await names({ labels: { tier: null } })).toEqual(['api', 'web']);
    expect(await names({ idPrefixes: [web.id.slice(0, 8), api.id.slice(0, 8)] })).toEqual(['api', 'web']);
    const listed = await client.list('service', { names: 'web' });
    expect(listed.items).toHaveLength(1);
    expect(listed.version).toBeGreaterThanOrEqual(web.version);
  });

  it('updates a service from the version it read, keeping the old spec as previousSpec', async () => {
    const { client } = await startManager();
    const created = await client.createService(webSpec());
    const updated = await client.updateService(
      'web',
      created.version,
      webSpec({ mode: { replicated: { replicas: 3 } } }),
    );
    expect(updated.version).toBeGreaterThan(created.version);
    const service = await client.getService(created.id);
    expect(service.spec.mode).toEqual({ replicated: { replicas: 3 } });
    expect(service.previousSpec?.mode).toEqual({ replicated: { replicas: 1 } });
    expect(service.meta.version.index).toBe(updated.version);
    expect(service.meta.createdAt <= service.meta.updatedAt).toBe(true);
  });

  it('rolls a service back to its previous spec, and refuses when there is none', async () => {
    const { client } = await startManager();
    const created = await client.createService(webSpec());
    await expect(client.rollbackService('web', created.version)).rejects.toThrow(
      /does not have a previous spec/,
    );
    const updated = await client.updateService(
      'web',
      created.version,
      webSpec({ taskTemplate: { containerSpec: { image: 'nginx:1.28' } } }),
    );
    const rolled = await client.rollbackService('web', updated.version);
    const service = await client.getService(created.id);
    expect(service.meta.version.index).toBe(rolled.version);
    expect(service.spec.taskTemplate.containerSpec.image).toBe('nginx:1.27');
    expect(service.previousSpec?.taskTemplate.containerSpec.image).toBe('nginx:1.28');
    expect(service.updateStatus).toMatchObject({
      state: 'rollback_started',
      message: 'manually requested rollback',
    });
    // From a stale version: refused like any update.
    await expect(client.rollbackService('web', updated.version)).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
  });

  it('removes a service by name', async () => {
    const { client } = await startManager();
    const { id } = await client.createService(webSpec());
    const removed = await client.removeService('web');
    expect(removed.id).toBe(id);
    expect(await client.listServices()).toEqual([]);
  });
});

describe('the control API: tasks', () => {
  it('gets tasks and lists them by service, node and desired state', async () => {
    const { store, client } = await startManager();
    const web = await client.createService(webSpec());
    const api = await client.createService(webSpec({ name: 'api' }));
    const nodeId = await addNode(store, 'node-1', 'ready');
    const task = (
      serviceId: string,
      slot: number,
      desiredState: 'running' | 'shutdown',
      onNode?: string,
    ) => ({
      op: 'create' as const,
      kind: 'task' as const,
      object: {
        serviceId,
        slot,
        desiredState,
        labels: {},
        spec: { containerSpec: { image: 'nginx:1.27' } },
        status: { state: 'new' as const, timestamp: new Date(0).toISOString(), message: 'created' },
        ...(onNode === undefined ? {} : { nodeId: onNode }),
      },
    });
    const { objects } = await store.update([
      task(web.id, 1, 'running', nodeId),
      task(web.id, 2, 'shutdown'),
      task(api.id, 1, 'running', nodeId),
    ]);
    const [first] = objects;

    expect((await client.getTask(first!.id)).slot).toBe(1);
    const slots = async (filter: Parameters<FlotillaClient['listTasks']>[0]): Promise<string[]> =>
      (await client.listTasks(filter))
        .map((t) => `${t.serviceId === web.id ? 'web' : 'api'}.${t.slot}`)
        .sort();
    expect(await slots({ services: 'web' })).toEqual(['web.1', 'web.2']);
    expect(await slots({ services: [api.id] })).toEqual(['api.1']);
    expect(await slots({ nodes: 'node-1' })).toEqual(['api.1', 'web.1']);
    expect(await slots({ services: 'web', desiredStates: 'running' })).toEqual(['web.1']);
    expect(await slots({ services: 'no-such-service' })).toEqual([]);
  });
});

describe('the control API: nodes', () => {
  it('streams a list longer than one chunk whole, in id order, at one store version', async () => {
    const { store, client } = await startManager();
    const web = await client.createService(webSpec());
    const count = LIST_CHUNK_OBJECTS * 2 + 500;
    for (let start = 0; start < count; start += 500)
      await store.update(
        Array.from({ length: 500 }, (_, i) => ({
          op: 'create' as const,
          kind: 'task' as const,
          object: {
            serviceId: web.id,
            slot: start + i + 1,
            desiredState: 'running' as const,
            labels: {},
            spec: { containerSpec: { image: 'nginx:1.27' } },
            status: { state: 'new' as const, timestamp: new Date(0).toISOString(), message: 'created' },
          },
        })),
      );
    const listed = await client.list('task');
    expect(listed.items).toHaveLength(count);
    const ids = listed.items.map((t) => t.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(listed.items.map((t) => t.slot)).size).toBe(count);
    expect(listed.version).toBe(store.version);
    // Filters apply across chunks too; an empty result still carries the version.
    expect((await client.listTasks({ services: web.id, desiredStates: 'running' })).length).toBe(count);
    const none = await client.list('task', { nodes: 'nowhere' });
    expect(none).toEqual({ items: [], version: store.version });
  });

  it('gets, lists, updates the spec of and removes a node', async () => {
    const { store, client } = await startManager();
    const id = await addNode(store, 'node-1', 'down');
    await addNode(store, 'node-2', 'ready', 'manager');

    const node = await client.getNode('node-1');
    expect(node.id).toBe(id);
    expect((await client.listNodes()).map((n) => n.spec.name).sort()).toEqual(['node-1', 'node-2']);

    const { version } = await client.updateNode(id, node.meta.version.index, {
      ...node.spec,
      availability: 'drain',
      labels: { zone: 'a' },
      role: 'manager',
    });
    const updated = await client.getNode(id);
    expect(updated.spec).toMatchObject({ availability: 'drain', labels: { zone: 'a' }, role: 'manager' });
    expect(updated.status.state).toBe('down'); // the status is not the API's to change

    await client.updateNode(id, version, { ...updated.spec, role: 'worker' });
    await client.removeNode('node-1');
    expect((await client.listNodes()).map((n) => n.spec.name)).toEqual(['node-2']);
  });
});

describe('the control API: secrets and configs', () => {
  it('creates, gets, lists and removes a secret without ever returning its data', async () => {
    const { store, client } = await startManager();
    const created = await client.createSecret({ name: 'db-password', data: 's3cr3t', labels: { app: 'db' } });
    const secret = await client.getSecret('db-password');
    expect(secret.id).toBe(created.id);
    expect(secret.spec).toEqual({ name: 'db-password', labels: { app: 'db' } });
    // It was stored all the same.
    expect(Buffer.from(store.get('secret', created.id)!.spec.data!).toString()).toBe('s3cr3t');
    expect((await client.listSecrets({ labels: { app: 'db' } })).map((s) => s.spec)).toEqual([secret.spec]);
    await client.removeSecret(created.id);
    expect(await client.listSecrets()).toEqual([]);
  });

  it('creates, gets, lists and removes a config, whose data is returned as bytes', async () => {
    const { client } = await startManager();
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    const created = await client.createConfig({ name: 'nginx.conf', data: bytes });
    const config = await client.getConfig('nginx.conf');
    expect(config.spec.data).toEqual(bytes);
    expect((await client.listConfigs()).map((c) => c.id)).toEqual([created.id]);
    await client.removeConfig('nginx.conf');
    expect(await client.listConfigs()).toEqual([]);
  });

  it('lets services reference secrets and configs, and refuses to remove them while referenced', async () => {
    const { client } = await startManager();
    const secret = await client.createSecret({ name: 'token', data: 'abc' });
    const config = await client.createConfig({ name: 'app.conf', data: 'x=1' });
    await client.createService(
      webSpec({
        taskTemplate: {
          containerSpec: {
            image: 'nginx:1.27',
            secrets: [{ secretId: secret.id, secretName: 'token', file: { name: 'token' } }],
            configs: [{ configId: config.id, configName: 'app.conf', file: { name: '/etc/app.conf' } }],
          },
        },
      }),
    );
    await expect(client.removeSecret('token')).rejects.toThrow(
      /secret .* is in use by the following services: web/,
    );
    await expect(client.removeConfig('app.conf')).rejects.toThrow(/in use by the following services: web/);
    await client.removeService('web');
    await client.removeSecret('token');
    await client.removeConfig('app.conf');
  });
});

describe('the control API: cluster', () => {
  it('gets the cluster object and updates it from the version read, never showing the CA key', async () => {
    const { store, client } = await startManager();
    await store.update([
      {
        op: 'create',
        kind: 'cluster',
        object: {
          spec: withClusterDefaults({ caConfig: { signingCACert: 'CERT', signingCAKey: 'KEY' } }),
          joinTokens: { worker: 'SWMTKN-w', manager: 'SWMTKN-m' },
          rootRotationInProgress: false,
          defaultAddrPool: ['10.0.0.0/8'],
          subnetSize: 24,
          dataPathPort: 4789,
        },
      },
    ]);
    const cluster = await client.getCluster();
    expect(cluster.spec.name).toBe('default');
    expect(cluster.spec.caConfig).not.toHaveProperty('signingCAKey');

    const spec = { ...cluster.spec, orchestration: { taskHistoryRetentionLimit: 10 } };
    await client.updateCluster(cluster.meta.version.index, spec);
    const updated = await client.getCluster({ linearizable: true });
    expect(updated.spec.orchestration?.taskHistoryRetentionLimit).toBe(10);
    // The key was kept although the spec sent back did not carry it.
    expect(store.list('cluster')[0]!.spec.caConfig?.signingCAKey).toBe('KEY');
  });
});

describe('the control API: watch', () => {
  it('streams changes in commit order and resumes after a version', async () => {
    const { client } = await startManager();
    const start = (await client.list('service')).version;
    const abort = new AbortController();
    const seen: WatchEvent[] = [];
    const watching = (async () => {
      for await (const event of client.watch(
        { kinds: ['service'] },
        { fromVersion: start, signal: abort.signal },
      )) {
        seen.push(event);
        if (seen.length === 3) abort.abort();
      }
    })();
    const created = await client.createService(webSpec());
    await client.updateService('web', created.version, webSpec({ labels: { v: '2' } }));
    await client.removeService('web');
    await watching;
    expect(seen.map((e) => `${e.kind} ${e.type}`)).toEqual([
      'service create',
      'service update',
      'service delete',
    ]);
    const versions = seen.map((e) => e.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    const update = seen[1]!;
    expect(update.kind === 'service' && update.previous?.spec.labels).toBeUndefined();
    expect(update.kind === 'service' && update.object.spec.labels).toEqual({ v: '2' });

    // Resuming after the create replays only what followed it.
    const resumed: string[] = [];
    for await (const event of client.watch({ kinds: ['service'] }, { fromVersion: seen[0]!.version })) {
      resumed.push(event.type);
      if (resumed.length === 2) break;
    }
    expect(resumed).toEqual(['update', 'delete']);
  });

  it('filters a watch by kind, type and label, and shows no secret data in events', async () => {
    const { client } = await startManager();
    const start = (await client.list('secret')).version;
    const events: WatchEvent[] = [];
    for await (const event of (async function* () {
      const watch = client.watch(
        { kinds: ['secret'], types: ['create'], labels: { team: 'a' } },
        { fromVersion: start },
      );
      await client.createService(webSpec());
      await client.createSecret({ name: 'other', data: 'x', labels: { team: 'b' } });
      await client.createSecret({ name: 'mine', data: 'hidden', labels: { team: 'a' } });
      yield* watch;
    })()) {
      events.push(event);
      break;
    }
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.kind).toBe('secret');
    expect(event!.kind === 'secret' && event!.object.spec).toEqual({ name: 'mine', labels: { team: 'a' } });
  });
});
