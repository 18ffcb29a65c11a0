// The built `flotilla` command end to end: against a real cluster of 3 managers and 1 worker
// (separate processes on 127.0.0.10x, tasks as containers on the local Docker Engine), every
// object command is run as a user would (node, service, secret, config, cluster, join-token,
// unlock-key, admin-cert and --host), bad flags and unknown objects included, checking exit codes,
// one-line errors, and what the engine runs. A second part runs the daemon commands themselves
// (init, join as worker and as manager, start, autolock and unlock, leave) as foreground processes.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listContainersByLabel, removeContainersByLabel, TEST_IMAGE, testDocker } from '../support/docker.js';
import { DockerCluster } from '../support/docker-cluster.js';
import { waitUntil } from '../support/manager-cluster.js';

const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to its end (bounded), with `input` on its stdin. */
function flotilla(
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<Result> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run 'npx tsc -p tsconfig.json' first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, FLOTILLA_CONVERGE_VERIFY_MS: '1000', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flotilla ${args.join(' ')} did not finish in time:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The stderr of a failed command: exactly one line. */
function oneLine(r: Result): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, `stderr: ${r.stderr}`).toHaveLength(1);
  return lines[0]!;
}

describe('the flotilla CLI against a cluster of 3 managers and 1 worker', () => {
  let cluster: DockerCluster;
  let env: Record<string, string>;
  const cli = (...args: string[]): Promise<Result> => flotilla(args, { env });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await cli(...args);
    expect(r.code, `flotilla ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    cluster = await DockerCluster.start({ managers: 3, workers: 1, hostBase: 100 });
    env = { FLOTILLA_DATA_DIR: cluster.dirs.dir('m1') };
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  // A failed test leaves no service behind for the next one to trip over.
  afterEach(async () => {
    const client = await cluster.anyClient();
    for (const s of await client.listServices()) await client.removeService(s.id).catch(() => undefined);
  }, 30_000);

  it('lists nodes as docker does, marks the local one, and inspects it as self', async () => {
    const table = await ok('node', 'ls');
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION$/);
    expect(lines).toHaveLength(5);
    const m1 = cluster.nodeId('m1');
    expect(lines.find((l) => l.startsWith(m1))).toMatch(
      new RegExp(`^${m1} \\*\\s+${cluster.runId}-m1\\s+Ready\\s+Active\\s+(Leader|Reachable)`),
    );
    expect(lines.find((l) => l.startsWith(cluster.nodeId('w1')))).toMatch(/Ready\s+Active\s+\d/);
    expect(lines.filter((l) => / Leader /.test(l))).toHaveLength(1);
    expect((await ok('node', 'ls', '-q')).trim().split('\n').sort()).toEqual(
      ['m1', 'm2', 'm3', 'w1'].map((n) => cluster.nodeId(n)).sort(),
    );
    expect(await ok('node', 'inspect', 'self', '--format', '{{.ID}} {{.Spec.Role}}')).toBe(`${m1} manager\n`);
    const pretty = await ok('node', 'inspect', '--pretty', 'self');
    expect(pretty).toMatch(new RegExp(`^ID:\\s+${m1}\\n`));
    expect(pretty).toMatch(
      /\nManager Status:\n Address:\s+127\.0\.0\.101:\d+\n Raft Status:\s+Reachable\n Leader:\s+(Yes|No)\n/,
    );
    const json = (await ok('node', 'ls', '--format', 'json', '--filter', 'role=worker')).trim();
    expect(JSON.parse(json)).toMatchObject({ ID: cluster.nodeId('w1'), Status: 'Ready', ManagerStatus: '' });
  });

  it('updates, promotes and demotes a node, and refuses unknown nodes and bad values', async () => {
    const w1 = cluster.nodeId('w1');
    expect(await ok('node', 'update', '--label-add', 'zone=a', '--availability', 'drain', w1)).toBe(
      `${w1}\n`,
    );
    expect(JSON.parse(await ok('node', 'inspect', w1, '--format', '{{json .Spec}}'))).toMatchObject({
      labels: { zone: 'a' },
      availability: 'drain',
    });
    await ok('node', 'update', '--label-rm', 'zone', '--availability', 'active', w1);
    expect(JSON.parse(await ok('node', 'inspect', w1, '--format', '{{json .Spec}}'))).toMatchObject({
      labels: {},
      availability: 'active',
    });
    expect(await ok('node', 'promote', w1)).toBe(`Node ${w1} promoted to a manager in the cluster.\n`);
    expect(await ok('node', 'inspect', w1, '--format', '{{.Spec.Role}}')).toBe('manager\n');
    expect(await ok('node', 'demote', w1)).toBe(`Manager ${w1} demoted in the cluster.\n`);
    expect(await ok('node', 'inspect', w1, '--format', '{{.Spec.Role}}')).toBe('worker\n');

    const unknown = await cli('node', 'update', '--availability', 'drain', 'nope');
    expect(unknown.code).toBe(1);
    expect(oneLine(unknown)).toBe('Error: no such node: nope');
    const bad = await cli('node', 'update', '--availability', 'sleepy', w1);
    expect(bad.code).toBe(2);
    expect(oneLine(bad)).toContain('invalid argument "sleepy" for "--availability" flag');
    const up = await cli('node', 'rm', w1);
    expect(up.code).toBe(1);
    expect(oneLine(up)).toMatch(/^Error: failed precondition: /);
  });

  it('creates secrets and configs from stdin and files, lists, inspects and removes them', async () => {
    const secret = await flotilla(['secret', 'create', 'db-password', '-'], { env, input: 's3cr3t' });
    expect(secret.code).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-'));
    try {
      await writeFile(join(dir, 'app.conf'), 'listen 80\n');
      const configId = (
        await ok('config', 'create', '-l', 'app=web', 'app.conf', join(dir, 'app.conf'))
      ).trim();
      expect(configId).toMatch(/^[0-9a-z]{25}$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(await ok('secret', 'ls')).toMatch(
      /^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED\n[0-9a-z]{25}\s+db-password\s+\S.* ago\s+\S.* ago\n$/,
    );
    expect(await ok('config', 'ls', '--format', '{{.Name}}')).toBe('app.conf\n');
    expect(await ok('config', 'inspect', 'app.conf', '--format', '{{.Spec.Data}} {{.Spec.Labels.app}}')).toBe(
      `${Buffer.from('listen 80\n').toString('base64')} web\n`,
    );
    // A secret's value is never shown.
    expect(await ok('secret', 'inspect', 'db-password')).not.toContain(
      Buffer.from('s3cr3t').toString('base64'),
    );
    const missing = await cli('secret', 'create', 'x', '/nonexistent/file');
    expect(missing.code).toBe(1);
    expect(oneLine(missing)).toBe('Error: cannot read /nonexistent/file: ENOENT');
  });

  it('creates a service with the convergence view, lists it, updates it, rolls it back, scales it and removes it', async () => {
    const create = await cli(
      'service',
      'create',
      '--name',
      'web',
      '--replicas',
      '3',
      '-e',
      'A=1',
      '--label',
      'team=core',
      '--secret',
      'db-password',
      '--config',
      'source=app.conf,target=/etc/app.conf',
      '--restart-condition',
      'any',
      '--restart-delay',
      '100ms',
      '--stop-grace-period',
      '1s',
      '--update-parallelism',
      '3',
      TEST_IMAGE,
      'sleep',
      '3600',
    );
    expect(create.code, create.stderr).toBe(0);
    const [id, ...progress] = create.stdout.trimEnd().split('\n');
    expect(id).toMatch(/^[0-9a-z]{25}$/);
    expect(progress).toContain('overall progress: 3 out of 3 tasks');
    expect(progress).toContain('3/3: running');
    expect(progress[progress.length - 1]).toBe('verify: Service converged');
    expect(await cluster.containers(id!)).toHaveLength(3);

    expect(await ok('service', 'ls')).toMatch(
      new RegExp(
        `^ID\\s+NAME\\s+MODE\\s+REPLICAS\\s+IMAGE\\s+PORTS\\n${id!.slice(0, 12)}\\s+web\\s+replicated\\s+3/3\\s+${TEST_IMAGE}\\n$`,
      ),
    );
    expect(await ok('service', 'ls', '--format', '{{.Name}} {{.Replicas}}')).toBe('web 3/3\n');
    expect(await ok('service', 'ls', '-q')).toBe(`${id!.slice(0, 12)}\n`);
    const ps = (await ok('service', 'ps', 'web')).trimEnd().split('\n');
    expect(ps[0]).toMatch(/^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS$/);
    expect(ps.slice(1).map((l) => l.split(/\s{3,}/)[1])).toEqual(['web.1', 'web.2', 'web.3']);
    for (const line of ps.slice(1))
      expect(line).toMatch(/Running\s+Running (\d+ seconds|Less than a second|About a minute) ago/);
    expect(
      await ok(
        'service',
        'inspect',
        'web',
        '--format',
        '{{json .Spec.TaskTemplate.ContainerSpec.Env}} {{.Spec.Labels.team}}',
      ),
    ).toBe('["A=1"] core\n');

    expect(await ok('service', 'inspect', '--pretty', 'web')).toMatch(
      /\nService Mode:\s+Replicated\n Replicas:\s+3\n[\s\S]*\n Args:\s+sleep 3600\n Env:\s+A=1\n/,
    );

    const updated = await cli('service', 'update', '--env-add', 'B=2', '--env-rm', 'A', 'web');
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/^web\n[\s\S]*verify: Service converged\n$/);
    expect(
      await ok('service', 'inspect', 'web', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'),
    ).toBe('["B=2"]\n');
    expect(await ok('service', 'ps', 'web')).toContain(' \\_ web.1');
    // node ps: the tasks of a node (the local one by default).
    const onM1 = (
      await ok('node', 'ps', '--filter', 'desired-state=running', '--format', '{{.Name}} {{.Node}}')
    ).trim();
    for (const line of onM1.split('\n').filter((l) => l !== ''))
      expect(line).toMatch(new RegExp(`^web\\.[123] ${cluster.runId}-m1$`));
    const everywhere = await ok(
      'node',
      'ps',
      '-q',
      '--filter',
      'desired-state=running',
      ...['m1', 'm2', 'm3', 'w1'].map((n) => cluster.nodeId(n)),
    );
    expect(everywhere.trim().split('\n')).toHaveLength(3);

    const rolledBack = await cli('service', 'rollback', 'web');
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(
      await ok('service', 'inspect', 'web', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'),
    ).toBe('["A=1"]\n');

    const scaled = await cli('service', 'scale', 'web=1');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout).toMatch(/^web scaled to 1\n[\s\S]*verify: Service converged\n$/);
    await waitUntil('one container of web', async () => (await cluster.containers(id!)).length === 1, 30_000);

    expect(await ok('service', 'rm', 'web')).toBe('web\n');
    await waitUntil('no container of web', async () => (await cluster.containers(id!)).length === 0, 30_000);
    expect(await ok('secret', 'rm', 'db-password')).toBe('db-password\n');
    expect(await ok('config', 'rm', 'app.conf')).toBe('app.conf\n');
  }, 240_000);

  it('runs a global service and a replicated job with their convergence views', async () => {
    const global = await cli(
      'service',
      'create',
      '--name',
      'agent',
      '--mode',
      'global',
      '--stop-grace-period',
      '1s',
      TEST_IMAGE,
      'sleep',
      '3600',
    );
    expect(global.code, global.stderr).toBe(0);
    expect(global.stdout).toContain('overall progress: 4 out of 4 tasks');
    expect(global.stdout).toContain('verify: Service converged');
    expect(await ok('service', 'ls', '--format', '{{.Name}} {{.Mode}} {{.Replicas}}')).toBe(
      'agent global 4/4\n',
    );
    expect(await ok('service', 'rm', 'agent')).toBe('agent\n');

    const job = await cli(
      'service',
      'create',
      '--name',
      'batch',
      '--mode',
      'replicated-job',
      '--replicas',
      '2',
      TEST_IMAGE,
      'sh',
      '-c',
      'echo done',
    );
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toContain('overall progress: 2 out of 2 tasks completed');
    expect(job.stdout.trimEnd().endsWith('job complete')).toBe(true);
    expect(await ok('service', 'ls', '--format', '{{.Replicas}}', '--filter', 'name=batch')).toBe(
      '0/2 (2/2 completed)\n',
    );
    await ok('service', 'rm', 'batch');
  }, 180_000);

  it("fetches a service's logs, with --tail and timestamps", async () => {
    await ok(
      'service',
      'create',
      '-d',
      '--name',
      'talker',
      '--stop-grace-period',
      '1s',
      TEST_IMAGE,
      'sh',
      '-c',
      'echo first; echo second; echo oops >&2; sleep 3600',
    );
    let out = '';
    await waitUntil(
      'the three lines of talker',
      async () => {
        const r = await cli('service', 'logs', 'talker');
        out = r.stdout + r.stderr;
        return r.code === 0 && out.includes('oops');
      },
      60_000,
    );
    expect(out).toMatch(/^talker\.1\.[0-9a-z]{12}@\S+\s+\| first$/m);
    const r = await cli('service', 'logs', '--tail', '1', '-t', 'talker');
    // One line of the task, stdout or stderr (the engine orders lines of the same instant), stamped.
    expect((r.stdout + r.stderr).split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(r.stdout + r.stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z talker\.1\.\S+\s+\| (second|oops)\n$/);
    // --tail 0: none of the past lines (with -f, only what comes next), as docker does.
    const none = await cli('service', 'logs', '--tail', '0', 'talker');
    expect(none.code).toBe(0);
    expect(none.stdout + none.stderr).toBe('');
    // Following: lines as they come, until interrupted (exit 0, as docker's logs -f on Ctrl-C).
    const follow = spawn(process.execPath, [bin, 'service', 'logs', '-f', 'talker'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let followed = '';
    follow.stdout.setEncoding('utf8').on('data', (d: string) => (followed += d));
    const followExit = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)));
    try {
      await waitUntil('logs -f to print the first line', () => followed.includes('| first'), 30_000);
      follow.kill('SIGINT');
      expect(await followExit).toBe(0);
    } finally {
      follow.kill('SIGKILL');
    }

    const unknown = await cli('service', 'logs', 'nope');
    expect(unknown.code).toBe(1);
    expect(oneLine(unknown)).toBe('Error: no such service: nope');
    await ok('service', 'rm', 'talker');
  }, 120_000);

  it('fails clearly when tasks keep failing, and for bad flags and unknown services', async () => {
    const broken = await cli(
      'service',
      'create',
      '--name',
      'broken',
      '--restart-delay',
      '100ms',
      TEST_IMAGE,
      'sh',
      '-c',
      'exit 3',
    );
    expect(broken.code).toBe(1);
    expect(oneLine(broken)).toMatch(
      /^Error: service broken did not converge: task broken\.\d failed 3 times: /,
    );
    expect(broken.stdout).toContain('overall progress: 0 out of 1 tasks');
    await ok('service', 'rm', 'broken');

    for (const args of [
      ['service', 'ps', 'nope'],
      ['service', 'inspect', 'nope'],
      ['service', 'update', '--image', TEST_IMAGE, 'nope'],
      ['service', 'rollback', 'nope'],
      ['service', 'scale', 'nope=2'],
      ['service', 'rm', 'nope'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(oneLine(r)).toBe('Error: no such service: nope');
    }
    const missingSecret = await cli('service', 'create', '--secret', 'nope', TEST_IMAGE);
    expect(missingSecret.code).toBe(1);
    expect(oneLine(missingSecret)).toBe('Error: no such secret: nope');
    const invalid = await cli('service', 'create', '-d', '--name', 'Not_Valid!', TEST_IMAGE);
    expect(invalid.code).toBe(1);
    expect(oneLine(invalid)).toMatch(/^Error: invalid \S*name: /);

    const badFlag = await cli('service', 'create', '--replica', '2', TEST_IMAGE);
    expect(badFlag.code).toBe(2);
    expect(oneLine(badFlag)).toBe(
      "flotilla service create: unknown flag: --replica (see 'flotilla service create --help')",
    );
    const badDuration = await cli('service', 'update', '--update-delay', '5', 'web');
    expect(badDuration.code).toBe(2);
    expect(oneLine(badDuration)).toContain('invalid argument "5" for "--update-delay" flag: not a duration');
    const badMount = await cli('service', 'create', '--mount', 'type=bind,source=/tmp', TEST_IMAGE);
    expect(badMount.code).toBe(2);
    expect(oneLine(badMount)).toContain('"--mount" flag: target is required');
    expect(await ok('service', 'ls', '-q')).toBe('');
  }, 120_000);

  it('deploys a compose stack with depends_on, lists its services and tasks, and removes it; an invalid file fails naming file, line and key', async () => {
    const compose = join(import.meta.dirname, '..', 'fixtures', 'compose', 'app', 'compose.yml');
    const stackEnv = { ...env, IMAGE: TEST_IMAGE };
    const deployed = await flotilla(['stack', 'deploy', '-c', compose, 'shop'], {
      env: stackEnv,
      timeoutMs: 180_000,
    });
    expect(deployed.code, deployed.stderr).toBe(0);
    // db first (api waits for it to be healthy), then api and web, each followed to convergence.
    expect(deployed.stdout).toContain('Creating secret shop_db_password');
    expect(deployed.stdout).toContain('Creating config shop_app_config');
    const created = deployed.stdout.split('\n').filter((l) => l.startsWith('Creating service '));
    expect(created[0]).toBe('Creating service shop_db');
    expect(deployed.stdout).toContain('verify: Service converged');

    expect(await ok('stack', 'ls')).toMatch(/^NAME\s+SERVICES\nshop\s+3\n$/);
    const services = (await ok('stack', 'services', 'shop')).trimEnd().split('\n');
    expect(services.slice(1).map((l) => l.split(/\s{3,}/)[1])).toEqual(['shop_api', 'shop_db', 'shop_web']);
    const ps = (await ok('stack', 'ps', 'shop', '-f', 'desired-state=running')).trimEnd().split('\n');
    expect(ps.length - 1).toBeGreaterThanOrEqual(4);

    // The same file again: nothing changes, nothing waits.
    const again = await flotilla(['stack', 'deploy', '-c', compose, 'shop'], { env: stackEnv });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('Creating service');
    expect(again.stdout).not.toContain('Updating service');

    const removed = await ok('stack', 'rm', 'shop');
    expect(removed).toContain('Removing service shop_api');
    expect(removed).toContain('Removing secret shop_db_password');
    const gone = await cli('stack', 'ps', 'shop');
    expect(gone.code).toBe(1);
    expect(oneLine(gone)).toBe('Error: Nothing found in stack: shop');

    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-stack-'));
    try {
      const bad = join(dir, 'bad.yml');
      await writeFile(bad, 'services:\n  web:\n    image: busybox\n    deploy:\n      replicas: two\n');
      const invalid = await cli('stack', 'deploy', '-c', bad, 'broken');
      expect(invalid.code).toBe(1);
      expect(oneLine(invalid)).toMatch(/^Error: .*bad\.yml:5:\d+: services\.web\.deploy\.replicas: /);
      const missing = await cli('stack', 'deploy', '-c', join(dir, 'nope.yml'), 'broken');
      expect(missing.code).toBe(1);
      expect(oneLine(missing)).toContain('nope.yml');
      const noFile = await cli('stack', 'deploy', 'broken');
      expect(noFile.code).not.toBe(0);
      expect(oneLine(noFile)).toContain('Compose file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(await ok('stack', 'ls')).toBe('NAME      SERVICES\n');
  }, 240_000);

  it('shows and rotates join tokens, updates the cluster, and reports the missing unlock key', async () => {
    const tokens = await ok('join-token', 'worker');
    expect(tokens).toMatch(
      /^To add a worker to this cluster, run the following command:\n\n {4}flotilla join --token SWMTKN-1-\S+ 127\.0\.0\.10[123]:\d+\n\n$/,
    );
    const before = (await ok('join-token', '-q', 'worker')).trim();
    const rotated = (await ok('join-token', '--rotate', '-q', 'worker')).trim();
    expect(rotated).toMatch(/^SWMTKN-1-/);
    expect(rotated).not.toBe(before);
    expect((await ok('join-token', '-q', 'manager')).trim()).not.toBe(rotated);
    const badRole = await cli('join-token', 'boss');
    expect(badRole.code).toBe(2);

    expect(await ok('cluster', 'update', '--task-history-limit', '3', '--dispatcher-heartbeat', '1s')).toBe(
      'Cluster updated.\n',
    );
    expect(
      await ok(
        'cluster',
        'inspect',
        '--format',
        '{{.Spec.Orchestration.TaskHistoryRetentionLimit}} {{.Spec.Dispatcher.HeartbeatPeriod}}',
      ),
    ).toBe('3 1000000000\n');
    const noKey = await cli('unlock-key');
    expect(noKey.code).toBe(1);
    expect(oneLine(noKey)).toContain('no unlock key is set');
  });

  it('reaches another manager over TCP with an admin certificate (--host)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cert-'));
    try {
      expect(await ok('admin-cert', 'create', dir)).toMatch(/^[0-9a-z]{25}\n$/);
      const m2 = cluster.procs.get('m2').address;
      const remote = await flotilla(['-H', m2, 'node', 'ls', '-q'], { env: { FLOTILLA_CERT_PATH: dir } });
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stdout.trim().split('\n')).toHaveLength(4);
      // Without a certificate the manager's port refuses.
      const none = await flotilla(['--host', m2, 'node', 'ls'], {
        env: { FLOTILLA_CERT_PATH: join(dir, 'missing') },
      });
      expect(none.code).toBe(1);
      expect(oneLine(none)).toContain('cannot read the CA certificate');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes a worker by force and demotes a manager, whose process carries on as a worker', async () => {
    const w1 = cluster.nodeId('w1');
    expect(await ok('node', 'rm', '--force', w1)).toBe(`${w1}\n`);
    await waitUntil(
      '3 nodes listed',
      async () => (await ok('node', 'ls', '-q')).trim().split('\n').length === 3,
      15_000,
    );
    const m3 = cluster.nodeId('m3');
    expect(await ok('node', 'demote', m3)).toBe(`Manager ${m3} demoted in the cluster.\n`);
    await waitUntil(
      'm3 no longer a manager',
      async () => (await ok('node', 'ls', '--filter', 'role=manager', '-q')).trim().split('\n').length === 2,
      30_000,
    );
    await waitUntil(
      'm3 ready as a worker',
      async () => {
        const [row] = (await ok('node', 'ls', '--format', 'json', '--filter', `id=${m3}`)).trim().split('\n');
        return (JSON.parse(row ?? '{}') as { Status?: string }).Status === 'Ready';
      },
      30_000,
    );
    expect(cluster.procs.get('m3').child).not.toBeNull();
  });
});

// ---- the daemon commands -----------------------------------------------------------------

interface Daemon {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
}

describe('the daemon commands', () => {
  let root: string;
  let workerId: string | undefined;
  const daemons: Daemon[] = [];
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const addr = (n: number): string => `127.0.0.${120 + n}:${port}`;

  /** Starts a foreground daemon command; its stdout and stderr are collected. */
  function daemon(args: string[]): Daemon {
    const child = spawn(process.execPath, [bin, ...args, '--log-level', 'error'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const d = { child, output: () => out, exited };
    daemons.push(d);
    return d;
  }

  async function waitForOutput(d: Daemon, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
    await waitUntil(what, () => pattern.test(d.output()) || d.child.exitCode !== null, 60_000);
    const m = d.output().match(pattern);
    if (!m) throw new Error(`${what}: the process ended without it:\n${d.output()}`);
    return m;
  }

  async function stop(d: Daemon): Promise<number> {
    d.child.kill('SIGTERM');
    return d.exited;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-cli-daemon-'));
  });

  afterAll(async () => {
    for (const d of daemons)
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    // The worker runs its task on the Docker Engine: its containers carry its node id.
    if (workerId !== undefined) await removeContainersByLabel(testDocker(), 'com.flotilla.node.id', workerId);
    await rm(root, { recursive: true, force: true });
  }, 30_000);

  it('inits a cluster, joins a worker and a manager by their tokens, locks and unlocks a manager, resumes it, and leaves', async () => {
    const dirs = { m1: join(root, 'm1'), m2: join(root, 'm2'), w1: join(root, 'w1') };
    const m1 = daemon([
      'init',
      '--data-dir',
      dirs.m1,
      '--listen-addr',
      addr(1),
      '--executor',
      'none',
      '--hostname',
      'cli-m1',
    ]);
    const [, workerToken, joinAddr] = await waitForOutput(
      m1,
      /To add a worker to this cluster, run the following command:\n\n {4}flotilla join --token (\S+) (\S+)\n/,
      'the worker join command',
    );
    expect(m1.output()).toMatch(/^Cluster initialized: current node \([0-9a-z]{25}\) is now a manager\.\n/);
    expect(joinAddr).toBe(addr(1));
    const env = { FLOTILLA_DATA_DIR: dirs.m1 };

    const w1 = daemon([
      'join',
      '--token',
      workerToken!,
      '--data-dir',
      dirs.w1,
      '--advertise-addr',
      '127.0.0.124',
      '--listen-addr',
      '127.0.0.124:2377',
      '--hostname',
      'cli-w1',
      joinAddr!,
    ]);
    await waitForOutput(w1, /This node joined a cluster as a worker\./, 'the worker joining');
    workerId = (JSON.parse(await readFile(join(dirs.w1, 'worker.json'), 'utf8')) as { nodeId: string })
      .nodeId;
    const managerToken = (await flotilla(['join-token', '-q', 'manager'], { env })).stdout.trim();
    const m2 = daemon([
      'join',
      '--token',
      managerToken,
      '--data-dir',
      dirs.m2,
      '--listen-addr',
      addr(2),
      '--executor',
      'process',
      '--hostname',
      'cli-m2',
      joinAddr!,
    ]);
    await waitForOutput(m2, /This node joined a cluster as a manager\./, 'the manager joining');
    await waitUntil(
      'node ls to show a Reachable manager and a Ready worker',
      async () => {
        const ls = (await flotilla(['node', 'ls'], { env })).stdout;
        return /cli-m2\s+\S+\s+Active\s+Reachable/.test(ls) && /cli-w1\s+Ready\s+Active/.test(ls);
      },
      60_000,
    );

    // A bad join: the error is one line and the exit code 1.
    const badJoin = await flotilla([
      'join',
      '--token',
      'SWMTKN-1-nope-nope',
      '--data-dir',
      join(root, 'bad'),
      '--listen-addr',
      addr(5),
      '--executor',
      'none',
      joinAddr!,
    ]);
    expect(badJoin.code).toBe(1);
    expect(oneLine(badJoin)).toMatch(/^Error: /);

    // A bad flag value names the flag and the reason.
    const badWorkers = await flotilla(['init', '--data-dir', join(root, 'bad'), '--mesh-workers', '99']);
    expect(badWorkers.code).not.toBe(0);
    expect(badWorkers.stderr).toContain('invalid argument "99" for "--mesh-workers" flag: at most 16');

    // init on a directory that holds a node resumes it, and says so.
    expect(await stop(m1)).toBe(0);
    const resumed = daemon(['init', '--data-dir', dirs.m1, '--listen-addr', addr(1), '--executor', 'none']);
    await waitForOutput(
      resumed,
      /resuming it \(init does not found a new cluster over it\)/,
      'the resume message',
    );
    await waitForOutput(resumed, /is running as a manager/, 'the resumed manager running');

    // Autolock: the key is printed; a restarted manager waits for it.
    const locked = await flotilla(['cluster', 'update', '--autolock=true'], { env });
    expect(locked.code, locked.stderr).toBe(0);
    const key = /\n {4}(SWMKEY-1-\S+)\n/.exec(locked.stdout)?.[1];
    expect(key).toBeDefined();
    expect((await flotilla(['unlock-key', '-q'], { env })).stdout.trim()).toBe(key);
    expect(await stop(resumed)).toBe(0);
    const again = daemon(['start', '--data-dir', dirs.m1, '--executor', 'none']);
    await waitForOutput(again, /This manager is locked/, 'the locked message');
    const wrong = await flotilla(['unlock', '--data-dir', dirs.m1], { input: 'SWMKEY-1-wrong\n' });
    expect(wrong.code).toBe(1);
    expect(oneLine(wrong)).toMatch(/^Error: /);
    const unlocked = await flotilla(['unlock', '--data-dir', dirs.m1], { input: `${key}\n` });
    expect(unlocked.code, unlocked.stderr).toBe(0);
    await waitForOutput(
      again,
      /Node [0-9a-z]{25} is running as a manager at /,
      'the unlocked manager running',
    );
    expect(again.output()).toContain(`${dirs.m1} already holds node`);

    // Leaving: a worker simply, its task containers removed; a manager only with --force.
    const task = await flotilla(
      [
        'service',
        'create',
        '--name',
        'on-w1',
        '--constraint',
        'node.hostname==cli-w1',
        '--stop-grace-period',
        '1s',
        TEST_IMAGE,
        'sleep',
        '3600',
      ],
      { env },
    );
    expect(task.code, task.stderr).toBe(0);
    expect(await listContainersByLabel(testDocker(), 'com.flotilla.node.id', workerId)).toHaveLength(1);
    const leaveWorker = await flotilla(['leave', '--data-dir', dirs.w1]);
    expect(leaveWorker.code, leaveWorker.stderr).toBe(0);
    expect(leaveWorker.stdout).toBe('Removed 1 task container of this node.\nNode left the cluster.\n');
    expect(await listContainersByLabel(testDocker(), 'com.flotilla.node.id', workerId)).toHaveLength(0);
    expect((await flotilla(['service', 'rm', 'on-w1'], { env })).code).toBe(0);
    expect(await w1.exited).toBe(0);
    const refused = await flotilla(['leave', '--data-dir', dirs.m2]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused)).toContain('this node is a manager');
    const forced = await flotilla(['leave', '--force', '--data-dir', dirs.m2]);
    expect(forced.code, forced.stderr).toBe(0);
    await m2.exited;
    await waitUntil(
      'one manager left in the membership',
      async () =>
        (await flotilla(['node', 'ls', '--filter', 'role=manager', '-q'], { env })).stdout.trim().split('\n')
          .length === 1,
      30_000,
    );
    const nothing = await flotilla(['start', '--data-dir', dirs.w1]);
    expect(nothing.code).toBe(1);
    expect(oneLine(nothing)).toContain('holds no node');
  }, 240_000);
});
