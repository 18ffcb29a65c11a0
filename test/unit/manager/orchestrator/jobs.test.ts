// The job orchestrator over a real store, a manual clock and the simulated cluster: replicated
// jobs to completion within maxConcurrent, failures retried per the restart policy (`any` acting
// as on-failure), giving up after maxAttempts, nodes going away, global jobs once per node, and
// re-running a job by bumping its iteration.

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND, type RestartPolicy } from '../../../../src/api/index.js';
import { serviceStatusOf, type StoredTask } from '../../../../src/manager/orchestrator/index.js';
import { World } from './harness.js';

let world: World;
afterEach(async () => {
  await world.stopAll();
});

async function jobWorld(nodes = 3): Promise<World> {
  world = new World();
  for (let i = 1; i <= nodes; i++) await world.addNode(`n${i}`);
  world.startAll();
  return world;
}

/** The job's tasks of its current iteration that run now and are still wanted. */
function runningTasks(id: string): StoredTask[] {
  const iteration = world.service(id).jobStatus?.jobIteration.index ?? 0;
  return world
    .tasks(id)
    .filter(
      (t) =>
        (t.jobIteration?.index ?? 0) === iteration &&
        t.status.state === 'running' &&
        t.desiredState === 'complete',
    );
}

/** Completes every running task of the job, then lets the loops and cluster react. */
async function completeRunning(id: string): Promise<number> {
  const running = runningTasks(id);
  for (const task of running) await world.report(task.id, 'complete');
  await world.converge();
  return running.length;
}

function completedSlots(id: string): number[] {
  return world
    .tasks(id)
    .filter((t) => t.status.state === 'complete')
    .map((t) => t.slot!)
    .sort((a, b) => a - b);
}

describe('a replicated job', () => {
  it('runs totalCompletions tasks to completion, at most maxConcurrent at a time', async () => {
    await jobWorld();
    const id = await world.addService('batch', { job: { maxConcurrent: 2, totalCompletions: 5 } });
    await world.converge();
    const first = runningTasks(id);
    expect(first).toHaveLength(2);
    for (const task of first) {
      expect(task.desiredState).toBe('complete');
      expect(task.jobIteration).toEqual({ index: 0 });
    }
    expect(world.service(id).serviceStatus).toEqual({ runningTasks: 2, desiredTasks: 2, completedTasks: 0 });

    const batches: number[] = [];
    for (let i = 0; i < 10 && completedSlots(id).length < 5; i++) {
      expect(runningTasks(id).length).toBeLessThanOrEqual(2);
      batches.push(await completeRunning(id));
    }
    expect(batches).toEqual([2, 2, 1]);
    expect(completedSlots(id)).toEqual([1, 2, 3, 4, 5]);
    expect(world.tasks(id)).toHaveLength(5);
    expect(world.service(id).serviceStatus).toEqual({ runningTasks: 0, desiredTasks: 0, completedTasks: 5 });
    // Done: nothing more is started, however long we wait.
    await world.advance(60_000);
    await world.converge();
    expect(world.tasks(id)).toHaveLength(5);
  });

  it('defaults to one task at a time and as many completions as maxConcurrent', async () => {
    await jobWorld();
    const id = await world.addService('once', { job: {} });
    await world.converge();
    expect(runningTasks(id)).toHaveLength(1);
    await completeRunning(id);
    expect(completedSlots(id)).toEqual([1]);
    expect(world.tasks(id)).toHaveLength(1);
  });

  it('retries a failed task in its slot after the restart delay, keeping the failure as history', async () => {
    await jobWorld();
    const id = await world.addService('batch', {
      job: { maxConcurrent: 1, totalCompletions: 2 },
      restart: { condition: 'any', delay: 2 * SECOND },
    });
    await world.converge();
    const [task] = runningTasks(id);
    await world.report(task!.id, 'failed');
    await world.converge();
    // Waiting for its retry, the slot still holds the job's one place: nothing else starts.
    expect(runningTasks(id)).toEqual([]);
    expect(world.tasks(id)).toHaveLength(1);
    await world.advance(2_000);
    await world.converge();
    const [retry] = runningTasks(id);
    expect(retry!.slot).toBe(task!.slot);
    expect(world.store.get('task', task!.id)).toMatchObject({
      desiredState: 'shutdown',
      status: { state: 'failed' },
    });
    await completeRunning(id);
    await completeRunning(id);
    expect(completedSlots(id)).toEqual([1, 2]);
  });

  it('treats restart condition any as on-failure: a completed task is never run again', async () => {
    await jobWorld();
    const id = await world.addService('batch', {
      job: { maxConcurrent: 1, totalCompletions: 1 },
      restart: { condition: 'any', delay: 0 },
    });
    await world.converge();
    await completeRunning(id);
    await world.advance(30_000);
    await world.converge();
    expect(world.tasks(id)).toHaveLength(1);
  });

  it('gives a slot up after maxAttempts retries; the job ends short of its completions', async () => {
    await jobWorld();
    const policy: RestartPolicy = { condition: 'on-failure', delay: 0, maxAttempts: 1 };
    const id = await world.addService('batch', {
      job: { maxConcurrent: 2, totalCompletions: 2 },
      restart: policy,
    });
    await world.converge();
    const [a, b] = runningTasks(id);
    await world.report(a!.id, 'failed');
    await world.converge();
    const [retry] = runningTasks(id).filter((t) => t.slot === a!.slot);
    await world.report(retry!.id, 'failed');
    await world.report(b!.id, 'complete');
    await world.converge();
    await world.advance(30_000);
    await world.converge();
    expect(world.tasks(id).filter((t) => t.slot === a!.slot)).toHaveLength(2);
    expect(world.service(id).serviceStatus).toEqual({ runningTasks: 0, desiredTasks: 0, completedTasks: 1 });
  });

  it('does not retry with restart condition none', async () => {
    await jobWorld();
    const id = await world.addService('batch', { job: {}, restart: { condition: 'none' } });
    await world.converge();
    await world.report(runningTasks(id)[0]!.id, 'failed');
    await world.advance(30_000);
    await world.converge();
    expect(world.tasks(id)).toHaveLength(1);
  });

  it('replaces at once a task whose node went down, without counting it as an attempt', async () => {
    await jobWorld(2);
    const id = await world.addService('batch', {
      job: {},
      restart: { condition: 'on-failure', maxAttempts: 1 },
    });
    await world.converge();
    const [task] = runningTasks(id);
    await world.setNode(task!.nodeId!, { state: 'down' });
    await world.settle();
    const [moved] = world.tasks(id).filter((t) => t.desiredState === 'complete');
    expect(moved!.id).not.toBe(task!.id);
    expect(moved!.slot).toBe(task!.slot);
    await world.converge();
    expect(runningTasks(id)[0]!.nodeId).not.toBe(task!.nodeId);
  });

  it('runs again when its iteration is bumped; the older iteration’s tasks are stopped and kept', async () => {
    await jobWorld();
    const id = await world.addService('batch', { job: { maxConcurrent: 2, totalCompletions: 3 } });
    await world.converge();
    await completeRunning(id); // two of three done
    const [stillRunning] = runningTasks(id);

    await world.deploy(id, (spec) => spec); // the control API bumps jobIteration on every update
    expect(world.service(id).jobStatus!.jobIteration.index).toBe(1);
    await world.converge();
    // The unfinished task of iteration 0 is stopped; completed ones stay as they are.
    expect(world.store.get('task', stillRunning!.id)!.desiredState).toBe('shutdown');
    expect(
      world.tasks(id).filter((t) => (t.jobIteration?.index ?? 0) === 0 && t.status.state === 'complete'),
    ).toHaveLength(2);
    // Iteration 1 starts from scratch.
    expect(runningTasks(id)).toHaveLength(2);
    for (let i = 0; i < 5 && world.service(id).serviceStatus!.completedTasks < 3; i++)
      await completeRunning(id);
    expect(world.service(id).serviceStatus).toEqual({ runningTasks: 0, desiredTasks: 0, completedTasks: 3 });
    expect(
      world.tasks(id).filter((t) => t.jobIteration?.index === 1 && t.status.state === 'complete'),
    ).toHaveLength(3);
  });

  it('keeps earlier runs as history up to the retention limit, and all of the current one', async () => {
    await jobWorld();
    const id = await world.addService('nightly', { job: {} });
    for (let run = 0; run < 8; run++) {
      await world.converge();
      await completeRunning(id);
      if (run < 7) await world.deploy(id, (spec) => spec);
    }
    await world.advance(1_000);
    const iterations = world
      .tasks(id)
      .map((t) => t.jobIteration!.index)
      .sort((a, b) => a - b);
    // Iteration 7 is current; of iterations 0-6, the five most recent stay.
    expect(iterations).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('is continued by a new leader from the store alone', async () => {
    await jobWorld();
    const id = await world.addService('batch', { job: { maxConcurrent: 2, totalCompletions: 4 } });
    await world.converge();
    await world.stopAll();
    for (const task of runningTasks(id)) await world.report(task.id, 'complete');
    world.startAll();
    await world.converge();
    expect(runningTasks(id)).toHaveLength(2);
    await completeRunning(id);
    expect(completedSlots(id)).toEqual([1, 2, 3, 4]);
    expect(world.tasks(id)).toHaveLength(4);
  });
});

describe('a global job', () => {
  it('runs once on every eligible node, not on nodes that join afterwards', async () => {
    await jobWorld(3);
    await world.addNode('drained', { availability: 'drain' });
    const id = await world.addService('migrate', { job: 'global' });
    await world.converge();
    const ran = runningTasks(id);
    expect(ran).toHaveLength(3);
    expect(ran.every((t) => t.desiredState === 'complete' && t.slot === undefined)).toBe(true);
    world.clock.advance(1_000);
    await world.addNode('late');
    await completeRunning(id);
    await world.advance(30_000);
    await world.converge();
    expect(world.tasks(id)).toHaveLength(3);
    expect(world.service(id).serviceStatus).toEqual({ runningTasks: 0, desiredTasks: 0, completedTasks: 3 });
  });

  it('retries a failed task on its own node', async () => {
    await jobWorld(2);
    const id = await world.addService('migrate', {
      job: 'global',
      restart: { condition: 'on-failure', delay: 0 },
    });
    await world.converge();
    const [task] = runningTasks(id);
    await world.report(task!.id, 'failed');
    await world.converge();
    const retry = runningTasks(id).find((t) => t.id !== task!.id && t.nodeId === task!.nodeId);
    expect(retry).toBeDefined();
  });

  it('stops its task on a node that is drained, and runs it there again once the node is back', async () => {
    await jobWorld(2);
    const id = await world.addService('migrate', { job: 'global' });
    await world.converge();
    const [task] = runningTasks(id);
    await world.setNode(task!.nodeId!, { availability: 'drain' });
    await world.converge();
    expect(world.store.get('task', task!.id)!.desiredState).toBe('shutdown');
    expect(runningTasks(id).map((t) => t.nodeId)).not.toContain(task!.nodeId);
    await world.setNode(task!.nodeId!, { availability: 'active' });
    await world.converge();
    expect(runningTasks(id).map((t) => t.nodeId)).toContain(task!.nodeId);
  });

  it('runs again on every node, the late ones included, when its iteration is bumped', async () => {
    await jobWorld(2);
    const id = await world.addService('migrate', { job: 'global' });
    await world.converge();
    await completeRunning(id);
    world.clock.advance(1_000);
    await world.addNode('late');
    world.clock.advance(1_000);
    await world.deploy(id, (spec) => spec);
    await world.converge();
    expect(runningTasks(id)).toHaveLength(3);
    expect(runningTasks(id).every((t) => t.jobIteration?.index === 1)).toBe(true);
  });
});

describe('the other loops and jobs', () => {
  it('are left alone by the replicated, global, restart and update loops', async () => {
    await jobWorld();
    const id = await world.addService('batch', { job: { maxConcurrent: 3, totalCompletions: 3 } });
    await world.converge();
    const [task] = runningTasks(id);
    await world.report(task!.id, 'complete');
    await world.converge();
    // Nothing replaces a completed job task, and no rollout is recorded for a job.
    expect(world.tasks(id)).toHaveLength(3);
    expect(world.service(id).updateStatus).toBeUndefined();
  });
});

describe('serviceStatusOf', () => {
  const status = (id: string) =>
    serviceStatusOf(
      world.service(id),
      world.tasks(id),
      new Map(world.nodes().map((n) => [n.id, n])),
      world.clock.now(),
    );

  it('computes a service’s running and desired tasks, as Docker does on read', async () => {
    await jobWorld(2);
    await world.addNode('drained', { availability: 'drain' });
    const web = await world.addService('web', { replicas: 3 });
    const agent = await world.addService('agent', { global: true });
    await world.converge();
    expect(status(web)).toEqual({ runningTasks: 3, desiredTasks: 3, completedTasks: 0 });
    expect(status(agent)).toEqual({ runningTasks: 2, desiredTasks: 2, completedTasks: 0 });
    expect(world.service(web).serviceStatus).toBeUndefined();
  });

  it('gives a job the progress the job orchestrator records', async () => {
    await jobWorld();
    const id = await world.addService('batch', { job: { maxConcurrent: 2, totalCompletions: 3 } });
    await world.converge();
    await completeRunning(id);
    expect(status(id)).toEqual({ runningTasks: 1, desiredTasks: 1, completedTasks: 2 });
    expect(world.service(id).serviceStatus).toEqual(status(id));
  });
});
