// Failures during a rolling update over a real store, a manual clock and the simulated cluster:
// the monitor window, every failure action (pause, continue, rollback) in both orders,
// maxFailureRatio, rollbacks that fail, and rolling back by hand.

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND, type UpdateConfig } from '../../../../src/api/index.js';
import { World, type ServiceOptions } from './harness.js';
import {
  allLiveOn,
  convergedService,
  imageOf,
  liveBySlot,
  liveImages,
  NEW,
  OLD,
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

describe('failures during a rolling update', () => {
  it('pauses when a new task fails before running (failure action pause)', async () => {
    const id = await running(3);
    await world.deployImage(id, NEW);
    await world.settle();
    const [fresh] = starting(id);
    await round(world); // the old task stops
    await world.report(fresh!.id, 'failed', 'no such image');
    await world.settle();
    const status = world.service(id).updateStatus!;
    expect(status.state).toBe('paused');
    expect(status.message).toBe(`update paused due to failure or early termination of task ${fresh!.id}`);
    // No further slot is replaced; the failed slot's task is restarted by its policy as usual.
    await world.advance(60_000);
    await world.converge();
    expect(rolloutState(world, id)).toBe('paused');
    expect(liveImages(world, id)).toEqual([NEW, OLD, OLD]);
  });

  it('counts a new task that ends within `monitor` of running, not one that ends after', async () => {
    const id = await running(3, { monitor: 2 * SECOND, failureAction: 'pause' });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () =>
      world.live(id).some((t) => imageOf(t) === NEW && t.status.state === 'running'),
    );
    const [first] = world.live(id).filter((t) => imageOf(t) === NEW && t.status.state === 'running');
    await world.advance(2_500);
    await world.report(first!.id, 'failed'); // ran 2.5 s: past the window
    await world.settle();
    expect(rolloutState(world, id)).toBe('updating');

    await roundsUntil(
      world,
      () => world.live(id).filter((t) => imageOf(t) === NEW && t.status.state === 'running').length >= 2,
    );
    const second = world
      .live(id)
      .find((t) => imageOf(t) === NEW && t.id !== first!.id && t.slot !== first!.slot);
    await world.advance(1_000);
    await world.report(second!.id, 'failed'); // ran 1 s: within the window
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
  });

  it('catches a failure during the final monitor period', async () => {
    const id = await running(2, { monitor: 5 * SECOND });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () => allLiveOn(world, id, NEW));
    await world.advance(3_000);
    await world.report(world.live(id)[1]!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
  });

  it('with failure action continue, carries on past failures and completes', async () => {
    const id = await running(3, { failureAction: 'continue' }, { restart: { condition: 'any', delay: 0 } });
    await world.deployImage(id, NEW);
    await world.settle();
    // Every slot's first new task fails right after starting.
    const failed = new Set<number>();
    for (
      let rounds = 0;
      !(failed.size === 3 && allLiveOn(world, id, NEW) && world.live(id).length === 3);
      rounds++
    ) {
      expect(rounds, 'rounds until the update is through').toBeLessThan(50);
      for (const task of world.live(id))
        if (imageOf(task) === NEW && task.status.state === 'running' && !failed.has(task.slot!)) {
          failed.add(task.slot!);
          await world.report(task.id, 'failed');
        }
      await round(world);
    }
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('completed');
  });

  it('tolerates failures up to maxFailureRatio of the slots', async () => {
    const id = await running(4, { maxFailureRatio: 0.25, parallelism: 1 });
    await world.deployImage(id, NEW);
    // The first slot's new task fails: 1 of 4 is not more than 0.25.
    await world.settle();
    const [first] = starting(id);
    await world.report(first!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('updating');
    // The next slot's fails too: 2 of 4 is.
    await roundsUntil(world, () => starting(id).some((t) => t.slot !== first!.slot));
    const second = starting(id).find((t) => t.slot !== first!.slot)!;
    await world.report(second.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
    expect(world.service(id).updateStatus!.message).toContain(first!.id);
  });

  it('rolls back to the previous spec with the rollback config (failure action rollback)', async () => {
    const id = await running(
      3,
      { failureAction: 'rollback', parallelism: 2, monitor: 10 * SECOND },
      { rollback: { parallelism: 0, monitor: 1 * SECOND }, restart: { condition: 'any', delay: 0 } },
    );
    await world.deployImage(id, NEW);
    // Two slots run the new spec, the third is being replaced, when a new task fails.
    await roundsUntil(
      world,
      () => world.live(id).filter((t) => imageOf(t) === NEW && t.status.state === 'running').length === 2,
    );
    const [failing, other] = world.live(id).filter((t) => imageOf(t) === NEW && t.status.state === 'running');
    await world.report(failing!.id, 'failed');
    await world.settle();

    const service = world.service(id);
    expect(service.spec.taskTemplate.containerSpec.image).toBe(OLD);
    // As SwarmKit: the failed spec is not kept to return to.
    expect(service.previousSpec).toBeUndefined();
    expect(service.updateStatus!.state).toBe('rollback_started');
    expect(service.updateStatus!.message).toBe(
      `update rolled back due to failure or early termination of task ${failing!.id}`,
    );
    // Rollback parallelism 0: the slot still running the new spec and the one being updated go
    // back at once (the failed one is restarted on the old spec by its restart policy).
    expect(world.store.get('task', other!.id)!.desiredState).toBe('shutdown');
    expect(world.live(id).filter((t) => imageOf(t) === NEW)).toEqual([]);
    await roundsUntil(world, () => allLiveOn(world, id, OLD) && world.live(id).length === 3);
    await world.advance(1_000);
    expect(world.service(id).updateStatus).toMatchObject({
      state: 'rollback_completed',
      message: 'rollback completed',
    });
  });

  it('pauses a rollback whose tasks fail (rollback_paused), never rolling back a rollback', async () => {
    const id = await running(
      2,
      { failureAction: 'rollback', parallelism: 0, monitor: 10 * SECOND },
      { rollback: { failureAction: 'rollback' } },
    );
    await world.deployImage(id, NEW);
    await roundsUntil(world, () => allLiveOn(world, id, NEW));
    const [failing, other] = world.live(id);
    await world.report(failing!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('rollback_started');
    // The other slot goes back (the failed one is restarted on the old spec by its policy).
    const back = world.live(id).find((t) => t.slot === other!.slot && imageOf(t) === OLD)!;
    await round(world);
    await world.report(back.id, 'failed');
    await world.settle();
    expect(world.service(id).updateStatus).toMatchObject({
      state: 'rollback_paused',
      message: `rollback paused due to failure or early termination of task ${back.id}`,
    });
    expect(world.service(id).spec.taskTemplate.containerSpec.image).toBe(OLD);
  });

  it('pauses instead of rolling back when there is no previous spec', async () => {
    const id = await running(2, { failureAction: 'rollback' });
    // A spec written around the control API: no previousSpec.
    await world.updateService(id, (spec) => ({
      ...spec,
      taskTemplate: { ...spec.taskTemplate, containerSpec: { image: NEW } },
    }));
    await world.settle();
    await world.report(starting(id)[0]!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
    expect(world.service(id).updateStatus!.message).toContain('no previous spec');
  });

  it('resumes a paused update when the spec changes again', async () => {
    const id = await running(2);
    await world.deployImage(id, NEW);
    await world.settle();
    await world.report(starting(id)[0]!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
    await world.deployImage(id, 'nginx:1.29');
    await roundsUntil(world, () => allLiveOn(world, id, 'nginx:1.29') && world.live(id).length === 2);
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('completed');
  });
});

describe('rolling back by hand', () => {
  it('returns to the previous spec with the rollback config, swapping the specs', async () => {
    const id = await running(2, {}, { rollback: { order: 'start-first' } });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () => allLiveOn(world, id, NEW));
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('completed');

    await world.rollback(id);
    const service = world.service(id);
    expect(service.spec.taskTemplate.containerSpec.image).toBe(OLD);
    expect(service.previousSpec!.taskTemplate.containerSpec.image).toBe(NEW);
    expect(service.updateStatus).toMatchObject({
      state: 'rollback_started',
      message: 'manually requested rollback',
    });
    await world.settle();
    // Start-first from the rollback config: the new-spec task keeps running meanwhile.
    expect([...liveBySlot(world, id).values()].filter((tasks) => tasks.length === 2)).toHaveLength(1);
    await roundsUntil(world, () => allLiveOn(world, id, OLD) && world.live(id).length === 2);
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('rollback_completed');
  });

  it('rolls back a paused update', async () => {
    const id = await running(3);
    await world.deployImage(id, NEW);
    await world.settle();
    await world.report(starting(id)[0]!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
    await world.rollback(id);
    await roundsUntil(world, () => allLiveOn(world, id, OLD) && world.live(id).length === 3);
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('rollback_completed');
  });

  it('is refused for a service without a previous spec, and for jobs', async () => {
    const id = await running(1);
    await expect(world.rollback(id)).rejects.toThrow('does not have a previous spec');
    const job = await world.addService('batch', { job: {} });
    await world.deploy(job, (spec) => spec);
    await expect(world.rollback(job)).rejects.toThrow('jobs are not rolled back');
  });

  it('also happens as an ordinary update back to the previous spec', async () => {
    const id = await running(2);
    await world.deployImage(id, NEW);
    await roundsUntil(world, () => allLiveOn(world, id, NEW));
    await world.deploy(id, () => world.service(id).previousSpec as never);
    await roundsUntil(world, () => allLiveOn(world, id, OLD) && world.live(id).length === 2);
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('completed');
  });
});

describe('failures during a start-first rolling update', () => {
  it('pauses when the new task fails, leaving the old one running', async () => {
    const id = await running(3, { order: 'start-first' });
    await world.deployImage(id, NEW);
    await world.settle();
    const [fresh] = starting(id);
    await world.report(fresh!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
    expect(world.live(id).filter((t) => imageOf(t) === OLD && t.status.state === 'running')).toHaveLength(3);
  });

  it('rolls back once the new tasks keep failing after taking over', async () => {
    const id = await running(2, { order: 'start-first', failureAction: 'rollback', monitor: 10 * SECOND });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () => allLiveOn(world, id, NEW) && world.live(id).length === 2);
    await world.report(world.live(id)[0]!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('rollback_started');
    await world.advance(5_000);
    await roundsUntil(world, () => allLiveOn(world, id, OLD) && world.live(id).length === 2);
  });
});
