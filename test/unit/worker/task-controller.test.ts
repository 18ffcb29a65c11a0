import { afterEach, describe, expect, it } from 'vitest';
import type { Task, TaskState, TaskStatus } from '../../../src/api/index.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { nextStep, TaskController, type StepInput } from '../../../src/worker/task-controller.js';
import { FakeExecutor, type TaskScript } from '../../support/fake-executor.js';
import { waitUntil } from '../../support/wait.js';
import { makeTask, node, service, START, statesOf, type TaskInput } from './helpers.js';

const controllers: TaskController[] = [];

afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
});

interface Harness {
  clock: ManualClock;
  executor: FakeExecutor;
  reports: TaskStatus[];
  controller: TaskController;
  task: Task;
  states(): TaskState[];
  until(state: TaskState): Promise<void>;
}

function harness(
  input: TaskInput & {
    script?: TaskScript;
    rejection?: string;
    seed?: Parameters<FakeExecutor['seed']>[1];
    absentFromNode?: boolean;
  } = {},
): Harness {
  const clock = new ManualClock(START);
  const executor = new FakeExecutor(clock);
  const task = makeTask(input);
  if (input.script) executor.script(task.id, input.script);
  if (input.seed) executor.seed(task.id, input.seed);
  const reports: TaskStatus[] = [];
  const controller = new TaskController({
    task,
    runner: executor.runner({ task, service, node, secrets: new Map(), configs: new Map() }),
    report: (s) => reports.push(s),
    clock,
    logger: silentLogger,
    ...(input.rejection === undefined ? {} : { rejection: input.rejection }),
    ...(input.absentFromNode === undefined ? {} : { absentFromNode: input.absentFromNode }),
  });
  controllers.push(controller);
  return {
    clock,
    executor,
    reports,
    controller,
    task,
    states: () => statesOf(reports),
    until: (state) =>
      waitUntil(`the task to report ${state}`, () => statesOf(reports).includes(state), 5_000),
  };
}

/** Lets pending promise callbacks run, for asserting that nothing more happens. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('nextStep', () => {
  const base: StepInput = {
    state: 'assigned',
    desired: 'running',
    mayRun: false,
    removed: false,
    rejection: undefined,
  };

  it('walks a task to running one state at a time', () => {
    expect(nextStep(base)).toEqual({ kind: 'report', state: 'accepted', message: 'accepted' });
    expect(nextStep({ ...base, state: 'accepted' })).toEqual({
      kind: 'report',
      state: 'preparing',
      message: 'preparing',
    });
    expect(nextStep({ ...base, state: 'preparing' })).toEqual({ kind: 'prepare' });
    expect(nextStep({ ...base, state: 'ready' })).toEqual({
      kind: 'report',
      state: 'starting',
      message: 'starting',
    });
    expect(nextStep({ ...base, state: 'starting' })).toEqual({ kind: 'start' });
    expect(nextStep({ ...base, state: 'running', mayRun: true })).toEqual({ kind: 'wait' });
  });

  it('holds a prepared task while its desired state is ready', () => {
    expect(nextStep({ ...base, state: 'ready', desired: 'ready' })).toEqual({ kind: 'hold' });
  });

  it('runs a job task whose desired state is complete', () => {
    expect(nextStep({ ...base, state: 'ready', desired: 'complete' }).kind).toBe('report');
  });

  it('shuts a task down once its desired state is past running, and removes it when desired remove', () => {
    expect(nextStep({ ...base, state: 'preparing', desired: 'shutdown' })).toEqual({
      kind: 'shutdown',
      report: true,
    });
    expect(nextStep({ ...base, state: 'shutdown', desired: 'remove' })).toEqual({ kind: 'remove' });
    expect(nextStep({ ...base, state: 'shutdown', desired: 'remove', removed: true })).toEqual({
      kind: 'hold',
    });
    expect(nextStep({ ...base, state: 'shutdown', desired: 'shutdown' })).toEqual({ kind: 'hold' });
  });

  it('stops the container of a terminal task silently and keeps an exited one', () => {
    expect(nextStep({ ...base, state: 'failed', mayRun: true })).toEqual({ kind: 'shutdown', report: false });
    expect(nextStep({ ...base, state: 'complete' })).toEqual({ kind: 'hold' });
  });

  it('rejects a task with a known rejection before preparing it, not once it runs', () => {
    expect(nextStep({ ...base, rejection: 'x' })).toEqual({ kind: 'reject' });
    expect(nextStep({ ...base, state: 'running', mayRun: true, rejection: 'x' })).toEqual({ kind: 'wait' });
  });
});

describe('TaskController', () => {
  it('drives a task from accepted to complete with Docker messages, clock timestamps and its container status', async () => {
    const h = harness({ script: { exit: { code: 0, afterMs: 5_000 } } });
    h.controller.start();
    await h.until('running');
    expect(h.reports.map((r) => [r.state, r.message])).toEqual([
      ['accepted', 'accepted'],
      ['preparing', 'preparing'],
      ['ready', 'prepared'],
      ['starting', 'starting'],
      ['running', 'started'],
    ]);
    expect(h.reports.every((r) => r.timestamp === new Date(START).toISOString())).toBe(true);
    expect(h.reports.at(-1)?.containerStatus).toEqual({
      containerId: 'container-task1',
      pid: 1000,
      exitCode: 0,
    });
    h.clock.advance(5_000);
    await h.until('complete');
    const last = h.reports.at(-1);
    expect(last).toMatchObject({
      state: 'complete',
      message: 'finished',
      timestamp: new Date(START + 5_000).toISOString(),
    });
    expect(last?.err).toBeUndefined();
    expect(h.executor.opsOf('task1')).toEqual(['prepare', 'start', 'wait']);
  });

  it('reports a non-zero exit as FAILED with the exit code, keeping the container for history', async () => {
    const h = harness({ script: { exit: { code: 3, afterMs: 100 } } });
    h.controller.start();
    await h.until('running');
    h.clock.advance(100);
    await h.until('failed');
    expect(h.reports.at(-1)).toMatchObject({
      state: 'failed',
      message: 'started',
      err: 'task: non-zero exit (3)',
      containerStatus: { containerId: 'container-task1', pid: 0, exitCode: 3 },
    });
    await settle();
    expect(h.executor.opsOf('task1')).toEqual(['prepare', 'start', 'wait']);
    expect(h.executor.tasks.get('task1')?.state).toBe('exited');
  });

  it('reports REJECTED with the engine message when prepare rejects the task, and never starts it', async () => {
    const h = harness({ script: { prepare: { rejected: 'No such image: nope:latest' } } });
    h.controller.start();
    await h.until('rejected');
    expect(h.reports.at(-1)).toMatchObject({
      state: 'rejected',
      err: 'No such image: nope:latest',
      message: 'preparing',
    });
    await settle();
    expect(h.states()).toEqual(['accepted', 'preparing', 'rejected']);
    expect(h.executor.opsOf('task1')).toEqual(['prepare']);
  });

  it('reports FAILED when prepare fails without rejecting the task', async () => {
    const h = harness({ script: { prepare: { failed: 'pull timed out' } } });
    h.controller.start();
    await h.until('failed');
    expect(h.reports.at(-1)?.err).toBe('pull timed out');
  });

  it('reports FAILED with the error message when the engine fails at start', async () => {
    const h = harness({ script: { start: { engineError: 'connect ENOENT /var/run/docker.sock' } } });
    h.controller.start();
    await h.until('failed');
    expect(h.reports.at(-1)).toMatchObject({
      err: 'connect ENOENT /var/run/docker.sock',
      message: 'starting',
    });
    expect(h.states()).not.toContain('running');
  });

  it('reports REJECTED when start rejects the task', async () => {
    const h = harness({ script: { start: { rejected: 'invalid mount config' } } });
    h.controller.start();
    await h.until('rejected');
    expect(h.reports.at(-1)?.err).toBe('invalid mount config');
  });

  it('fails an unhealthy task and then shuts its container down', async () => {
    const h = harness({ script: { unhealthyAfterMs: 30_000 } });
    h.controller.start();
    await h.until('running');
    await waitUntil('wait to be called', () => h.executor.opsOf('task1').includes('wait'));
    h.clock.advance(30_000);
    await h.until('failed');
    expect(h.reports.at(-1)).toMatchObject({ state: 'failed', err: 'unhealthy container' });
    await waitUntil('the unhealthy container to be shut down', () =>
      h.executor.opsOf('task1').includes('shutdown'),
    );
    await settle();
    expect(h.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running', 'failed']);
    expect(h.executor.tasks.get('task1')?.state).toBe('exited');
  });

  it('shuts a running task down when its desired state becomes SHUTDOWN and reports nothing after SHUTDOWN', async () => {
    const h = harness();
    h.controller.start();
    await h.until('running');
    await waitUntil('wait to be called', () => h.executor.opsOf('task1').includes('wait'));
    h.controller.update({ ...h.task, desiredState: 'shutdown' });
    await h.until('shutdown');
    expect(h.reports.at(-1)).toMatchObject({
      state: 'shutdown',
      message: 'shutdown',
      containerStatus: { exitCode: 143 },
    });
    await settle();
    expect(h.states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running', 'shutdown']);
    expect(h.executor.opsOf('task1')).toEqual(['prepare', 'start', 'wait', 'shutdown']);
  });

  it('does not start a task whose shutdown arrives while it is being prepared', async () => {
    const h = harness();
    const release = h.executor.hold('task1', 'prepare');
    h.controller.start();
    await waitUntil('prepare to be called', () => h.executor.opsOf('task1').includes('prepare'));
    h.controller.update({ ...h.task, desiredState: 'shutdown' });
    await settle();
    expect(h.states()).toEqual(['accepted', 'preparing']);
    release();
    await h.until('shutdown');
    await settle();
    expect(h.states()).toEqual(['accepted', 'preparing', 'ready', 'shutdown']);
    expect(h.executor.opsOf('task1')).toEqual(['prepare']);
  });

  it('stops a start that is still in progress when the task is shut down', async () => {
    const h = harness();
    const release = h.executor.hold('task1', 'start');
    h.controller.start();
    await waitUntil('start to be called', () => h.executor.opsOf('task1').includes('start'));
    h.controller.update({ ...h.task, desiredState: 'shutdown' });
    await waitUntil('shutdown to be called', () => h.executor.opsOf('task1').includes('shutdown'));
    release();
    await h.until('shutdown');
    expect(h.states()).not.toContain('running');
  });

  it('shuts down, reports SHUTDOWN and then removes the container when the desired state is REMOVE', async () => {
    const h = harness();
    h.controller.start();
    await h.until('running');
    h.controller.update({ ...h.task, desiredState: 'remove' });
    await waitUntil('remove to be called', () => h.executor.opsOf('task1').includes('remove'));
    expect(h.states().at(-1)).toBe('shutdown');
    expect(h.executor.opsOf('task1').slice(-2)).toEqual(['shutdown', 'remove']);
    expect(h.executor.tasks.has('task1')).toBe(false);
  });

  it('asks the engine nothing before preparing a task the node is known not to have', async () => {
    const h = harness({ absentFromNode: true });
    h.controller.start();
    await h.until('running');
    expect(h.executor.calls.filter((c) => c.taskId === 'task1')[0]!.op).toBe('prepare');
    const looked = harness({ id: 'task2' });
    looked.controller.start();
    await looked.until('running');
    expect(looked.executor.calls.filter((c) => c.taskId === 'task2')[0]!.op).toBe('inspect');
  });

  it('takes the container a prepare reports instead of inspecting for it', async () => {
    const h = harness({ absentFromNode: true });
    const runner = h.executor.runner({ task: h.task, service, node, secrets: new Map(), configs: new Map() });
    const reports: TaskStatus[] = [];
    const controller = new TaskController({
      task: h.task,
      runner: {
        ...runner,
        prepare: async () => {
          await runner.prepare();
          return { state: 'created', containerId: 'c-from-prepare', pid: 0, exitCode: 0, health: 'none' };
        },
      },
      report: (st) => reports.push(st),
      clock: h.clock,
      logger: silentLogger,
      absentFromNode: true,
    });
    controllers.push(controller);
    controller.start();
    await waitUntil('READY', () => reports.some((r) => r.state === 'ready'));
    const ready = reports.find((r) => r.state === 'ready')!;
    expect(ready.containerStatus?.containerId).toBe('c-from-prepare');
    const ops = h.executor.calls.filter((c) => c.taskId === 'task1').map((c) => c.op);
    expect(ops.slice(0, ops.indexOf('start'))).toEqual(['prepare']);
  });

  it('removes a task desired REMOVE with no engine call beyond stop and remove, even once it leaves the assignments', async () => {
    const h = harness();
    h.controller.start();
    await h.until('running');
    await waitUntil('wait to be called', () => h.executor.opsOf('task1').includes('wait'));
    const before = h.executor.calls.length;
    h.controller.update({ ...h.task, desiredState: 'remove' });
    await waitUntil('remove to be called', () => h.executor.opsOf('task1').includes('remove'));
    await h.controller.remove();
    // No inspect for a final container status that nobody reads (the task is deleted next).
    expect(h.executor.calls.slice(before).map((c) => c.op)).toEqual(['shutdown', 'remove']);
  });

  it('removes a terminal task without another report when its desired state becomes REMOVE', async () => {
    const h = harness({ script: { exit: { code: 0, afterMs: 10 } } });
    h.controller.start();
    await h.until('running');
    h.clock.advance(10);
    await h.until('complete');
    h.controller.update({ ...h.task, desiredState: 'remove' });
    await waitUntil('remove to be called', () => h.executor.opsOf('task1').includes('remove'));
    expect(h.states().at(-1)).toBe('complete');
    expect(h.executor.opsOf('task1')).not.toContain('shutdown');
  });

  it('on remove() shuts the task down and removes it without reporting anything more', async () => {
    const h = harness();
    h.controller.start();
    await h.until('running');
    const before = h.reports.length;
    await h.controller.remove();
    expect(h.reports.length).toBe(before);
    expect(h.executor.opsOf('task1').slice(-2)).toEqual(['shutdown', 'remove']);
    expect(h.executor.tasks.has('task1')).toBe(false);
  });

  it('on stop() stops driving and leaves a running container as it is', async () => {
    const h = harness();
    h.controller.start();
    await h.until('running');
    await waitUntil('wait to be called', () => h.executor.opsOf('task1').includes('wait'));
    await h.controller.stop();
    expect(h.executor.tasks.get('task1')?.state).toBe('running');
    expect(h.executor.opsOf('task1')).toEqual(['prepare', 'start', 'wait']);
    h.controller.update({ ...h.task, desiredState: 'shutdown' });
    await settle();
    expect(h.states().at(-1)).toBe('running');
  });

  it('holds a task at READY while its desired state is READY and starts it once RUNNING is desired', async () => {
    const h = harness({ desiredState: 'ready' });
    h.controller.start();
    await h.until('ready');
    await settle();
    expect(h.states().at(-1)).toBe('ready');
    h.controller.update({ ...h.task, desiredState: 'running' });
    await h.until('running');
  });

  it('ignores a desired state that moves backwards', async () => {
    const h = harness();
    h.controller.start();
    await h.until('running');
    h.controller.update({ ...h.task, desiredState: 'shutdown' });
    h.controller.update({ ...h.task, desiredState: 'running' });
    await h.until('shutdown');
    await settle();
    expect(h.states().filter((s) => s === 'running')).toHaveLength(1);
    expect(h.executor.opsOf('task1').filter((o) => o === 'start')).toHaveLength(1);
  });

  it('rejects a task with a known rejection without preparing it', async () => {
    const h = harness({ rejection: 'secret "db" (s1) not available on this node' });
    h.controller.start();
    await h.until('rejected');
    expect(h.reports.at(-1)?.err).toBe('secret "db" (s1) not available on this node');
    expect(h.executor.opsOf('task1')).toEqual([]);
  });

  it('retries a failed shutdown after a delay on the clock', async () => {
    const h = harness({ script: { shutdownFailures: 1 } });
    h.controller.start();
    await h.until('running');
    h.controller.update({ ...h.task, desiredState: 'shutdown' });
    await waitUntil('a first shutdown attempt', () => h.executor.opsOf('task1').includes('shutdown'));
    await settle();
    expect(h.states()).not.toContain('shutdown');
    expect(h.states()).not.toContain('failed');
    h.clock.advance(1_000);
    await h.until('shutdown');
    expect(h.executor.opsOf('task1').filter((o) => o === 'shutdown')).toHaveLength(2);
  });

  it('keeps going when the report callback throws', async () => {
    const clock = new ManualClock(START);
    const executor = new FakeExecutor(clock);
    const task = makeTask();
    const seen: TaskState[] = [];
    const controller = new TaskController({
      task,
      runner: executor.runner({ task, service, node, secrets: new Map(), configs: new Map() }),
      report: (s) => {
        seen.push(s.state);
        throw new Error('agent is gone');
      },
      clock,
      logger: silentLogger,
    });
    controllers.push(controller);
    controller.start();
    await waitUntil('running to be reported', () => seen.includes('running'));
    expect(controller.status.state).toBe('running');
  });

  describe('adoption after a worker restart', () => {
    it('reports RUNNING for a running container of a task recorded below RUNNING and waits on it', async () => {
      const h = harness({
        state: 'starting',
        script: { exit: { code: 0, afterMs: 50 } },
        seed: { serviceId: 'svc1', state: 'running', exitCode: 0, pid: 77 },
      });
      h.controller.start();
      await h.until('running');
      expect(h.reports.at(-1)?.containerStatus).toEqual({
        containerId: 'container-task1',
        pid: 77,
        exitCode: 0,
      });
      await waitUntil('wait to be called', () => h.executor.opsOf('task1').includes('wait'));
      expect(h.executor.opsOf('task1')).toEqual(['wait']);
      expect(h.states()).toEqual(['running']);
    });

    it('reports nothing for a running container of a task recorded RUNNING', async () => {
      const h = harness({
        state: 'running',
        seed: { serviceId: 'svc1', state: 'running', exitCode: 0, pid: 77 },
      });
      h.controller.start();
      await waitUntil('wait to be called', () => h.executor.opsOf('task1').includes('wait'));
      await settle();
      expect(h.reports).toEqual([]);
    });

    it('reports the exit of a container that ended while no worker watched', async () => {
      const h = harness({
        state: 'running',
        seed: { serviceId: 'svc1', state: 'exited', exitCode: 2, pid: 0 },
      });
      h.controller.start();
      await h.until('failed');
      expect(h.reports).toHaveLength(1);
      expect(h.reports[0]).toMatchObject({
        err: 'task: non-zero exit (2)',
        containerStatus: { exitCode: 2 },
      });
      expect(h.executor.opsOf('task1')).toEqual([]);
    });

    it('reports COMPLETE for a container that exited 0 while no worker watched', async () => {
      const h = harness({
        state: 'running',
        seed: { serviceId: 'svc1', state: 'exited', exitCode: 0, pid: 0 },
      });
      h.controller.start();
      await h.until('complete');
    });

    it('reports nothing for an exited container of a task already recorded terminal', async () => {
      const h = harness({
        state: 'complete',
        seed: { serviceId: 'svc1', state: 'exited', exitCode: 1, pid: 0 },
      });
      h.controller.start();
      await waitUntil('inspect to be called', () => h.executor.calls.length > 0);
      await settle();
      expect(h.reports).toEqual([]);
    });

    it('fails a task recorded RUNNING whose container is gone', async () => {
      const h = harness({ state: 'running' });
      h.controller.start();
      await h.until('failed');
      expect(h.reports).toHaveLength(1);
      expect(h.reports[0]?.err).toBe("the task's container is gone");
      await settle();
      expect(h.executor.opsOf('task1')).toEqual([]);
    });

    it('starts a created container of a task recorded STARTING without reporting STARTING again', async () => {
      const h = harness({
        state: 'starting',
        seed: { serviceId: 'svc1', state: 'created', exitCode: 0, pid: 0 },
      });
      h.controller.start();
      await h.until('running');
      expect(h.states()).toEqual(['running']);
      expect(h.executor.opsOf('task1')).toEqual(['start', 'wait']);
    });

    it('prepares again, silently, a task recorded READY whose container is gone', async () => {
      const h = harness({ state: 'ready' });
      h.controller.start();
      await h.until('running');
      expect(h.states()).toEqual(['starting', 'running']);
      expect(h.executor.opsOf('task1')).toEqual(['prepare', 'start', 'wait']);
    });

    it('never reports a state at or below the recorded one', async () => {
      const h = harness({ state: 'preparing' });
      h.controller.start();
      await h.until('running');
      expect(h.states()).toEqual(['ready', 'starting', 'running']);
    });

    it('stops, without a report, a running container of a task recorded terminal', async () => {
      const h = harness({
        state: 'failed',
        seed: { serviceId: 'svc1', state: 'running', exitCode: 0, pid: 77 },
      });
      h.controller.start();
      await waitUntil('shutdown to be called', () => h.executor.opsOf('task1').includes('shutdown'));
      await settle();
      expect(h.reports).toEqual([]);
      expect(h.executor.tasks.get('task1')?.state).toBe('exited');
    });

    it('shuts down an adopted running task whose desired state is SHUTDOWN', async () => {
      const h = harness({
        state: 'running',
        desiredState: 'shutdown',
        seed: { serviceId: 'svc1', state: 'running', exitCode: 0, pid: 77 },
      });
      h.controller.start();
      await h.until('shutdown');
      expect(h.states()).toEqual(['shutdown']);
      expect(h.executor.opsOf('task1')).toEqual(['shutdown']);
    });
  });
});
