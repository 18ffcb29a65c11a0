// The Docker executor against the real engine (scripts/docker-engine.sh guarantees one and the
// busybox test image): a task's container lives through prepare, start, wait, shutdown and remove
// as a Swarm task's would, and every container a test makes is labelled and removed afterwards.

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId, type ContainerSpec, type Task, type TaskSpec } from '../../src/api/index.js';
import { DockerExecutor, TASK_LABELS } from '../../src/worker/docker/index.js';
import { isTmpfsMountPoint } from '../../src/worker/docker/secret-files.js';
import { TaskFailure, type LogLine, type TaskContext, type TaskRunner } from '../../src/worker/executor.js';
import {
  TEST_IMAGE,
  TEST_RUN_LABEL,
  dockerAvailable,
  listContainersByLabel,
  newTestRunId,
  removeContainersByLabel,
  testDocker,
} from '../support/docker.js';
import { waitUntil } from '../support/wait.js';

const docker = testDocker();
const engine = await dockerAvailable(docker);
if (!engine) {
  console.warn(
    'docker-executor e2e: skipped, no Docker Engine answers (npm test runs scripts/docker-engine.sh)',
  );
}

const MS = 1_000_000;
const SECOND = 1_000 * MS;

describe.skipIf(!engine)('DockerExecutor on the real engine', () => {
  const runId = newTestRunId('docker-executor');
  const executors: DockerExecutor[] = [];
  let dataDir = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-docker-executor-'));
  });

  afterEach(async () => {
    await removeContainersByLabel(docker, TEST_RUN_LABEL, runId);
  });

  afterAll(async () => {
    await removeContainersByLabel(docker, TEST_RUN_LABEL, runId);
    for (const executor of executors) await executor.close({ unmountSecrets: true });
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  function newExecutor(): DockerExecutor {
    const executor = new DockerExecutor({
      dataDir,
      hostname: 'test-host',
      extraLabels: { [TEST_RUN_LABEL]: runId },
    });
    executors.push(executor);
    return executor;
  }

  function context(containerSpec: Partial<ContainerSpec>, more: Partial<TaskContext> = {}): TaskContext {
    const taskSpec: TaskSpec = {
      containerSpec: { image: TEST_IMAGE, pullPolicy: 'never', ...containerSpec },
    };
    const id = newId();
    const task: Task = {
      id,
      meta: {
        version: { index: 1 },
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      },
      name: 'web.2',
      labels: {},
      spec: taskSpec,
      serviceId: 'svc0000000000000000000001',
      slot: 2,
      nodeId: 'node000000000000000000001',
      status: { state: 'assigned', timestamp: new Date().toISOString(), message: '' },
      desiredState: 'running',
    };
    return {
      task,
      service: { id: task.serviceId, name: 'web', labels: { tier: 'front' } },
      node: {
        id: 'node000000000000000000001',
        hostname: 'test-host',
        platform: { os: 'linux', architecture: 'amd64' },
      },
      secrets: new Map(),
      configs: new Map(),
      ...more,
    };
  }

  async function run(runner: TaskRunner): Promise<{ exitCode: number; lines: LogLine[] }> {
    await runner.prepare();
    await runner.start();
    const { exitCode } = await runner.wait();
    const lines: LogLine[] = [];
    for await (const line of runner.logs({ follow: false })) lines.push(line);
    return { exitCode, lines };
  }

  async function rejection(promise: Promise<unknown>): Promise<TaskFailure> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TaskFailure);
    return error as TaskFailure;
  }

  const sh = (script: string): Partial<ContainerSpec> => ({ command: ['/bin/sh', '-c', script] });

  it('describes the node from docker info with Go architecture names', async () => {
    const description = await newExecutor().describe();
    expect(description.hostname).toBe('test-host');
    expect(description.platform.os).toBe('linux');
    expect(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64']).toContain(
      description.platform.architecture,
    );
    expect(description.resources.nanoCpus).toBeGreaterThanOrEqual(1e9);
    expect(description.resources.memoryBytes).toBeGreaterThan(0);
    expect(description.engine.engineVersion).not.toBe('');
    expect(description.engine.plugins).toContainEqual({ type: 'Volume', name: 'local' });
  });

  it('runs a command to its exit code, 0 and 3, leaving the container created, not started, after prepare', async () => {
    const executor = newExecutor();
    const ok = executor.runner(context(sh('exit 0')));
    await ok.prepare();
    expect((await ok.inspect())?.state).toBe('created');
    await ok.start();
    expect(await ok.wait()).toEqual({ exitCode: 0, message: '' });
    expect(await ok.inspect()).toMatchObject({ state: 'exited', exitCode: 0, pid: 0 });

    const three = executor.runner(context(sh('exit 3')));
    await three.prepare();
    await three.start();
    expect((await three.wait()).exitCode).toBe(3);
  });

  it('gives the container its templates expanded, labels, hostname, user and working directory', async () => {
    const executor = newExecutor();
    const ctx = context({
      ...sh('echo "slot=$SLOT name=$NAME host=$(hostname) uid=$(id -u) pwd=$(pwd) tier=$TIER"'),
      env: ['SLOT={{.Task.Slot}}', 'NAME={{.Task.Name}}', 'TIER={{index .Service.Labels "tier"}}'],
      hostname: '{{.Service.Name}}-{{.Task.Slot}}',
      user: 'nobody',
      dir: '/tmp',
      labels: { 'com.example.role': 'api' },
    });
    const runner = executor.runner(ctx);
    const { exitCode, lines } = await run(runner);
    expect(exitCode).toBe(0);
    expect(lines.map((l) => l.line)).toEqual([
      `slot=2 name=web.2.${ctx.task.id} host=web-2 uid=65534 pwd=/tmp tier=front`,
    ]);
    const [container] = await listContainersByLabel(docker, TASK_LABELS.taskId, ctx.task.id);
    expect(container?.Names).toEqual([`/web.2.${ctx.task.id}`]);
    expect(container?.Labels).toMatchObject({
      'com.example.role': 'api',
      [TASK_LABELS.serviceId]: ctx.service.id,
      [TASK_LABELS.serviceName]: 'web',
      [TASK_LABELS.taskId]: ctx.task.id,
      [TASK_LABELS.nodeId]: ctx.node.id,
      [TEST_RUN_LABEL]: runId,
    });
    const info = await docker.getContainer(container?.Id ?? '').inspect();
    expect(info.HostConfig.RestartPolicy?.Name).toBe('no');
  });

  it('shows a secret at /run/secrets/NAME from a file on a tmpfs that remove() deletes', async () => {
    const executor = newExecutor();
    const ctx = context(
      {
        ...sh('cat /run/secrets/db_password; echo; cat /app.conf; echo; stat -c %a /run/secrets/db_password'),
        user: 'nobody',
        secrets: [
          {
            secretId: 'sec1',
            secretName: 'db',
            file: { name: 'db_password', uid: '65534', gid: '65534', mode: 0o400 },
          },
        ],
        configs: [{ configId: 'cfg1', configName: 'app', file: { name: 'app.conf' } }],
      },
      {
        secrets: new Map([['sec1', { name: 'db', data: new TextEncoder().encode('s3cret') }]]),
        configs: new Map([['cfg1', { name: 'app', data: new TextEncoder().encode('mode=prod') }]]),
      },
    );
    const runner = executor.runner(ctx);
    const { exitCode, lines } = await run(runner);
    expect(exitCode).toBe(0);
    expect(lines.map((l) => l.line)).toEqual(['s3cret', 'mode=prod', '400']);

    const secretsDir = join(dataDir, 'secrets');
    expect(await isTmpfsMountPoint(secretsDir)).toBe(true);
    const hostFile = join(secretsDir, ctx.task.id, 'secret-0');
    expect(await readFile(hostFile, 'utf8')).toBe('s3cret');
    expect(((await stat(hostFile)).mode & 0o777).toString(8)).toBe('400');

    await runner.remove();
    await expect(stat(join(secretsDir, ctx.task.id))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await runner.inspect()).toBeNull();
    await runner.remove(); // idempotent
  });

  it('resolves start only once a healthcheck passes', async () => {
    const runner = newExecutor().runner(
      context({
        ...sh('sleep 0.3; touch /tmp/ready; exec sleep 60'),
        healthcheck: { test: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 100 * MS, retries: 3 },
      }),
    );
    await runner.prepare();
    await runner.start();
    expect((await runner.inspect())?.health).toBe('healthy');
    await runner.terminate();
  });

  it('rejects start when the container turns unhealthy before healthy', async () => {
    const runner = newExecutor().runner(
      context({
        ...sh('exec sleep 60'),
        healthcheck: { test: ['CMD', 'false'], interval: 100 * MS, retries: 1 },
      }),
    );
    await runner.prepare();
    const failure = await rejection(runner.start());
    expect(failure.message).toBe('container unhealthy');
    expect(failure.rejected).toBe(false);
  });

  it('rejects start when the container exits before healthy', async () => {
    const runner = newExecutor().runner(
      context({ ...sh('exit 4'), healthcheck: { test: ['CMD', 'true'], interval: 10 * SECOND, retries: 1 } }),
    );
    await runner.prepare();
    const failure = await rejection(runner.start());
    expect(failure.exitCode).toBe(4);
  });

  it('rejects wait when a running container turns unhealthy', async () => {
    const ctx = context({
      ...sh("touch /tmp/ok; trap 'rm -f /tmp/ok' USR1; while :; do sleep 0.05; done"),
      healthcheck: { test: ['CMD-SHELL', 'test -f /tmp/ok'], interval: 100 * MS, retries: 1 },
    });
    const runner = newExecutor().runner(ctx);
    await runner.prepare();
    await runner.start();
    const waiting = runner.wait();
    const status = await runner.inspect();
    await docker.getContainer(status?.containerId ?? '').kill({ signal: 'SIGUSR1' });
    const failure = await rejection(waiting);
    expect(failure.message).toBe('container unhealthy');
    await runner.terminate();
  });

  it('rejects a missing image with pullPolicy never, naming the image', async () => {
    const runner = newExecutor().runner(context({ image: 'flotilla-test/absent:1', pullPolicy: 'never' }));
    const failure = await rejection(runner.prepare());
    expect(failure.rejected).toBe(true);
    expect(failure.message).toContain('flotilla-test/absent:1');
  });

  it('rejects an image that cannot be pulled with pullPolicy missing, with the engine message', async () => {
    // Port 1 on localhost refuses at once: no waiting on a registry that is not there.
    const runner = newExecutor().runner(
      context({ image: 'localhost:1/flotilla-absent:1', pullPolicy: 'missing' }),
    );
    const failure = await rejection(runner.prepare());
    expect(failure.rejected).toBe(true);
    expect(failure.message).toContain('localhost:1/flotilla-absent');
  });

  it('runs the local copy when an always pull fails', async () => {
    // The test image exists only locally, so its pull fails; Docker's `always` falls back.
    const runner = newExecutor().runner(context({ ...sh('exit 0'), pullPolicy: 'always' }));
    expect((await run(runner)).exitCode).toBe(0);
  });

  it('rejects at prepare what the engine refuses about the task (a bind source that does not exist)', async () => {
    const runner = newExecutor().runner(
      context({ mounts: [{ type: 'bind', source: '/nonexistent/flotilla-test', target: '/x' }] }),
    );
    const failure = await rejection(runner.prepare());
    expect(failure.rejected).toBe(true);
    expect(failure.message).toContain('/nonexistent/flotilla-test');
  });

  it('stops with the stop signal on shutdown', async () => {
    const runner = newExecutor().runner(
      context({
        ...sh("trap 'echo got USR1; exit 0' USR1; echo ready; while :; do sleep 0.05; done"),
        stopSignal: 'SIGUSR1',
        stopGracePeriod: 20 * SECOND,
      }),
    );
    await runner.prepare();
    await runner.start();
    const waiting = runner.wait();
    await waitForLine(runner, 'ready');
    const started = Date.now();
    await runner.shutdown();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await waiting).toEqual({ exitCode: 0, message: '' });
    const lines: string[] = [];
    for await (const line of runner.logs({ follow: false })) lines.push(line.line);
    expect(lines).toEqual(['ready', 'got USR1']);
  });

  it('kills after the grace period a container that ignores its stop signal', async () => {
    // PID 1 without a handler ignores SIGTERM, so only the kill after the grace period stops it.
    const runner = newExecutor().runner(
      context({ ...sh('echo ready; while :; do sleep 0.05; done'), stopGracePeriod: 1 * SECOND }),
    );
    await runner.prepare();
    await runner.start();
    await waitForLine(runner, 'ready');
    const started = Date.now();
    await runner.shutdown();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(8_000);
    expect(await runner.inspect()).toMatchObject({ state: 'exited', exitCode: 137 });
  });

  it('terminates at once', async () => {
    const runner = newExecutor().runner(context({ ...sh('exec sleep 60'), stopGracePeriod: 60 * SECOND }));
    await runner.prepare();
    await runner.start();
    const waiting = runner.wait();
    await runner.terminate();
    expect((await waiting).exitCode).toBe(137);
    await runner.terminate(); // not running any more: still fine
  });

  it('returns stdout and stderr lines in order with timestamps, and the last ones with tail', async () => {
    const before = Date.now();
    const runner = newExecutor().runner(
      context(sh('echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2; sleep 0.05; echo err2 >&2')),
    );
    const { lines } = await run(runner);
    const after = Date.now();
    expect(lines.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'out1'],
      ['stderr', 'err1'],
      ['stdout', 'out2'],
      ['stderr', 'err2'],
    ]);
    for (const line of lines) {
      expect(line.timeMs).toBeGreaterThanOrEqual(before - 1_000);
      expect(line.timeMs).toBeLessThanOrEqual(after + 1_000);
    }
    const times = lines.map((l) => l.timeMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const tail: string[] = [];
    for await (const line of runner.logs({ follow: false, tail: 2 })) tail.push(line.line);
    expect(tail).toEqual(['out2', 'err2']);

    const since: string[] = [];
    for await (const line of runner.logs({ follow: false, sinceMs: lines[2]?.timeMs })) since.push(line.line);
    expect(since).toEqual(['out2', 'err2']);
  });

  it('follows logs until the container stops', async () => {
    const runner = newExecutor().runner(context(sh('echo first; sleep 0.5; echo last')));
    await runner.prepare();
    await runner.start();
    const lines: string[] = [];
    for await (const line of runner.logs({ follow: true })) lines.push(line.line);
    expect(lines).toEqual(['first', 'last']);
  });

  it('ends a followed log when its AbortSignal fires', async () => {
    const runner = newExecutor().runner(context(sh('echo first; exec sleep 60')));
    await runner.prepare();
    await runner.start();
    const abort = new AbortController();
    const lines: string[] = [];
    for await (const line of runner.logs({ follow: true, signal: abort.signal })) {
      lines.push(line.line);
      abort.abort();
    }
    expect(lines).toEqual(['first']);
    await runner.terminate();
  });

  it('lets a second executor find the container, adopt it in prepare and remove it by task id', async () => {
    const first = newExecutor();
    const ctx = context(sh('echo hello; exec sleep 60'));
    const runner = first.runner(ctx);
    await runner.prepare();
    await runner.start();
    const created = await runner.inspect();

    const second = newExecutor();
    const found = await second.list(ctx.node.id);
    expect(found).toContainEqual({
      taskId: ctx.task.id,
      serviceId: ctx.service.id,
      status: expect.objectContaining({ state: 'running', containerId: created?.containerId }) as unknown,
    });
    const adopted = second.runner(ctx);
    await adopted.prepare();
    await adopted.start(); // already running: a no-op
    expect(await adopted.inspect()).toMatchObject({ containerId: created?.containerId, state: 'running' });
    expect(await listContainersByLabel(docker, TASK_LABELS.taskId, ctx.task.id)).toHaveLength(1);

    const waiting = adopted.wait();
    await second.removeTask(ctx.task.id);
    // A forced removal kills the container first: the waiter sees it die.
    expect((await waiting).exitCode).toBe(137);
    expect(await listContainersByLabel(docker, TASK_LABELS.taskId, ctx.task.id)).toHaveLength(0);
    expect((await second.list(ctx.node.id)).map((task) => task.taskId)).not.toContain(ctx.task.id);
    await second.removeTask(ctx.task.id); // idempotent
  });

  it("lists only the given node's containers: an engine shared by nodes holds others' too", async () => {
    const executor = newExecutor();
    const mine = context(sh('exec sleep 60'));
    const theirs = context(sh('exec sleep 60'), { node: { ...mine.node, id: 'othernode0000000000000000' } });
    for (const ctx of [mine, theirs]) {
      const runner = executor.runner(ctx);
      await runner.prepare();
      await runner.start();
    }
    const listed = (await executor.list(mine.node.id)).map((task) => task.taskId);
    expect(listed).toContain(mine.task.id);
    expect(listed).not.toContain(theirs.task.id);
    expect((await executor.list(theirs.node.id)).map((task) => task.taskId)).toEqual([theirs.task.id]);
    for (const ctx of [mine, theirs]) await executor.removeTask(ctx.task.id);
  });

  it('gives the routing mesh a running task’s address on the engine’s network, where its port answers', async () => {
    const executor = newExecutor();
    const ctx = context(sh('echo "hello from the task" > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'));
    const runner = executor.runner(ctx);
    expect(await executor.taskAddress(ctx.task.id, 8080)).toBeNull(); // no container yet
    await runner.prepare();
    await runner.start();
    const address = await executor.taskAddress(ctx.task.id, 8080);
    expect(address).toMatchObject({ port: 8080 });
    let body = '';
    await waitUntil('the task’s httpd to answer at its address', async () => {
      body = await fetch(`http://${address!.host}:${address!.port}/index.html`)
        .then((r) => r.text())
        .catch(() => '');
      return body !== '';
    });
    expect(body).toBe('hello from the task\n');
    expect(await executor.taskAddress('no-such-task', 8080)).toBeNull();
  });

  it('runs 10 tasks at once through one events stream', async () => {
    const executor = newExecutor();
    const runners = Array.from({ length: 10 }, (_, i) => executor.runner(context(sh(`exit ${i}`))));
    const results = await Promise.all(
      runners.map(async (runner) => {
        await runner.prepare();
        await runner.start();
        return (await runner.wait()).exitCode;
      }),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  async function waitForLine(runner: TaskRunner, text: string): Promise<void> {
    await waitUntil(`log line ${JSON.stringify(text)}`, async () => {
      for await (const line of runner.logs({ follow: false })) if (line.line === text) return true;
      return false;
    });
  }
});
