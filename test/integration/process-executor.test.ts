// The process executor with real processes: exits, logs, graceful and forced shutdown, adoption
// by a new executor instance (as after a worker restart), healthchecks, secrets, users.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerSpec, Task, TaskStatus } from '../../src/api/index.js';
import { MILLISECOND, SECOND } from '../../src/api/index.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { TaskFailure, type LogLine, type TaskContext } from '../../src/worker/executor.js';
import { ProcessExecutor } from '../../src/worker/process/index.js';
import { isSameProcessAlive, signalGroup } from '../../src/worker/process/proc.js';
import { installWrapper, wrapperCommand } from '../../src/worker/process/wrapper.js';
import { TaskController } from '../../src/worker/task-controller.js';
import { waitUntil } from '../support/wait.js';

let dataDir: string;
const executors: ProcessExecutor[] = [];
const isRoot = process.getuid?.() === 0;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flotilla-process-'));
});

afterEach(async () => {
  await Promise.all(executors.splice(0).map((e) => e.close()));
  // Kill every process group these tests started, by the pids their wrappers recorded.
  const tasks = await readdir(join(dataDir, 'tasks')).catch(() => []);
  for (const id of tasks) {
    const record = await readFile(join(dataDir, 'tasks', id, 'state.json'), 'utf8')
      .then((t) => JSON.parse(t) as { pid?: number; startTime?: number })
      .catch(() => null);
    if (record?.pid && (await isSameProcessAlive(record.pid, record.startTime)))
      signalGroup(record.pid, 'SIGKILL');
  }
  await rm(dataDir, { recursive: true, force: true });
});

function executor(): ProcessExecutor {
  const e = new ProcessExecutor({
    dataDir,
    clock: systemClock,
    logger: silentLogger,
    hostname: 'test-host',
    engineLabels: { zone: 'a' },
    pollIntervalMs: 20,
  });
  executors.push(e);
  return e;
}

let counter = 0;
function context(spec: Partial<ContainerSpec>, extra: Partial<TaskContext> = {}): TaskContext {
  counter += 1;
  const at = new Date().toISOString();
  const task: Task = {
    id: `task${counter}x${process.pid}`,
    meta: { version: { index: 1 }, createdAt: at, updatedAt: at },
    labels: {},
    spec: { containerSpec: { image: 'ignored', ...spec } },
    serviceId: 'svc1',
    slot: 1,
    status: { state: 'assigned', timestamp: at, message: 'assigned' },
    desiredState: 'running',
  };
  return {
    task,
    service: { id: 'svc1', name: 'web', labels: {} },
    node: { id: 'node1', hostname: 'test-host', platform: { os: 'linux', architecture: 'amd64' } },
    secrets: new Map(),
    configs: new Map(),
    ...extra,
  };
}

const sh = (script: string): Partial<ContainerSpec> => ({ command: ['/bin/sh', '-c', script] });

async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('ProcessExecutor', () => {
  it('runs /bin/sh -c "echo hi; exit 3" and a controller reports it FAILED with non-zero exit (3)', async () => {
    const e = executor();
    const ctx = context(sh('echo hi; exit 3'));
    const reports: TaskStatus[] = [];
    const controller = new TaskController({
      task: ctx.task,
      runner: e.runner(ctx),
      report: (s) => reports.push(s),
      clock: systemClock,
      logger: silentLogger,
    });
    controller.start();
    try {
      await waitUntil('the task to fail', () => reports.some((r) => r.state === 'failed'));
    } finally {
      await controller.stop();
    }
    expect(reports.map((r) => r.state)).toEqual([
      'accepted',
      'preparing',
      'ready',
      'starting',
      'running',
      'failed',
    ]);
    expect(reports.at(-1)).toMatchObject({
      err: 'task: non-zero exit (3)',
      containerStatus: { exitCode: 3 },
    });
    const lines = await collect(e.runner(ctx).logs({ follow: false }));
    expect(lines.map((l) => [l.stream, l.line])).toEqual([['stdout', 'hi']]);
  });

  it('refuses a task without a command (the image is not used) as rejected', async () => {
    const runner = executor().runner(context({}));
    const error = await runner.prepare().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailure);
    expect(error).toMatchObject({ rejected: true });
    expect((error as TaskFailure).message).toContain('no command');
  });

  it('fails the start of a command that does not exist, with Docker-like words', async () => {
    const runner = executor().runner(context({ command: ['no-such-command-here'] }));
    await runner.prepare();
    const error: unknown = await runner.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailure);
    expect((error as TaskFailure).message).toBe(
      'exec: "no-such-command-here": executable file not found in $PATH',
    );
    expect((error as TaskFailure).rejected).toBe(false);
    expect(await runner.inspect()).toMatchObject({ state: 'exited', exitCode: 127 });
  });

  it('gives the task a minimal environment with its own variables over it, not the worker’s', async () => {
    const e = executor();
    const ctx = context({ ...sh('echo "$PATH|$FOO|${VITEST:-unset}|$HOSTNAME"; pwd'), env: ['FOO=bar'] });
    const runner = e.runner(ctx);
    await runner.prepare();
    await runner.start();
    expect(await runner.wait()).toEqual({ exitCode: 0, message: '' });
    const lines = (await collect(runner.logs({ follow: false }))).map((l) => l.line);
    expect(lines[0]).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|bar|unset|test-host');
    expect(lines[1]).toBe(join(dataDir, 'tasks', ctx.task.id, 'work'));
  });

  it('expands Swarm’s templates in env values and the hostname, and rejects a task whose template does not expand', async () => {
    const e = executor();
    const ctx = context({
      ...sh('echo "$SLOT|$WHO|$HOSTNAME"'),
      env: ['SLOT={{.Task.Slot}}', 'WHO={{.Service.Name}}@{{.Node.Hostname}}'],
      hostname: '{{.Service.Name}}-{{.Task.Slot}}',
    });
    const runner = e.runner(ctx);
    await runner.prepare();
    await runner.start();
    expect(await runner.wait()).toEqual({ exitCode: 0, message: '' });
    const lines = (await collect(runner.logs({ follow: false }))).map((l) => l.line);
    expect(lines).toEqual(['1|web@test-host|web-1']);

    const bad = e.runner(context({ ...sh('true'), env: ['X={{.Nope}}'] }));
    const failure = await bad.prepare().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TaskFailure);
    expect((failure as TaskFailure).rejected).toBe(true);
  });

  it('records each output line with its time, and serves tail, since and follow', async () => {
    const runner = executor().runner(
      context(sh('echo out1; echo err1 >&2; echo out2; sleep 0.3; echo late')),
    );
    const before = Date.now();
    await runner.prepare();
    await runner.start();
    const followed = collect(runner.logs({ follow: true }));
    await runner.wait();
    const after = Date.now();

    const all = await collect(runner.logs({ follow: false }));
    // Each stream keeps its order; across streams lines are ordered by time (ties: stdout first).
    expect(all.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['out1', 'out2', 'late']);
    expect(all.map((l) => l.timeMs)).toEqual([...all.map((l) => l.timeMs)].sort((a, b) => a - b));
    expect(all.map((l) => l.line).sort()).toEqual(['err1', 'late', 'out1', 'out2']);
    expect(all.find((l) => l.line === 'err1')?.stream).toBe('stderr');
    for (const l of all) {
      expect(l.timeMs).toBeGreaterThanOrEqual(before - 5);
      expect(l.timeMs).toBeLessThanOrEqual(after + 5);
    }
    const late = all.find((l) => l.line === 'late');
    expect(late && late.timeMs - (all[0]?.timeMs ?? 0)).toBeGreaterThanOrEqual(250);

    expect((await collect(runner.logs({ follow: false, tail: 1 }))).map((l) => l.line)).toEqual(['late']);
    expect(
      (await collect(runner.logs({ follow: false, sinceMs: late?.timeMs ?? 0 }))).map((l) => l.line),
    ).toEqual(['late']);
    // The follow started while the task ran ends by itself once it has ended, with every line.
    expect((await followed).map((l) => l.line).sort()).toEqual(['err1', 'late', 'out1', 'out2']);
  });

  it('ends a follow when its signal aborts', async () => {
    const runner = executor().runner(context(sh('echo first; sleep 30')));
    await runner.prepare();
    await runner.start();
    const abort = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const l of runner.logs({ follow: true, signal: abort.signal })) {
        seen.push(l.line);
        abort.abort();
      }
    })();
    await done;
    expect(seen).toEqual(['first']);
    await runner.terminate();
  });

  it('shuts a task down with its stop signal, which it traps, within the grace period', async () => {
    const runner = executor().runner(
      context({
        ...sh('trap "echo got-term; exit 0" TERM; echo ready; while true; do sleep 0.05; done'),
        stopGracePeriod: 5 * SECOND,
      }),
    );
    await runner.prepare();
    await runner.start();
    await waitUntil('the task to be ready', async () =>
      (await collect(runner.logs({ follow: false }))).some((l) => l.line === 'ready'),
    );
    const started = Date.now();
    await runner.shutdown();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await runner.inspect()).toMatchObject({ state: 'exited', exitCode: 0 });
    expect((await collect(runner.logs({ follow: false }))).map((l) => l.line)).toContain('got-term');
  });

  it('kills a task that ignores its stop signal once the grace period ends', async () => {
    const runner = executor().runner(
      context({
        ...sh("trap '' TERM; echo ready; while true; do sleep 0.05; done"),
        stopGracePeriod: 400 * MILLISECOND,
      }),
    );
    await runner.prepare();
    await runner.start();
    const pid = (await runner.inspect())?.pid ?? 0;
    await waitUntil('the task to be ready', async () =>
      (await collect(runner.logs({ follow: false }))).some((l) => l.line === 'ready'),
    );
    const started = Date.now();
    await runner.shutdown();
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(await runner.inspect()).toMatchObject({ state: 'exited', exitCode: 137 });
    expect(await isSameProcessAlive(pid, undefined)).toBe(false);
  });

  it('is adopted by a new executor on the same data directory, which learns how it ends', async () => {
    const first = executor();
    const go = join(dataDir, 'go');
    const ctx = context(sh(`while [ ! -f ${go} ]; do sleep 0.02; done; exit 4`));
    const runner = first.runner(ctx);
    await runner.prepare();
    await runner.start();
    const pid = (await runner.inspect())?.pid;
    await first.close(); // the worker goes away; the process does not

    const second = executor();
    const found = await second.list('node1');
    expect(found.map((f) => [f.taskId, f.serviceId, f.status.state, f.status.pid])).toEqual([
      [ctx.task.id, 'svc1', 'running', pid],
    ]);
    const adopted = second.runner(ctx);
    const waited = adopted.wait();
    await writeFile(go, '');
    expect(await waited).toEqual({ exitCode: 4, message: '' });
  });

  it('keeps a task running when the worker that started it is killed with SIGKILL, for a new worker to adopt', async () => {
    const go = join(dataDir, 'go');
    const ctx = context(sh(`echo up; while [ ! -f ${go} ]; do sleep 0.02; done; echo bye; exit 6`));
    await executor().runner(ctx).prepare();
    const command = wrapperCommand({
      nodePath: process.execPath,
      wrapperPath: await installWrapper(dataDir),
      taskDir: join(dataDir, 'tasks', ctx.task.id),
    });
    // A stand-in worker: starts the wrapper as the executor does, passes its line on, then idles.
    const script = [
      "const { spawn } = require('node:child_process');",
      'const c = JSON.parse(process.argv[1]);',
      "const w = spawn(c.file, c.args, { ...c.options, stdio: ['ignore', 'pipe', 'ignore'] });",
      'w.stdout.pipe(process.stdout);',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    // In its own process group, killed whole below: as a terminal or service manager kills a worker.
    const worker = spawn(process.execPath, ['-e', script, JSON.stringify(command)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    try {
      let output = '';
      worker.stdout.on('data', (d: Buffer) => (output += d.toString()));
      await waitUntil('the stand-in worker to report the task started', () => output.includes('\n'));
      const { pid } = JSON.parse(output.trim()) as { pid: number };
      const exited = once(worker, 'exit');
      signalGroup(worker.pid ?? 0, 'SIGKILL');
      await exited;
      expect(await isSameProcessAlive(pid, undefined)).toBe(true);

      const adopted = executor().runner(ctx);
      expect(await adopted.inspect()).toMatchObject({ state: 'running', pid });
      const waited = adopted.wait();
      await writeFile(go, '');
      expect(await waited).toEqual({ exitCode: 6, message: '' });
      // Output written after the worker died is still logged.
      expect((await collect(adopted.logs({ follow: false }))).map((l) => l.line)).toEqual(['up', 'bye']);
    } finally {
      worker.kill('SIGKILL');
    }
  });

  it('learns the exit code of a process that ended while no executor watched it', async () => {
    const first = executor();
    const ctx = context(sh('sleep 0.2; exit 5'));
    const runner = first.runner(ctx);
    await runner.prepare();
    await runner.start();
    await first.close();
    const record = JSON.parse(await readFile(join(dataDir, 'tasks', ctx.task.id, 'state.json'), 'utf8')) as {
      pid: number;
    };
    await waitUntil(
      'the task and its wrapper to end',
      async () => !(await isSameProcessAlive(record.pid, undefined)),
    );

    const second = executor();
    expect((await second.list('node1'))[0]?.status).toMatchObject({ state: 'exited', exitCode: 5 });
    const reports: TaskStatus[] = [];
    const controller = new TaskController({
      task: {
        ...ctx.task,
        status: { state: 'running', timestamp: new Date().toISOString(), message: 'started' },
      },
      runner: second.runner(ctx),
      report: (s) => reports.push(s),
      clock: systemClock,
      logger: silentLogger,
    });
    controller.start();
    try {
      await waitUntil('the adopted task to fail', () => reports.length > 0);
    } finally {
      await controller.stop();
    }
    expect(reports).toEqual([expect.objectContaining({ state: 'failed', err: 'task: non-zero exit (5)' })]);
  });

  it('starts a task with a healthcheck once healthy, and fails its wait when it turns unhealthy', async () => {
    const healthyFile = 'healthy';
    const runner = executor().runner(
      context({
        ...sh(`sleep 0.3; touch ${healthyFile}; while true; do sleep 0.05; done`),
        healthcheck: {
          test: ['CMD-SHELL', `test -f ${healthyFile}`],
          interval: 100 * MILLISECOND,
          timeout: 1 * SECOND,
          retries: 2,
          // Failures before the file exists fall in the start period and do not count.
          startPeriod: 5 * SECOND,
          startInterval: 50 * MILLISECOND,
        },
      }),
    );
    await runner.prepare();
    const started = Date.now();
    await runner.start();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await runner.inspect()).toMatchObject({ state: 'running', health: 'healthy' });

    const waited = runner.wait();
    const workDir = join(dataDir, 'tasks', (await executor().list('node1'))[0]?.taskId ?? '', 'work');
    await rm(join(workDir, healthyFile));
    await expect(waited).rejects.toMatchObject({ message: 'unhealthy container', rejected: false });
    // The process is left for the controller to shut down.
    expect((await runner.inspect())?.state).toBe('running');
    await runner.shutdown();
    expect((await runner.inspect())?.state).toBe('exited');
  });

  it('fails a start whose healthcheck never passes', async () => {
    const runner = executor().runner(
      context({
        ...sh('while true; do sleep 0.05; done'),
        healthcheck: { test: ['CMD', 'false'], interval: 50 * MILLISECOND, retries: 2 },
      }),
    );
    await runner.prepare();
    await expect(runner.start()).rejects.toMatchObject({ message: 'unhealthy container' });
    await runner.terminate();
  });

  it('writes secrets and configs with their modes where FLOTILLA_SECRETS_DIR points', async () => {
    const ctx = context(
      {
        ...sh('cat "$FLOTILLA_SECRETS_DIR/db"; echo; cat "$FLOTILLA_CONFIGS_DIR/etc/app.conf"'),
        secrets: [{ secretId: 's1', secretName: 'db', file: { name: 'db', mode: 0o400 } }],
        configs: [{ configId: 'c1', configName: 'app', file: { name: '/etc/app.conf', mode: 0o444 } }],
      },
      {
        secrets: new Map([['s1', { name: 'db', data: new TextEncoder().encode('hunter2') }]]),
        configs: new Map([['c1', { name: 'app', data: new TextEncoder().encode('debug=1') }]]),
      },
    );
    const runner = executor().runner(ctx);
    await runner.prepare();
    const secretFile = join(dataDir, 'tasks', ctx.task.id, 'secrets', 'db');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o400);
    await runner.start();
    await runner.wait();
    expect((await collect(runner.logs({ follow: false }))).map((l) => l.line)).toEqual([
      'hunter2',
      'debug=1',
    ]);
    await runner.remove();
    expect(existsSync(join(dataDir, 'tasks', ctx.task.id))).toBe(false);
  });

  it('refuses a secret target that leaves the secrets directory', async () => {
    const ctx = context(
      { ...sh('true'), secrets: [{ secretId: 's1', secretName: 'db', file: { name: '../../escape' } }] },
      { secrets: new Map([['s1', { name: 'db', data: new Uint8Array() }]]) },
    );
    await expect(executor().runner(ctx).prepare()).rejects.toMatchObject({ rejected: true });
  });

  it.runIf(isRoot)('runs a task as the user its spec names', async () => {
    const runner = executor().runner(context({ ...sh('id -u; id -g'), user: 'nobody' }));
    await runner.prepare();
    await runner.start();
    await runner.wait();
    const lines = (await collect(runner.logs({ follow: false }))).map((l) => l.line);
    expect(lines[0]).toBe('65534');
  });

  it('rejects a user that does not exist', async () => {
    const runner = executor().runner(context({ ...sh('true'), user: 'no-such-user-x' }));
    const error = await runner.prepare().catch((e: unknown) => e);
    expect(error).toMatchObject({ rejected: true });
    expect((error as TaskFailure).message).toContain('no-such-user-x');
  });

  it('removes an orphan known only by its task id, stopping its process', async () => {
    const first = executor();
    const ctx = context(sh('while true; do sleep 0.05; done'));
    const runner = first.runner(ctx);
    await runner.prepare();
    await runner.start();
    const pid = (await runner.inspect())?.pid ?? 0;
    await executor().removeTask(ctx.task.id);
    expect(await isSameProcessAlive(pid, undefined)).toBe(false);
    expect(await executor().list('node1')).toEqual([]);
  });

  it('describes the node with Go platform names and the process engine', async () => {
    const d = await executor().describe();
    expect(d.hostname).toBe('test-host');
    expect(d.platform.os).toBe(process.platform);
    expect(['amd64', 'arm64', '386', 'arm']).toContain(d.platform.architecture);
    expect(d.engine).toEqual({ engineVersion: 'process', labels: { zone: 'a' }, plugins: [] });
    expect(d.resources.nanoCpus).toBeGreaterThan(0);
  });
});
