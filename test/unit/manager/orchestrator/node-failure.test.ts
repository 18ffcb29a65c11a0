// Replicated tasks when their node fails or is drained: replaced elsewhere, at once, whatever
// the restart policy; a drained node's task is stopped before its replacement starts.

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND, type RestartPolicy } from '../../../../src/api/index.js';
import { World } from './harness.js';

let world: World;
afterEach(async () => {
  await world.stopAll();
});

async function spread(replicas: number, restart: RestartPolicy = { condition: 'none', delay: 30 * SECOND }) {
  world = new World();
  const nodes = [await world.addNode('n1'), await world.addNode('n2'), await world.addNode('n3')];
  const id = await world.addService('web', { replicas, restart });
  world.replicated().start();
  world.restarts().start();
  world.reaper().start();
  await world.converge();
  return { id, nodes };
}

describe('node failure and drain', () => {
  it('replaces the tasks of a node that goes down on other nodes, at once and whatever the policy', async () => {
    const { id, nodes } = await spread(3);
    const [n1] = nodes;
    const lost = world.live(id).find((t) => t.nodeId === n1)!;

    await world.setNode(n1!, { state: 'down' });
    await world.settle();
    // The old task is told to stop; its status is the node's to report (the dispatcher marks
    // it ORPHANED if the node stays away).
    expect(world.store.get('task', lost.id)).toMatchObject({
      desiredState: 'shutdown',
      status: { state: 'running' },
    });
    const replacement = world.live(id).find((t) => t.slot === lost.slot)!;
    expect(replacement.desiredState).toBe('running');

    await world.converge();
    expect(world.liveSlots(id)).toEqual([1, 2, 3]);
    expect(world.live(id).every((t) => t.nodeId !== n1 && t.status.state === 'running')).toBe(true);
  });

  it('replaces the tasks of a node that is deleted', async () => {
    const { id, nodes } = await spread(3);
    await world.removeNode(nodes[0]!);
    await world.converge();
    expect(world.liveSlots(id)).toEqual([1, 2, 3]);
    expect(world.live(id).every((t) => t.nodeId !== nodes[0])).toBe(true);
  });

  it('moves a drained node’s tasks: the replacement starts once the old task stopped', async () => {
    const { id, nodes } = await spread(3);
    const [n1] = nodes;
    const moving = world.live(id).find((t) => t.nodeId === n1)!;

    await world.setNode(n1!, { availability: 'drain' });
    await world.settle();
    const replacement = world.live(id).find((t) => t.slot === moving.slot)!;
    expect(replacement.desiredState).toBe('ready');
    expect(world.store.get('task', moving.id)!.desiredState).toBe('shutdown');

    await world.converge(); // the worker stops the old task; the replacement may start
    expect(world.store.get('task', moving.id)!.status.state).toBe('shutdown');
    expect(world.store.get('task', replacement.id)).toMatchObject({
      desiredState: 'running',
      status: { state: 'running' },
    });
    expect(world.live(id).every((t) => t.nodeId !== n1)).toBe(true);
  });

  it('starts the replacement anyway when the drained node never reports its task stopped', async () => {
    const { id, nodes } = await spread(3);
    const moving = world.live(id).find((t) => t.nodeId === nodes[0])!;
    await world.setNode(nodes[0]!, { availability: 'drain' });
    await world.settle();
    const replacement = world.live(id).find((t) => t.slot === moving.slot)!;

    await world.advance(59_000);
    expect(world.store.get('task', replacement.id)!.desiredState).toBe('ready');
    await world.advance(1_000);
    expect(world.store.get('task', replacement.id)!.desiredState).toBe('running');
  });

  it('leaves the tasks of a paused node where they are', async () => {
    const { id, nodes } = await spread(3);
    const before = world.live(id).map((t) => t.id);
    await world.setNode(nodes[0]!, { availability: 'pause' });
    await world.converge();
    expect(world.live(id).map((t) => t.id)).toEqual(before);
  });

  it('does not count moves against maxAttempts', async () => {
    const { id, nodes } = await spread(1, { condition: 'any', delay: 0, maxAttempts: 1 });
    const [task] = world.live(id);
    await world.setNode(task!.nodeId!, { state: 'down' });
    await world.converge();
    await world.setNode(task!.nodeId!, { state: 'ready' });
    expect(nodes).toContain(task!.nodeId);

    // One own failure is still allowed, the second is not.
    await world.report(world.live(id)[0]!.id, 'failed');
    await world.converge();
    expect(world.live(id)).toHaveLength(1);
    await world.report(world.live(id)[0]!.id, 'failed');
    await world.converge();
    expect(world.live(id)).toHaveLength(0);
  });
});
