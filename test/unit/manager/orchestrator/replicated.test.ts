// The replicated orchestrator over a real store: slots, scaling in both directions (which slots
// go), convergence from partial states, retired slots and service removal.

import { afterEach, describe, expect, it } from 'vitest';
import { withServiceDefaults } from '../../../../src/api/index.js';
import { World } from './harness.js';

let world: World;
afterEach(async () => {
  await world.stopAll();
});

async function replicatedWorld(nodes = 3): Promise<World> {
  world = new World();
  for (let i = 1; i <= nodes; i++) await world.addNode(`n${i}`);
  return world;
}

describe('the replicated orchestrator', () => {
  it('creates one task per slot, numbered from 1, as NEW tasks desired RUNNING', async () => {
    await replicatedWorld();
    const id = await world.addService('web', { replicas: 3 });
    world.replicated().start();
    await world.settle();

    const tasks = world.tasks(id);
    expect(tasks.map((t) => t.slot).sort()).toEqual([1, 2, 3]);
    const service = world.store.get('service', id)!;
    for (const task of tasks) {
      expect(task.status.state).toBe('new');
      expect(task.desiredState).toBe('running');
      expect(task.serviceId).toBe(id);
      expect(task.name).toBe(`web.${task.slot}`);
      expect(task.spec).toEqual(service.spec.taskTemplate);
      expect(task.nodeId).toBeUndefined();
    }
  });

  it('scales up by adding the next slots and leaves running tasks alone', async () => {
    await replicatedWorld();
    const id = await world.addService('web', { replicas: 2 });
    world.replicated().start();
    await world.converge();
    const before = world.tasks(id).map((t) => t.id);

    await world.scale(id, 5);
    await world.converge();
    expect(world.liveSlots(id)).toEqual([1, 2, 3, 4, 5]);
    expect(
      world
        .tasks(id)
        .filter((t) => before.includes(t.id))
        .every((t) => t.status.state === 'running'),
    ).toBe(true);
  });

  it('scales down by removing the highest slots when placement is balanced', async () => {
    await replicatedWorld(5);
    const id = await world.addService('web', { replicas: 5 });
    world.replicated().start();
    world.reaper().start();
    await world.converge();
    expect(new Set(world.live(id).map((t) => t.nodeId)).size).toBe(5);

    await world.scale(id, 3);
    await world.settle();
    const removed = world.tasks(id).filter((t) => t.desiredState === 'remove');
    expect(removed.map((t) => t.slot).sort()).toEqual([4, 5]);
    expect(world.liveSlots(id)).toEqual([1, 2, 3]);

    // Workers stop them; the reaper deletes tasks desired REMOVE once they stopped.
    await world.converge();
    expect(
      world
        .tasks(id)
        .map((t) => t.slot)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it('scales down on the nodes that run the most copies first', async () => {
    await replicatedWorld(2);
    const [n1, n2] = world.nodes().map((n) => n.id) as [string, string];
    const id = await world.addService('web', { replicas: 4 });
    world.replicated().start();
    await world.settle();
    // Place by hand: slots 1, 2, 3 on n1, slot 4 on n2.
    for (const task of world.tasks(id)) {
      const nodeId = task.slot === 4 ? n2 : n1;
      await world.store.update([
        {
          op: 'update',
          kind: 'task',
          object: { ...task, nodeId, status: { ...task.status, state: 'running' } },
        },
      ]);
    }

    await world.scale(id, 2);
    await world.settle();
    const live = world.live(id);
    expect(live.map((t) => t.nodeId).sort()).toEqual([n1, n2].sort());
    // Of n1's three copies the lowest slot stays.
    expect(world.liveSlots(id)).toEqual([1, 4]);
  });

  it('removes tasks that are not running yet before running ones', async () => {
    await replicatedWorld(3);
    const id = await world.addService('web', { replicas: 3 });
    world.replicated().start();
    await world.settle();
    const [first, second] = world.tasks(id).sort((a, b) => a.slot! - b.slot!);
    for (const task of [first!, second!])
      await world.store.update([
        {
          op: 'update',
          kind: 'task',
          object: {
            ...task,
            nodeId: world.nodes()[task.slot!]!.id,
            status: { ...task.status, state: 'running' },
          },
        },
      ]);
    await world.scale(id, 2);
    await world.settle();
    expect(world.liveSlots(id)).toEqual([1, 2]);
  });

  it('converges from a partial state: gaps, duplicates and tasks without a slot', async () => {
    await replicatedWorld();
    const id = await world.addService('web', { replicas: 4 });
    const service = world.store.get('service', id)!;
    const task = (slot: number | undefined) => ({
      name: 'web',
      labels: {},
      spec: service.spec.taskTemplate,
      serviceId: id,
      ...(slot === undefined ? {} : { slot }),
      status: {
        state: 'new' as const,
        timestamp: new Date(world.clock.now()).toISOString(),
        message: 'created',
      },
      desiredState: 'running' as const,
    });
    await world.store.update([
      { op: 'create', kind: 'task', object: task(1) },
      { op: 'create', kind: 'task', object: task(3) },
      { op: 'create', kind: 'task', object: task(3) },
      { op: 'create', kind: 'task', object: task(7) },
      { op: 'create', kind: 'task', object: task(undefined) },
    ]);
    world.replicated().start();
    await world.settle();

    expect(world.liveSlots(id)).toEqual([1, 2, 3, 7]);
    expect(
      world
        .tasks(id)
        .filter((t) => t.slot === undefined)
        .map((t) => t.desiredState),
    ).toEqual(['remove']);
    expect(
      world
        .tasks(id)
        .filter((t) => t.slot === 3)
        .map((t) => t.desiredState)
        .sort(),
    ).toEqual(['running', 'shutdown']);
  });

  it('keeps the current, most advanced task of a duplicated slot', async () => {
    await replicatedWorld();
    const id = await world.addService('web', { replicas: 1 });
    world.replicated().start();
    await world.converge();
    const [running] = world.live(id);
    const service = world.store.get('service', id)!;
    await world.store.update([
      {
        op: 'create',
        kind: 'task',
        object: {
          labels: {},
          spec: service.spec.taskTemplate,
          serviceId: id,
          slot: 1,
          status: { state: 'new', timestamp: new Date(world.clock.now()).toISOString(), message: 'created' },
          desiredState: 'running',
        },
      },
    ]);
    await world.settle();
    expect(world.live(id).map((t) => t.id)).toEqual([running!.id]);
  });

  it('does not refill a slot whose restart policy retired it, until the spec changes', async () => {
    await replicatedWorld();
    const id = await world.addService('job', { replicas: 2, restart: { condition: 'none' } });
    world.replicated().start();
    world.restarts().start();
    world.updater().start();
    await world.converge();
    const [slot1] = world.live(id).filter((t) => t.slot === 1);
    await world.report(slot1!.id, 'complete');
    await world.converge();
    expect(world.liveSlots(id)).toEqual([2]);
    expect(world.store.get('task', slot1!.id)!.desiredState).toBe('shutdown');

    // A scale change keeps it retired …
    await world.scale(id, 3);
    await world.converge();
    expect(world.liveSlots(id)).toEqual([2, 3]);

    // … a new spec does not: the rolling update gives the slot a task on the new template.
    await world.updateService(id, (spec) =>
      withServiceDefaults({ ...spec, taskTemplate: { ...spec.taskTemplate, forceUpdate: 1 } }),
    );
    await world.converge();
    expect(world.liveSlots(id)).toEqual([1, 2, 3]);
  });

  it('ignores global services and jobs', async () => {
    await replicatedWorld();
    await world.addService('agent', { global: true });
    await world.store.update([
      {
        op: 'create',
        kind: 'service',
        object: {
          spec: {
            ...withServiceDefaults({ name: 'batch', taskTemplate: { containerSpec: { image: 'x' } } }),
            mode: { replicatedJob: { maxConcurrent: 1, totalCompletions: 1 } },
          },
        },
      },
    ]);
    world.replicated().start();
    await world.settle();
    expect(world.tasks()).toEqual([]);
  });

  it('writes a large scale-up in several transactions of bounded size', async () => {
    await replicatedWorld();
    const id = await world.addService('web', { replicas: 450 });
    const before = world.store.version;
    world.replicated({ maxOpsPerTransaction: 200 }).start();
    await world.settle();
    expect(world.live(id)).toHaveLength(450);
    expect(world.store.version - before).toBe(3);
  });
});
