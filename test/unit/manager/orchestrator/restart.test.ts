// The restart supervisor over a real store and a manual clock: every restart condition, delays
// and their backoff, maxAttempts with and without a window, and history kept.

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND, type RestartPolicy } from '../../../../src/api/index.js';
import type { RestartTuning } from '../../../../src/manager/orchestrator/index.js';
import { World } from './harness.js';

let world: World;
afterEach(async () => {
  await world.stopAll();
});

async function oneReplica(restart: RestartPolicy, tuning: Partial<RestartTuning> = {}): Promise<string> {
  world = new World();
  await world.addNode('n1');
  await world.addNode('n2');
  const id = await world.addService('web', { replicas: 1, restart });
  world.replicated().start();
  world.restarts(tuning).start();
  world.updater().start();
  world.reaper().start();
  await world.converge();
  expect(world.live(id).map((t) => t.status.state)).toEqual(['running']);
  return id;
}

/** Ends the slot's live task as `state`; returns the replacement (if any) once decided. */
async function end(id: string, state: 'complete' | 'failed' | 'rejected' | 'shutdown' | 'orphaned') {
  const [task] = world.live(id);
  await world.report(task!.id, state);
  await world.settle();
  const ended = world.store.get('task', task!.id)!;
  const replacement = world.live(id)[0];
  return { ended, replacement };
}

/**
 * How long the READY replacement waited after its creation before it was desired RUNNING: the
 * write that started it is stamped with the (manual) clock's time when its timer fired.
 */
async function waitUntilStarted(taskId: string, limitMs = 600_000): Promise<number> {
  const from = world.clock.now();
  let task = world.store.get('task', taskId)!;
  while (task.desiredState !== 'running') {
    if (world.clock.now() - from > limitMs) throw new Error(`task ${taskId} never started`);
    await world.advance(100);
    task = world.store.get('task', taskId)!;
  }
  return Date.parse(task.meta.updatedAt) - Date.parse(task.meta.createdAt);
}

describe('the restart supervisor', () => {
  it('replaces a task that exited with condition any, after the delay, keeping the old one as history', async () => {
    const id = await oneReplica({ condition: 'any', delay: 5 * SECOND });
    const { ended, replacement } = await end(id, 'complete');

    expect(ended.desiredState).toBe('shutdown');
    expect(ended.status.state).toBe('complete');
    expect(replacement).toMatchObject({ slot: 1, desiredState: 'ready', status: { state: 'new' } });

    await world.runCluster(); // the scheduler places it; the worker prepares but does not start it
    await world.advance(4_900);
    expect(world.store.get('task', replacement!.id)!.desiredState).toBe('ready');
    await world.advance(100);
    expect(world.store.get('task', replacement!.id)!.desiredState).toBe('running');
    await world.converge();
    expect(world.tasks(id)).toHaveLength(2);
    expect(world.live(id).map((t) => t.status.state)).toEqual(['running']);
  });

  it('starts the replacement at once when the delay is zero', async () => {
    const id = await oneReplica({ condition: 'any', delay: 0 });
    const { replacement } = await end(id, 'failed');
    expect(replacement!.desiredState).toBe('running');
  });

  it('with on-failure, replaces failed and rejected tasks but not completed ones', async () => {
    const id = await oneReplica({ condition: 'on-failure', delay: 0 });
    expect((await end(id, 'failed')).replacement).toBeDefined();
    await world.converge();
    expect((await end(id, 'rejected')).replacement).toBeDefined();
    await world.converge();
    const { ended, replacement } = await end(id, 'complete');
    expect(replacement).toBeUndefined();
    expect(ended.desiredState).toBe('shutdown');
    // The replicated orchestrator does not refill the retired slot either.
    await world.converge();
    expect(world.live(id)).toEqual([]);
  });

  it('with condition none, never replaces a task that exited', async () => {
    const id = await oneReplica({ condition: 'none' });
    const { replacement } = await end(id, 'failed');
    expect(replacement).toBeUndefined();
    await world.advance(60_000);
    await world.converge();
    expect(world.live(id)).toEqual([]);
    expect(world.tasks(id)).toHaveLength(1);
  });

  it('gives up after maxAttempts restarts when there is no window', async () => {
    const id = await oneReplica({ condition: 'any', delay: 0, maxAttempts: 2 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await end(id, 'failed')).replacement, `restart ${attempt}`).toBeDefined();
      await world.converge();
      await world.advance(3_600_000);
    }
    expect((await end(id, 'failed')).replacement).toBeUndefined();
    await world.converge();
    expect(world.live(id)).toEqual([]);
    expect(world.tasks(id)).toHaveLength(3);
  });

  it('counts maxAttempts only within the window', async () => {
    const id = await oneReplica({ condition: 'any', delay: 0, maxAttempts: 1, window: 10 * SECOND });
    expect((await end(id, 'failed')).replacement).toBeDefined();
    await world.converge();
    // The earlier failure is 11 s old: outside the window, so this one may restart too.
    await world.advance(11_000);
    expect((await end(id, 'failed')).replacement).toBeDefined();
    await world.converge();
    // This one follows within 10 s of the last: the one attempt in the window is used up.
    await world.advance(3_000);
    expect((await end(id, 'failed')).replacement).toBeUndefined();
  });

  it('a new spec gets a fresh count of attempts', async () => {
    const id = await oneReplica({ condition: 'any', delay: 0, maxAttempts: 1 });
    expect((await end(id, 'failed')).replacement).toBeDefined();
    await world.converge();
    expect((await end(id, 'failed')).replacement).toBeUndefined();
    await world.updateService(id, (spec) => ({
      ...spec,
      taskTemplate: { ...spec.taskTemplate, forceUpdate: 1 },
    }));
    await world.converge();
    expect((await end(id, 'failed')).replacement).toBeDefined();
  });

  it('doubles the delay for quick successive exits, up to the cap', async () => {
    const id = await oneReplica({ condition: 'any', delay: 1 * SECOND }, { maxDelayMs: 4_000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { replacement } = await end(id, 'failed');
      await world.runCluster();
      delays.push(await waitUntilStarted(replacement!.id));
      await world.converge();
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 4_000]);
  });

  it('forgets the backoff once a task ran longer than the reset period', async () => {
    const id = await oneReplica({ condition: 'any', delay: 1 * SECOND }, { backoffResetMs: 60_000 });
    for (let i = 0; i < 2; i++) {
      const { replacement } = await end(id, 'failed');
      await world.runCluster();
      await waitUntilStarted(replacement!.id);
      await world.converge();
    }
    await world.advance(61_000);
    const { replacement } = await end(id, 'failed');
    await world.runCluster();
    expect(await waitUntilStarted(replacement!.id)).toBe(1_000);
  });

  it('replaces a task the cluster ended (orphaned) whatever the condition, at once', async () => {
    const id = await oneReplica({ condition: 'none', delay: 30 * SECOND });
    const { ended, replacement } = await end(id, 'orphaned');
    expect(ended.desiredState).toBe('shutdown');
    expect(replacement).toMatchObject({ slot: 1, desiredState: 'running' });
  });

  it('does not replace a task of a slot the service no longer has', async () => {
    const id = await oneReplica({ condition: 'any', delay: 0 });
    const [task] = world.live(id);
    await world.scale(id, 0);
    await world.report(task!.id, 'failed');
    await world.converge();
    expect(world.live(id)).toEqual([]);
  });

  it('restarts global tasks on their own node', async () => {
    world = new World();
    const n1 = await world.addNode('n1');
    await world.addNode('n2');
    const id = await world.addService('agent', {
      global: true,
      restart: { condition: 'any', delay: 2 * SECOND },
    });
    world.global().start();
    world.restarts().start();
    await world.converge();
    const [task] = world.live(id).filter((t) => t.nodeId === n1);
    await world.report(task!.id, 'failed');
    await world.settle();
    const replacement = world.live(id).find((t) => t.nodeId === n1)!;
    expect(replacement.desiredState).toBe('ready');
    await world.runCluster();
    expect(await waitUntilStarted(replacement.id)).toBe(2_000);
  });
});
