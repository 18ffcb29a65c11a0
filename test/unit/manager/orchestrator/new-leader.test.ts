// Leader changes: a new set of loops started on a store the old leader left half done finishes
// the work without duplicates, honours restart delays the old leader set, and a driver leaves
// nothing running after stop().

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../../../src/api/index.js';
import { ReplicatedOrchestrator } from '../../../../src/manager/orchestrator/index.js';
import { World } from './harness.js';

let world: World;
afterEach(async () => {
  world.failing = false;
  await world.stopAll();
});

function liveBySlot(id: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const task of world.live(id)) counts.set(task.slot!, (counts.get(task.slot!) ?? 0) + 1);
  return counts;
}

describe('a new leader', () => {
  it('finishes a scale-up the old leader was cut off in the middle of, without duplicates', async () => {
    world = new World();
    await world.addNode('n1');
    const id = await world.addService('web', { replicas: 10 });
    const old = world.replicated({ maxOpsPerTransaction: 3 });
    // Lose leadership after the second transaction of the scale-up.
    let proposals = 0;
    const update = world.store.update.bind(world.store);
    world.store.update = (ops, options) => {
      if (++proposals > 2) world.failing = true;
      return update(ops, options);
    };
    old.start();
    await world.run(500);
    expect(world.live(id)).toHaveLength(6);
    await old.stop();
    world.store.update = update;
    world.failing = false;

    world.replicated().start();
    await world.settle();
    expect(world.liveSlots(id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(world.tasks(id)).toHaveLength(10);
  });

  it('converges after a pass that failed part-way retries from the store', async () => {
    world = new World();
    await world.addNode('n1');
    const id = await world.addService('web', { replicas: 4 });
    world.failing = true;
    world.replicated().start();
    await world.run(500);
    expect(world.tasks(id)).toEqual([]);
    world.failing = false;
    await world.advance(200); // the retry delay
    expect(world.liveSlots(id)).toEqual([1, 2, 3, 4]);
  });

  it('starts a delayed restart when the old leader’s delay runs out, not before and not twice', async () => {
    world = new World();
    await world.addNode('n1');
    const id = await world.addService('web', {
      replicas: 1,
      restart: { condition: 'any', delay: 10 * SECOND },
    });
    world.replicated().start();
    world.restarts().start();
    await world.converge();
    await world.report(world.live(id)[0]!.id, 'failed');
    await world.settle();
    const [replacement] = world.live(id);
    expect(replacement!.desiredState).toBe('ready');
    const created = Date.parse(replacement!.meta.createdAt);

    // The leader goes away 3 s into the delay; another one takes over 2 s later.
    await world.advance(3_000);
    await world.stopAll();
    world.clock.advance(2_000);
    world.replicated().start();
    world.restarts().start();
    await world.settle();
    expect(world.store.get('task', replacement!.id)!.desiredState).toBe('ready');

    await world.advance(5_000);
    const started = world.store.get('task', replacement!.id)!;
    expect(started.desiredState).toBe('running');
    expect(Date.parse(started.meta.updatedAt) - created).toBe(10_000);
    expect(world.tasks(id)).toHaveLength(2);
  });

  it('handles the failures and node losses that happened while nobody led', async () => {
    world = new World();
    const n1 = await world.addNode('n1');
    await world.addNode('n2');
    const id = await world.addService('web', { replicas: 4, restart: { condition: 'any', delay: 0 } });
    world.startAll();
    await world.converge();
    await world.stopAll();

    const onN1 = world.live(id).filter((t) => t.nodeId === n1);
    const elsewhere = world.live(id).find((t) => t.nodeId !== n1)!;
    await world.report(elsewhere.id, 'failed');
    await world.setNode(n1, { state: 'down' });
    await world.scale(id, 5);

    world.startAll();
    await world.converge();
    expect([...liveBySlot(id).entries()].sort()).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
    expect(world.live(id).every((t) => t.nodeId !== n1 && t.status.state === 'running')).toBe(true);
    for (const task of [...onN1, elsewhere])
      expect(world.store.get('task', task.id)!.desiredState).toBe('shutdown');
  });

  it('two orchestrators racing on one store still leave one live task per slot', async () => {
    world = new World();
    await world.addNode('n1');
    const id = await world.addService('web', { replicas: 3, restart: { condition: 'any', delay: 0 } });
    world.deferWrites = true;
    world.startAll();
    world.startAll(); // a deposed leader that has not noticed yet
    await world.run(100);
    // Both read the same empty service and both wrote its slots …
    expect(world.tasks(id).length).toBeGreaterThan(3);
    // … and the next passes keep one task per slot.
    await world.converge();
    expect([...liveBySlot(id).values()]).toEqual([1, 1, 1]);
    expect(world.live(id).every((t) => t.status.state === 'running')).toBe(true);
  });
});

describe('an orchestrator driver', () => {
  it('leaves no timer behind after stop(), and does nothing more', async () => {
    world = new World();
    await world.addNode('n1');
    const timersBefore = world.clock.pending;
    world.startAll();
    await world.settle();
    expect(world.clock.pending).toBeGreaterThan(timersBefore);
    await world.stopAll();
    expect(world.clock.pending).toBe(timersBefore);

    const id = await world.addService('web', { replicas: 2 });
    world.clock.advance(120_000);
    await world.settle();
    expect(world.tasks(id)).toEqual([]);
  });

  it('refuses to start twice and may be stopped twice', async () => {
    world = new World();
    const loop = new ReplicatedOrchestrator(world.loopOptions());
    loop.start();
    expect(() => loop.start()).toThrow(/already started/);
    await loop.stop();
    await loop.stop();
  });

  it('passes again periodically even without events', async () => {
    world = new World();
    const loop = world.replicated({ resyncIntervalMs: 1_000 });
    loop.start();
    await world.settle();
    const passes = loop.passes;
    await world.advance(3_000);
    expect(loop.passes - passes).toBe(3);
  });
});
