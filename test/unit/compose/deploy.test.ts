import { describe, expect, it } from 'vitest';
import { FakeClient, task } from './fake-client.js';
import { projectFromText } from './helpers.js';
import {
  deployStack,
  listStacks,
  removeStack,
  stackProgress,
  stackServices,
  stackTasks,
  StackDeployError,
  type DeployEvent,
} from './imports.js';

const FILES = { '/stack/db.txt': 'hunter2', '/stack/app.conf': 'x=1' };

const STACK = (webImage = 'web:1', dbImage = 'db:1') =>
  [
    'services:',
    '  web:',
    `    image: ${webImage}`,
    '    secrets: [db_pass]',
    '    configs: [{source: app_conf, target: /etc/app.conf}]',
    '    depends_on: {db: {condition: service_healthy}}',
    '  db:',
    `    image: ${dbImage}`,
    '    deploy: {replicas: 2}',
    '    healthcheck: {test: [CMD, pg_isready]}',
    '  cache:',
    '    image: cache:1',
    'secrets: {db_pass: {file: ./db.txt}}',
    'configs: {app_conf: {file: ./app.conf}}',
  ].join('\n');

function options(files: Record<string, string> = FILES, events: DeployEvent[] = []) {
  return {
    readFile: async (path: string) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return Buffer.from(content);
    },
    pollIntervalMs: 1,
    dependencyTimeoutMs: 2_000,
    onProgress: (event: DeployEvent) => events.push(event),
  };
}

/** Every service runs all its replicas at once. */
function allRunning(client: FakeClient): void {
  client.tasksOf = (service) => {
    const mode = service.spec.mode ?? { replicated: {} };
    const replicas = 'replicated' in mode ? (mode.replicated.replicas ?? 1) : 1;
    return Array.from({ length: replicas }, (_, i) => task(service, i + 1, 'running'));
  };
}

describe('deployStack', () => {
  it('creates secrets and configs, then the services with their references resolved to ids', async () => {
    const client = new FakeClient();
    allRunning(client);
    const result = await deployStack(client, 'st', projectFromText(STACK()), options());
    expect(client.writes).toEqual([
      'createSecret st_db_pass',
      'createConfig st_app_conf',
      'createService st_db',
      'createService st_web',
      'createService st_cache',
    ]);
    expect(result.created.map((s) => s.serviceName)).toEqual(['st_db', 'st_web', 'st_cache']);
    const [secret] = client.secrets.values();
    const [config] = client.configs.values();
    expect(Buffer.from(secret!.data).toString()).toBe('hunter2');
    expect(secret!.spec.labels?.['com.docker.stack.namespace']).toBe('st');
    // The digest lets a redeploy tell a changed file, without the data itself being readable.
    expect(secret!.spec.labels?.['com.flotilla.stack.secret-digest']).toMatch(/^scrypt:[^:]+:[^:]+$/);
    expect(secret!.spec.labels?.['com.flotilla.stack.secret-digest']).not.toContain(
      Buffer.from('hunter2').toString('base64'),
    );
    const web = [...client.services.values()].find((s) => s.spec.name === 'st_web')!;
    expect(web.spec.taskTemplate.containerSpec.secrets).toEqual([
      {
        file: { name: 'db_pass', uid: '0', gid: '0', mode: 0o444 },
        secretId: secret!.id,
        secretName: 'st_db_pass',
      },
    ]);
    expect(web.spec.taskTemplate.containerSpec.configs?.[0]?.configId).toBe(config!.id);
  });

  it('leaves everything untouched when nothing changed, and updates only the service that did', async () => {
    const client = new FakeClient();
    allRunning(client);
    await deployStack(client, 'st', projectFromText(STACK()), options());
    const versions = new Map([...client.services.values()].map((s) => [s.spec.name, s.meta.version.index]));
    client.writes.length = 0;

    const again = await deployStack(client, 'st', projectFromText(STACK()), options());
    expect(client.writes).toEqual([]);
    expect(again.unchanged.map((s) => s.serviceName)).toEqual(['st_db', 'st_web', 'st_cache']);
    expect(again.secrets).toEqual({ created: [], unchanged: ['st_db_pass'] });

    const edited = await deployStack(client, 'st', projectFromText(STACK('web:2')), options());
    expect(client.writes).toEqual(['updateService st_web']);
    expect(edited.updated.map((s) => s.serviceName)).toEqual(['st_web']);
    expect(edited.unchanged.map((s) => s.serviceName)).toEqual(['st_db', 'st_cache']);
    for (const service of client.services.values()) {
      const changed = service.spec.name === 'st_web';
      expect(service.meta.version.index !== versions.get(service.spec.name), service.spec.name).toBe(changed);
    }
  });

  it('refuses a secret whose file changed, naming it, as Swarm refuses to change secret data', async () => {
    const client = new FakeClient();
    allRunning(client);
    await deployStack(client, 'st', projectFromText(STACK()), options());
    await expect(
      deployStack(client, 'st', projectFromText(STACK()), options({ ...FILES, '/stack/db.txt': 'changed' })),
    ).rejects.toThrow(/failed to update secret st_db_pass: a secret's data cannot change/);
    await expect(
      deployStack(client, 'st', projectFromText(STACK()), options({ ...FILES, '/stack/app.conf': 'x=2' })),
    ).rejects.toThrow(/failed to update config st_app_conf: a config's data cannot change/);
  });

  it('refuses an external secret that does not exist, and uses one that does', async () => {
    const text = 'services:\n  web: {image: w, secrets: [api]}\nsecrets: {api: {external: true}}\n';
    const client = new FakeClient();
    await expect(deployStack(client, 'st', projectFromText(text), options())).rejects.toThrow(
      new StackDeployError('secret api is declared external but does not exist: create it first'),
    );
    const { id } = await client.createSecret({ name: 'api', data: 'k' });
    await deployStack(client, 'st', projectFromText(text), options());
    const [web] = client.services.values();
    expect(web?.spec.taskTemplate.containerSpec.secrets?.[0]).toMatchObject({
      secretId: id,
      secretName: 'api',
    });
  });

  it('creates a service with a service_healthy dependency only once the dependency runs all its tasks', async () => {
    const client = new FakeClient();
    const events: DeployEvent[] = [];
    let looks = 0;
    // db's two tasks: starting for the first three looks, then running (a task with a
    // healthcheck only reports running once healthy).
    client.tasksOf = (service) => {
      if (service.spec.name !== 'st_db') return [task(service, 1, 'running')];
      looks++;
      return [task(service, 1, 'running'), task(service, 2, looks > 3 ? 'running' : 'starting')];
    };
    await deployStack(client, 'st', projectFromText(STACK()), options(FILES, events));
    const waits = events.filter((e) => e.type === 'waiting');
    expect(waits).toHaveLength(3);
    expect(waits[0]).toMatchObject({
      service: 'web',
      dependency: 'db',
      condition: 'service_healthy',
      progress: { running: 1, desired: 2 },
    });
    expect(client.writes.indexOf('createService st_web')).toBeGreaterThan(
      client.writes.indexOf('createService st_db'),
    );
    expect(looks).toBe(4);
  });

  it('gives up on a dependency that does not come up, saying why', async () => {
    const client = new FakeClient();
    client.tasksOf = (service) => {
      const t = task(service, 1, 'failed');
      t.status.err = 'container unhealthy';
      return [t];
    };
    await expect(
      deployStack(client, 'st', projectFromText(STACK()), { ...options(), dependencyTimeoutMs: 20 }),
    ).rejects.toThrow(
      /service web waits for db \(service_healthy\): 0\/2 tasks running after 20 ms; last error: container unhealthy/,
    );
    expect(client.writes).not.toContain('createService st_web');
  });

  it('removes services no longer in the file only with prune', async () => {
    const client = new FakeClient();
    allRunning(client);
    await deployStack(client, 'st', projectFromText(STACK()), options());
    const smaller = STACK().replace('  cache:\n    image: cache:1\n', '');
    const kept = await deployStack(client, 'st', projectFromText(smaller), options());
    expect(kept.removed).toEqual([]);
    expect([...client.services.values()].map((s) => s.spec.name)).toContain('st_cache');
    const pruned = await deployStack(client, 'st', projectFromText(smaller), { ...options(), prune: true });
    expect(pruned.removed).toEqual(['st_cache']);
    expect([...client.services.values()].map((s) => s.spec.name).sort()).toEqual(['st_db', 'st_web']);
  });
});

describe('stack queries and removal', () => {
  it('lists stacks with their service counts, their services, tasks and progress', async () => {
    const client = new FakeClient();
    allRunning(client);
    await deployStack(client, 'st', projectFromText(STACK()), options());
    await deployStack(client, 'other', projectFromText('services: {one: {image: x}}'), options());
    await client.createService({ name: 'loose', taskTemplate: { containerSpec: { image: 'x' } } });
    expect(await listStacks(client)).toEqual([
      { name: 'other', services: 1 },
      { name: 'st', services: 3 },
    ]);
    expect((await stackServices(client, 'st')).map((s) => s.spec.name)).toEqual([
      'st_cache',
      'st_db',
      'st_web',
    ]);
    expect(await stackTasks(client, 'st')).toHaveLength(4);
    const progress = await stackProgress(client, 'st');
    expect(progress.map((p) => [p.name, p.running, p.desired, p.converged])).toEqual([
      ['st_cache', 1, 1, true],
      ['st_db', 2, 2, true],
      ['st_web', 1, 1, true],
    ]);
  });

  it('removes the services first, then the secrets and configs, of that stack only', async () => {
    const client = new FakeClient();
    allRunning(client);
    await deployStack(client, 'st', projectFromText(STACK()), options());
    await deployStack(client, 'other', projectFromText('services: {one: {image: x}}'), options());
    client.writes.length = 0;
    const removed = await removeStack(client, 'st');
    expect(removed).toEqual({
      services: ['st_cache', 'st_db', 'st_web'],
      secrets: ['st_db_pass'],
      configs: ['st_app_conf'],
    });
    expect(client.writes.slice(0, 3).every((w) => w.startsWith('removeService'))).toBe(true);
    expect(client.writes.slice(3)).toEqual(['removeSecret st_db_pass', 'removeConfig st_app_conf']);
    expect(await listStacks(client)).toEqual([{ name: 'other', services: 1 }]);
  });
});

describe('labels of existing secrets and configs', () => {
  it('warns that changed labels of an existing secret are kept, the API having no secret update', async () => {
    const client = new FakeClient();
    allRunning(client);
    await deployStack(client, 'st', projectFromText(STACK()), options());
    const relabelled = STACK().replace(
      'db_pass: {file: ./db.txt}',
      'db_pass: {file: ./db.txt, labels: {rotated: "yes"}}',
    );
    const result = await deployStack(client, 'st', projectFromText(relabelled), options());
    expect(result.warnings.map((w) => w.message)).toContain(
      "the labels of secret st_db_pass differ from the file's and are kept: Flotilla cannot update a secret's labels",
    );
    const again = await deployStack(client, 'st', projectFromText(STACK()), options());
    expect(again.warnings.filter((w) => w.message.includes('labels of'))).toEqual([]);
  });
});
