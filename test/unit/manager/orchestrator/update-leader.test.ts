// Leader changes in the middle of a rolling update: the new leader's loops, started on the store
// the old leader left, finish the rollout from updateStatus and the tasks alone — never replacing
// a slot twice, keeping a pause, counting failures the old leader did not see — and two leaders
// racing on the same store replace each slot once.

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND, type UpdateConfig, type UpdateOrder } from '../../../../src/api/index.js';
import { World } from './harness.js';
import { allLiveOn, imageOf, liveBySlot, round, roundsUntil, rolloutState } from './rollout-helpers.js';

const OLD = 'nginx:1.27';
const NEW = 'nginx:1.28';

let world: World;
afterEach(async () => {
  world.deferWrites = false;
  await world.stopAll();
});

async function running(replicas: number, update: UpdateConfig): Promise<string> {
  world = new World();
  for (let i = 1; i <= 3; i++) await world.addNode(`n${i}`);
  const id = await world.addService('web', { replicas, update, image: OLD });
  world.startAll();
  await world.converge();
  return id;
}

/** The old leader's loops stop; the cluster goes on without a leader for `rounds` rounds. */
async function loseLeader(rounds: number): Promise<void> {
  await world.stopAll();
  for (let i = 0; i < rounds; i++) await world.runCluster();
}

/** Tasks on the new image per slot, over the whole history: a slot replaced twice shows 2. */
function newTasksPerSlot(id: string): number[] {
  const counts = new Map<number, number>();
  for (const task of world.tasks(id))
    if (imageOf(task) === NEW) counts.set(task.slot!, (counts.get(task.slot!) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a - b).map(([, n]) => n);
}

describe('a new leader in the middle of a rolling update', () => {
  for (const order of ['stop-first', 'start-first'] as UpdateOrder[])
    it(`finishes a half-done ${order} update without replacing any slot twice`, async () => {
      const id = await running(5, { parallelism: 2, order });
      await world.deployImage(id, NEW);
      // The old leader gets two slots done and two more under way …
      await roundsUntil(
        world,
        () => world.live(id).filter((t) => imageOf(t) === NEW && t.status.state === 'running').length >= 2,
      );
      expect(world.live(id).filter((t) => imageOf(t) === NEW && t.status.state !== 'running')).toHaveLength(
        2,
      );
      // … and is gone; the workers carry on with what they were told.
      await loseLeader(3);
      expect(rolloutState(world, id)).toBe('updating');

      world.startAll();
      await roundsUntil(
        world,
        () => allLiveOn(world, id, NEW) && world.live(id).length === 5,
        () => {
          for (const tasks of liveBySlot(world, id).values()) expect(tasks.length).toBeLessThanOrEqual(2);
        },
      );
      expect(newTasksPerSlot(id)).toEqual([1, 1, 1, 1, 1]);
      expect(world.tasks(id)).toHaveLength(10);
      await world.advance(5_000);
      expect(rolloutState(world, id)).toBe('completed');
    });

  it('finishes what an old leader’s pass left half written', async () => {
    const id = await running(4, { parallelism: 0 });
    // The old leader loses its quorum after the first transaction of its replacements.
    let proposals = 0;
    const update = world.store.update.bind(world.store);
    await world.stopAll();
    world.store.update = (ops, options) => {
      if (ops.some((op) => op.kind === 'task' && op.op === 'create') && ++proposals > 1) world.failing = true;
      return update(ops, options);
    };
    // Transactions of one replacement each (its old task stopped, its new one created).
    world.updater({ maxOpsPerTransaction: 2 }).start();
    await world.deployImage(id, NEW);
    await world.run(300);
    await world.stopAll();
    world.store.update = update;
    world.failing = false;
    const replacedBefore = world.tasks(id).filter((t) => imageOf(t) === NEW).length;
    expect(replacedBefore).toBeGreaterThan(0);
    expect(replacedBefore).toBeLessThan(4);

    world.startAll();
    await roundsUntil(world, () => allLiveOn(world, id, NEW) && world.live(id).length === 4);
    expect(newTasksPerSlot(id)).toEqual([1, 1, 1, 1]);
  });

  it('keeps a paused update paused', async () => {
    const id = await running(3, {});
    await world.deployImage(id, NEW);
    await world.settle();
    const [fresh] = world.live(id).filter((t) => imageOf(t) === NEW);
    await world.report(fresh!.id, 'failed');
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
    await loseLeader(2);
    world.startAll();
    await world.advance(30_000);
    await world.converge();
    expect(rolloutState(world, id)).toBe('paused');
    expect(world.live(id).filter((t) => imageOf(t) === OLD)).toHaveLength(2);
  });

  it('counts a failure that happened while there was no leader', async () => {
    const id = await running(3, { monitor: 5 * SECOND });
    await world.deployImage(id, NEW);
    await world.settle();
    const [fresh] = world.live(id).filter((t) => imageOf(t) === NEW);
    await loseLeader(1);
    // The image pull fails a second later: the new leader never saw the task run.
    await world.run(1_000);
    await world.report(fresh!.id, 'failed', 'pull access denied');
    world.startAll();
    await world.settle();
    expect(rolloutState(world, id)).toBe('paused');
  });

  it('does not count a task that ran past the monitor window and ended while there was no leader', async () => {
    const id = await running(2, { monitor: 2 * SECOND, delay: 60 * SECOND });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () =>
      world.live(id).some((t) => imageOf(t) === NEW && t.status.state === 'running'),
    );
    const [fresh] = world.live(id).filter((t) => imageOf(t) === NEW);
    await loseLeader(0);
    await world.run(20_000);
    await world.report(fresh!.id, 'failed', 'crashed after 20 s');
    world.startAll();
    await world.settle();
    expect(rolloutState(world, id)).toBe('updating');
    // The delay since that slot finished is still honoured by the new leader.
    await world.advance(60_000);
    await roundsUntil(world, () => allLiveOn(world, id, NEW) && world.live(id).length === 2);
  });

  it('completes an update whose last slot the old leader saw finish, after the monitor period', async () => {
    const id = await running(2, { monitor: 10 * SECOND });
    await world.deployImage(id, NEW);
    await roundsUntil(world, () => allLiveOn(world, id, NEW));
    await world.advance(4_000);
    await loseLeader(0);
    world.startAll();
    await world.advance(5_000);
    expect(rolloutState(world, id)).toBe('updating');
    await world.advance(1_100);
    expect(rolloutState(world, id)).toBe('completed');
  });
});

describe('two leaders racing through a rolling update', () => {
  for (const order of ['stop-first', 'start-first'] as UpdateOrder[])
    it(`replace each slot once (${order})`, async () => {
      const id = await running(4, { parallelism: 2, order });
      world.deferWrites = true;
      world.startAll(); // a second set of loops on the same store
      await world.deployImage(id, NEW);
      for (let i = 0; i < 40 && !(allLiveOn(world, id, NEW) && world.live(id).length === 4); i++)
        await round(world);
      expect(allLiveOn(world, id, NEW) && world.live(id).length === 4).toBe(true);
      expect(newTasksPerSlot(id)).toEqual([1, 1, 1, 1]);
    });
});
