// The rolling updater over a real store, a manual clock and the simulated cluster: both orders,
// parallelism and delay, forceUpdate, retired slots, global services, and the updater's truce
// with the replicated orchestrator. Failures, failure actions and rollbacks: update-failures.

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND, type UpdateConfig } from '../../../../src/api/index.js';
import { World, type ServiceOptions } from './harness.js';
import {
  allLiveOn,
  bothRunning,
  convergedService,
  imageOf,
  liveBySlot,
  liveImages,
  NEW,
  OLD,
  replacing,
  round,
  roundsUntil,
  rolloutState,
  startingOn,
} from './rollout-helpers.js';

let world: World;
afterEach(async () => {
  await world.stopAll();
});

/** A converged service of `replicas` tasks on OLD over 3 nodes, every loop running. */
async function running(replicas: number, update: UpdateConfig = {}, extra: ServiceOptions = {}) {
  const started = await convergedService(replicas, update, extra);
  world = started.world;
  return started.id;
}

/** The new tasks not yet running, on the new image. */
function starting(id: string) {
  return startingOn(world, id, NEW);
}

describe('a rolling update, stop-first', () => {
  it('replaces one slot at a time by default, stopping the old task before the new one starts', async () => {
    const id = await running(3);
    await world.deployImage(id, NEW);
    await world.settle();
    expect(rolloutState(world, id)).toBe('updating');
    expect(world.service(id).updateStatus?.message).toBe('update in progress');
    // The first slot: the old task told to stop, the new one waiting (desired READY) meanwhile.
    expect(liveImages(world, id)).toEqual([NEW, OLD, OLD]);
    expect(starting(id).map((t) => t.desiredState)).toEqual(['ready']);

    let maxReplacing = 0;
    await roundsUntil(
      world,
      () => allLiveOn(world, id, NEW),
      () => {
        maxReplacing = Math.max(maxReplacing, replacing(world, id, NEW));
        expect(bothRunning(world, id), 'old and new running at once in a slot').toBe(0);
      },
      'the update',
    );
    expect(maxReplacing).toBe(1);
    // History: every slot keeps its old task, shut down.
    const old = world.tasks(id).filter((t) => imageOf(t) === OLD);
    expect(old.map((t) => [t.desiredState, t.status.state])).toEqual(Array(3).fill(['shutdown', 'shutdown']));
  });

  it('completes once the monitor period after the last slot has passed', async () => {
    const id = await running(2, { monitor: 5 * SECOND });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () => allLiveOn(world, id, NEW));
    await world.advance(4_800);
    expect(rolloutState(world, id)).toBe('updating');
    await world.advance(300);
    const status = world.service(id).updateStatus!;
    expect(status.state).toBe('completed');
    expect(status.message).toBe('update completed');
    expect(Date.parse(status.completedAt!)).toBeGreaterThan(Date.parse(status.startedAt!));
  });

  it('replaces `parallelism` slots at once', async () => {
    const id = await running(5, { parallelism: 2 });
    await world.deployImage(id, NEW);
    await world.settle();
    expect(starting(id)).toHaveLength(2);
    let maxReplacing = 0;
    await roundsUntil(
      world,
      () => allLiveOn(world, id, NEW),
      () => (maxReplacing = Math.max(maxReplacing, replacing(world, id, NEW))),
    );
    expect(maxReplacing).toBe(2);
  });

  it('replaces every slot at once with parallelism 0', async () => {
    const id = await running(5, { parallelism: 0 });
    await world.deployImage(id, NEW);
    await world.settle();
    expect(starting(id)).toHaveLength(5);
    await roundsUntil(world, () => allLiveOn(world, id, NEW));
  });

  it('waits `delay` after a slot’s new task runs before replacing the next one', async () => {
    const id = await running(2, { delay: 10 * SECOND });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () =>
      world.live(id).some((t) => imageOf(t) === NEW && t.status.state === 'running'),
    );
    await round(world);
    expect(liveImages(world, id)).toEqual([NEW, OLD]);
    await world.advance(9_800);
    await round(world);
    expect(liveImages(world, id)).toEqual([NEW, OLD]);
    await world.advance(300);
    expect(liveImages(world, id)).toEqual([NEW, NEW]);
  });

  it('makes the next replacement wait for a task an earlier rollout stopped and that still runs', async () => {
    const id = await running(1);
    await world.deployImage(id, NEW);
    await world.settle();
    // The spec changes again before the old task has reported stopping.
    await world.deployImage(id, 'nginx:1.29');
    await world.settle();
    const old = world.tasks(id).find((t) => imageOf(t) === OLD)!;
    expect(old).toMatchObject({ desiredState: 'shutdown', status: { state: 'running' } });
    const [next] = world.live(id);
    expect(imageOf(next!)).toBe('nginx:1.29');
    expect(next!.desiredState).toBe('ready');
    await roundsUntil(
      world,
      () => allLiveOn(world, id, 'nginx:1.29'),
      () => expect(bothRunning(world, id)).toBe(0),
    );
  });

  it('updates on a forceUpdate bump alone, keeping the image', async () => {
    const id = await running(2);
    await world.deploy(id, (spec) => ({ ...spec, taskTemplate: { ...spec.taskTemplate, forceUpdate: 1 } }));
    await roundsUntil(world, () =>
      world.live(id).every((t) => t.spec.forceUpdate === 1 && t.status.state === 'running'),
    );
    expect(world.tasks(id)).toHaveLength(4);
    expect(world.live(id).map(imageOf)).toEqual([OLD, OLD]);
  });

  it('does nothing for a change outside the task template, and records no rollout', async () => {
    const id = await running(2);
    await world.deploy(id, (spec) => ({ ...spec, labels: { team: 'a' } }));
    await world.converge();
    expect(world.tasks(id)).toHaveLength(2);
    expect(rolloutState(world, id)).toBe('none');
  });

  it('gives a slot retired on the old spec a new task, in the rollout’s batches', async () => {
    const id = await running(3, {}, { restart: { condition: 'none' } });
    for (const task of world.live(id)) await world.report(task.id, 'complete');
    await world.converge();
    expect(world.live(id)).toEqual([]);
    await world.deployImage(id, NEW);
    await world.settle();
    // Nothing to stop in a retired slot: the new task starts at once, one slot at a time.
    expect(starting(id).map((t) => t.desiredState)).toEqual(['running']);
    await roundsUntil(world, () => allLiveOn(world, id, NEW) && world.live(id).length === 3);
  });
});

describe('a rolling update, start-first', () => {
  it('starts the new task next to the old one and stops the old one once the new one runs', async () => {
    const id = await running(3, { order: 'start-first' });
    await world.deployImage(id, NEW);
    await world.settle();
    const [first] = [...liveBySlot(world, id).values()].filter((tasks) => tasks.length === 2);
    expect(first!.map((t) => [imageOf(t), t.desiredState, t.status.state]).sort()).toEqual([
      [OLD, 'running', 'running'],
      [NEW, 'running', 'new'],
    ]);
    let maxReplacing = 0;
    let maxTwoLive = 0;
    await roundsUntil(
      world,
      () => allLiveOn(world, id, NEW) && world.live(id).length === 3,
      () => {
        maxReplacing = Math.max(maxReplacing, replacing(world, id, NEW));
        const pairs = [...liveBySlot(world, id).values()].filter((tasks) => tasks.length > 1).length;
        maxTwoLive = Math.max(maxTwoLive, pairs);
        // The old task stops only once the new one runs: no slot is ever without a running task.
        for (let slot = 1; slot <= 3; slot++)
          expect(
            world.tasks(id).some((t) => t.slot === slot && t.status.state === 'running'),
            `slot ${slot} runs a task`,
          ).toBe(true);
      },
    );
    expect(maxReplacing).toBe(1);
    expect(maxTwoLive).toBe(1);
  });

  it('restarts a new task that failed next to the old one, which keeps running meanwhile', async () => {
    const id = await running(
      1,
      { order: 'start-first', failureAction: 'continue' },
      {
        restart: { condition: 'any', delay: 1 * SECOND },
      },
    );
    await world.deployImage(id, NEW);
    await round(world); // the new task runs … and fails at once
    const [fresh] = world.live(id).filter((t) => imageOf(t) === NEW);
    await world.report(fresh!.id, 'failed');
    await world.settle();
    expect(
      world
        .live(id)
        .map((t) => [imageOf(t), t.status.state])
        .sort(),
    ).toEqual([
      [OLD, 'running'],
      [NEW, 'new'],
    ]);
    await world.advance(1_000);
    await roundsUntil(world, () => allLiveOn(world, id, NEW) && world.live(id).length === 1);
  });
});

describe('a rolling update of a global service', () => {
  it('replaces the task on each node in turn, on the same node', async () => {
    world = new World();
    const nodes = [];
    for (let i = 1; i <= 4; i++) nodes.push(await world.addNode(`n${i}`));
    const id = await world.addService('agent', { global: true, image: OLD, update: { parallelism: 2 } });
    world.startAll();
    await world.converge();
    await world.deployImage(id, NEW);
    await world.settle();
    expect(starting(id)).toHaveLength(2);
    let maxReplacing = 0;
    await roundsUntil(
      world,
      () => allLiveOn(world, id, NEW) && world.live(id).length === 4,
      () => {
        maxReplacing = Math.max(maxReplacing, replacing(world, id, NEW));
        expect(bothRunning(world, id)).toBe(0);
      },
    );
    expect(maxReplacing).toBe(2);
    expect(world.liveNodes(id)).toEqual(nodes.sort());
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('completed');
  });

  it('leaves a paused node’s task until the node is active again, then replaces it', async () => {
    world = new World();
    const n1 = await world.addNode('n1');
    const n2 = await world.addNode('n2');
    const id = await world.addService('agent', { global: true, image: OLD });
    world.startAll();
    await world.converge();
    await world.setNode(n2, { availability: 'pause' });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () =>
      world.live(id).some((t) => t.nodeId === n1 && imageOf(t) === NEW && t.status.state === 'running'),
    );
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('completed');
    expect(world.live(id).find((t) => t.nodeId === n2)!.spec.containerSpec.image).toBe(OLD);

    await world.setNode(n2, { availability: 'active' });
    await roundsUntil(world, () => allLiveOn(world, id, NEW) && world.live(id).length === 2);
  });
});

describe('the updater and the other loops', () => {
  it('scales a service up and down during an update without either undoing the other', async () => {
    const id = await running(4, { order: 'start-first' });
    await world.deployImage(id, NEW);
    await round(world);
    await world.scale(id, 6);
    await round(world);
    await world.scale(id, 3);
    await roundsUntil(
      world,
      () => allLiveOn(world, id, NEW) && world.live(id).length === 3,
      () => {
        for (const tasks of liveBySlot(world, id).values()) expect(tasks.length).toBeLessThanOrEqual(2);
      },
    );
    await world.advance(5_000);
    await world.converge();
    expect(rolloutState(world, id)).toBe('completed');
    expect(world.liveSlots(id)).toHaveLength(3);
  });
});
