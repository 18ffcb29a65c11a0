// The task reaper over a real store: history retention per slot and per node, the cluster's
// limit and its changes, maxAttempts keeping more, and the tasks of removed services and slots.

import { afterEach, describe, expect, it } from 'vitest';
import { withClusterDefaults } from '../../../../src/api/index.js';
import { DEFAULT_REAPER_BATCH_DELAY_MS } from '../../../../src/manager/orchestrator/taskreaper/index.js';
import { STEP_MS, World } from './harness.js';

let world: World;
afterEach(async () => {
  await world.stopAll();
});

async function crashLooping(options: { retention?: number; maxAttempts?: number; global?: boolean } = {}) {
  world = new World();
  if (options.retention !== undefined)
    await world.store.update([
      {
        op: 'create',
        kind: 'cluster',
        object: {
          spec: withClusterDefaults({ orchestration: { taskHistoryRetentionLimit: options.retention } }),
          joinTokens: { worker: 'w', manager: 'm' },
          rootRotationInProgress: false,
          defaultAddrPool: ['10.0.0.0/8'],
          subnetSize: 24,
          dataPathPort: 4789,
        },
      },
    ]);
  await world.addNode('n1');
  const id = await world.addService('web', {
    replicas: 2,
    global: options.global,
    restart: { condition: 'any', delay: 0, maxAttempts: options.maxAttempts ?? 0 },
  });
  world.startAll();
  await world.converge();
  return id;
}

/** Fails the live task of every slot `times` times, letting everything react in between. */
async function failRepeatedly(id: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    for (const task of world.live(id)) await world.report(task.id, 'failed');
    await world.converge();
  }
}

function perSlot(id: string, key: 'slot' | 'nodeId' = 'slot'): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const task of world.tasks(id)) counts.set(task[key], (counts.get(task[key]) ?? 0) + 1);
  return counts;
}

describe('the task reaper', () => {
  it('keeps at most 5 tasks per slot by default, the live one and the newest history', async () => {
    const id = await crashLooping();
    await failRepeatedly(id, 8);
    expect([...perSlot(id).values()]).toEqual([5, 5]);
    const slot1 = world.tasks(id).filter((t) => t.slot === 1);
    expect(slot1.filter((t) => t.desiredState === 'running')).toHaveLength(1);
    // What remains is the newest: the first failures were deleted.
    const created = slot1.map((t) => Date.parse(t.meta.createdAt)).sort((a, b) => a - b);
    expect(created[0]).toBeGreaterThan(Date.parse(world.store.list('service')[0]!.meta.createdAt));
  });

  it('follows the cluster’s retention limit, and its changes', async () => {
    const id = await crashLooping({ retention: 2 });
    await failRepeatedly(id, 4);
    expect([...perSlot(id).values()]).toEqual([2, 2]);

    const cluster = world.store.list('cluster')[0]!;
    await world.store.update([
      {
        op: 'update',
        kind: 'cluster',
        object: { ...cluster, spec: { ...cluster.spec, orchestration: { taskHistoryRetentionLimit: 3 } } },
      },
    ]);
    await failRepeatedly(id, 3);
    expect([...perSlot(id).values()]).toEqual([3, 3]);
  });

  it('keeps maxAttempts + 1 tasks when that is more, so attempts can still be counted', async () => {
    const id = await crashLooping({ retention: 2, maxAttempts: 4 });
    await failRepeatedly(id, 6);
    // 1 task + 4 restarts per slot, all kept; the policy then stopped restarting.
    expect([...perSlot(id).values()]).toEqual([5, 5]);
    expect(world.live(id)).toEqual([]);
  });

  it('keeps everything with a negative limit', async () => {
    const id = await crashLooping({ retention: -1 });
    await failRepeatedly(id, 7);
    expect([...perSlot(id).values()]).toEqual([8, 8]);
  });

  it('keeps only the newest task of a slot with a limit of 0', async () => {
    const id = await crashLooping({ retention: 0 });
    await failRepeatedly(id, 3);
    expect([...perSlot(id).values()]).toEqual([1, 1]);
  });

  it('keeps the last task of a retired slot even with a limit of 0, so it is not refilled', async () => {
    world = new World();
    await world.store.update([
      {
        op: 'create',
        kind: 'cluster',
        object: {
          spec: withClusterDefaults({ orchestration: { taskHistoryRetentionLimit: 0 } }),
          joinTokens: { worker: 'w', manager: 'm' },
          rootRotationInProgress: false,
          defaultAddrPool: ['10.0.0.0/8'],
          subnetSize: 24,
          dataPathPort: 4789,
        },
      },
    ]);
    await world.addNode('n1');
    const id = await world.addService('once', { replicas: 1, restart: { condition: 'none' } });
    world.startAll();
    await world.converge();
    const [task] = world.live(id);
    await world.report(task!.id, 'complete');
    await world.converge();
    await world.advance(60_000);
    expect(world.tasks(id).map((t) => [t.id, t.desiredState])).toEqual([[task!.id, 'shutdown']]);
  });

  it('keeps history per node for global services', async () => {
    const id = await crashLooping({ global: true });
    await world.addNode('n2');
    await world.converge();
    await failRepeatedly(id, 6);
    expect([...perSlot(id, 'nodeId').values()]).toEqual([5, 5]);
  });

  it('stops the tasks of a removed service, then deletes them once they stopped', async () => {
    const id = await crashLooping();
    await failRepeatedly(id, 2);
    await world.removeService(id);
    await world.settle();
    expect(world.tasks(id).length).toBeGreaterThan(0);
    expect(world.tasks(id).every((t) => t.desiredState === 'remove')).toBe(true);
    await world.converge();
    expect(world.tasks(id)).toEqual([]);
  });

  it('acts on a removed service at once, without waiting out its 250 ms batching', async () => {
    world = new World();
    const id = await world.addService('web', { replicas: 3 });
    world.replicated().start();
    world.reaper({ batchDelayMs: DEFAULT_REAPER_BATCH_DELAY_MS }).start();
    await world.settle();
    expect(world.tasks(id)).toHaveLength(3);
    await world.removeService(id);
    await world.run(3 * STEP_MS);
    expect(world.tasks(id).map((t) => t.desiredState)).toEqual(['remove', 'remove', 'remove']);
  });

  it('deletes at once the never-started tasks of a removed service', async () => {
    world = new World();
    const id = await world.addService('web', { replicas: 3 }); // no nodes: nothing gets placed
    world.startAll();
    await world.settle();
    expect(world.tasks(id)).toHaveLength(3);
    await world.removeService(id);
    await world.settle();
    expect(world.tasks(id)).toEqual([]);
  });

  it('waits for a removed task whose node is down, and deletes it once the node is gone', async () => {
    const id = await crashLooping();
    const [task] = world.live(id);
    await world.setNode(task!.nodeId!, { state: 'down' });
    await world.removeService(id);
    await world.converge();
    expect(world.tasks(id).map((t) => t.id)).toContain(task!.id);
    await world.removeNode(task!.nodeId!);
    await world.converge();
    expect(world.tasks(id)).toEqual([]);
  });

  it('makes no pass for task creations: a new service costs it none, a task told to stop one', async () => {
    world = new World();
    await world.addNode('n1');
    const reaper = world.reaper();
    reaper.start();
    await world.settle();
    const passes = reaper.passes;
    const id = await world.addService('web', { replicas: 50 });
    world.replicated().start();
    await world.settle();
    expect(world.tasks(id)).toHaveLength(50);
    expect(reaper.passes).toBe(passes);

    const [task] = world.tasks(id);
    await world.store.update([
      { op: 'patch', kind: 'task', id: task!.id, fields: { desiredState: 'shutdown' } },
    ]);
    await world.settle();
    expect(reaper.passes).toBe(passes + 1);
  });
});
