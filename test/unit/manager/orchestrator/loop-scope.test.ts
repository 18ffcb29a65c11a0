// What a pass of the orchestration loops covers: the services named by the changes that woke it,
// or every service when it was woken by something that can touch any (a node, a deadline, the
// safety-net resync, its start). A scoped pass must still see each of its services whole, and no
// change may fall between two passes.

import { afterEach, describe, expect, it } from 'vitest';
import { ControlLoop, readSnapshot, type PassScope } from '../../../../src/manager/orchestrator/index.js';
import { World } from './harness.js';

/** A loop that decides nothing and records the scope of every pass and what it read. */
function recordingLoop(
  world: World,
  extra: { resyncIntervalMs?: number; resyncJitter?: number; random?: () => number } = {},
) {
  const scopes: Array<'all' | string[]> = [];
  const reads: Array<{ services: string[]; taskServices: string[] }> = [];
  let wakeAt: number | undefined;
  const loop = new ControlLoop(world.loopOptions(extra), {
    name: 'test.recording',
    watch: { kinds: ['service', 'task', 'node'] },
    wants: () => true,
    plan: (_now, scope: PassScope) => {
      scopes.push(scope === 'all' ? 'all' : [...scope].sort());
      const snapshot = readSnapshot(world.store, scope);
      reads.push({
        services: [...snapshot.services.keys()].sort(),
        taskServices: [...snapshot.tasksByService.keys()].sort(),
      });
      const plan = { units: [], wakeAt };
      wakeAt = undefined;
      return plan;
    },
  });
  world.loops.push(loop);
  return {
    loop,
    scopes,
    reads,
    wakeAt: (at: number) => {
      wakeAt = at;
    },
  };
}

describe('orchestration pass scope', () => {
  let world: World;
  afterEach(async () => {
    await world.stopAll();
  });

  it('starts with a pass over every service, then passes over the services that changed', async () => {
    world = new World();
    await world.addNode('n1');
    const a = await world.addService('a', { replicas: 2 });
    const b = await world.addService('b', { replicas: 1 });
    const recording = recordingLoop(world);
    recording.loop.start();
    await world.settle();
    expect(recording.scopes).toEqual(['all']);
    expect(recording.reads[0]!.services).toEqual([a, b].sort());

    const c = await world.addService('c', { replicas: 1 });
    await world.settle();
    expect(recording.scopes.at(-1)).toEqual([c]);
    expect(recording.reads.at(-1)).toEqual({ services: [c], taskServices: [] });

    // A task event names its service; the pass reads that service with all of its tasks.
    await world.store.update([
      {
        op: 'create',
        kind: 'task',
        object: {
          serviceId: a,
          slot: 1,
          desiredState: 'running',
          spec: {},
          status: { state: 'new' },
        } as never,
      },
    ]);
    await world.settle();
    expect(recording.scopes.at(-1)).toEqual([a]);
    expect(recording.reads.at(-1)).toEqual({ services: [a], taskServices: [a] });
  });

  it('coalesces the services of a batch into one pass, and a node change into a pass over all', async () => {
    world = new World();
    const node = await world.addNode('n1');
    const recording = recordingLoop(world);
    recording.loop.start();
    await world.settle();
    const passes = recording.scopes.length;

    const x = await world.addService('x');
    const y = await world.addService('y');
    await world.settle();
    expect(recording.scopes.slice(passes)).toEqual([[x, y].sort()]);

    await world.addService('z');
    await world.setNode(node, { availability: 'drain' });
    await world.settle();
    expect(recording.scopes.at(-1)).toBe('all');
  });

  it('keeps what changes during a pass for the next one', async () => {
    world = new World();
    await world.addNode('n1');
    // Writes apply a macrotask after they are proposed: a pass that commits stays in flight.
    world.deferWrites = true;
    const scopes: Array<'all' | string[]> = [];
    let wroteDuringPass = false;
    const loop = new ControlLoop(world.loopOptions(), {
      name: 'test.in-flight',
      watch: { kinds: ['service'] },
      wants: () => true,
      plan: (_now, scope) => {
        scopes.push(scope === 'all' ? 'all' : [...scope].sort());
        if (scope === 'all' || wroteDuringPass) return { units: [] };
        wroteDuringPass = true;
        // A change made after this pass read the store, while it is still committing.
        void world.addService('during');
        const service = world.store.get('service', [...scope][0]!)!;
        return { units: [{ reason: 'relabel', ops: [{ op: 'update', kind: 'service', object: service }] }] };
      },
    });
    world.loops.push(loop);
    loop.start();
    await world.settle();
    const first = await world.addService('first');
    await world.settle();
    expect(wroteDuringPass).toBe(true);
    const during = world.store.getByName('service', 'during')!.id;
    const scopedAfter = scopes.slice(scopes.findIndex((s) => s !== 'all' && s.includes(first)) + 1);
    expect(scopedAfter.some((s) => s !== 'all' && s.includes(during))).toBe(true);
  });

  it('passes over every service at a deadline a pass named and at the periodic resync', async () => {
    world = new World();
    await world.addNode('n1');
    await world.addService('a');
    const recording = recordingLoop(world, { resyncIntervalMs: 10_000 });
    recording.loop.start();
    await world.settle();
    const b = await world.addService('b');
    recording.wakeAt(world.clock.now() + 1_000);
    await world.settle();
    expect(recording.scopes.at(-1)).toEqual([b]);
    await world.advance(1_000);
    expect(recording.scopes.at(-1)).toBe('all');
    const passes = recording.scopes.length;
    await world.advance(10_000);
    expect(recording.scopes.slice(passes)).toEqual(['all']);
  });

  it('reads only the services of the modes a loop decides for, and no tasks of others', async () => {
    world = new World();
    await world.addNode('n1');
    const replicated = await world.addService('r', { replicas: 1 });
    const global = await world.addService('g', { global: true });
    for (const [id, slot] of [
      [replicated, 1],
      [global, undefined],
    ] as const)
      await world.store.update([
        {
          op: 'create',
          kind: 'task',
          object: {
            serviceId: id,
            slot,
            desiredState: 'running',
            spec: {},
            status: { state: 'new' },
          } as never,
        },
      ]);
    const onlyGlobal = readSnapshot(world.store, 'all', new Set(['global']));
    expect([...onlyGlobal.services.keys()]).toEqual([global]);
    expect([...onlyGlobal.tasksByService.keys()]).toEqual([global]);
    const scoped = readSnapshot(world.store, new Set([replicated, global]), new Set(['replicated']));
    expect([...scoped.tasksByService.keys()]).toEqual([replicated]);
    // Unfiltered, a scope also reads the tasks of a service that no longer exists (the reaper's).
    await world.removeService(replicated);
    const reaper = readSnapshot(world.store, new Set([replicated]));
    expect(reaper.services.size).toBe(0);
    expect([...reaper.tasksByService.keys()]).toEqual([replicated]);
  });

  it('moves each periodic resync by up to its jitter, so the loops do not resync at one moment', async () => {
    for (const [random, dueAt] of [
      [0, 9_000],
      [0.999_999, 11_000],
    ] as const) {
      world = new World();
      const recording = recordingLoop(world, {
        resyncIntervalMs: 10_000,
        resyncJitter: 0.1,
        random: () => random,
      });
      recording.loop.start();
      await world.settle();
      const started = world.clock.now();
      await world.advance(dueAt - 200);
      expect(recording.scopes).toEqual(['all']);
      await world.advance(400);
      expect(recording.scopes).toEqual(['all', 'all']);
      expect(world.clock.now() - started).toBeGreaterThanOrEqual(dueAt);
      await world.stopAll();
    }
  });
});
