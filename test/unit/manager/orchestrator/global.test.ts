// The global orchestrator over a real store: one task per eligible node as nodes join, leave,
// go down, drain, pause and change labels; constraints; retired nodes.

import { afterEach, describe, expect, it } from 'vitest';
import { World } from './harness.js';

let world: World;
afterEach(async () => {
  await world.stopAll();
});

function globalWorld(): World {
  world = new World();
  world.global().start();
  world.restarts().start();
  world.reaper().start();
  return world;
}

describe('the global orchestrator', () => {
  it('runs one task on every ready, active node, pinned to it', async () => {
    globalWorld();
    const n1 = await world.addNode('n1');
    const n2 = await world.addNode('n2');
    await world.addNode('n3', { availability: 'drain' });
    await world.addNode('n4', { state: 'down' });
    await world.addNode('n5', { availability: 'pause' });
    await world.addNode('n6', { state: 'unknown' });
    const id = await world.addService('agent', { global: true });
    await world.settle();

    expect(world.liveNodes(id)).toEqual([n1, n2].sort());
    for (const task of world.tasks(id)) {
      expect(task.slot).toBeUndefined();
      expect(task.name).toBe(`agent.${task.nodeId}`);
      expect(task.status.state).toBe('new');
    }
  });

  it('adds a task when a node joins or becomes ready', async () => {
    globalWorld();
    const id = await world.addService('agent', { global: true });
    const n1 = await world.addNode('n1');
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1]);

    const n2 = await world.addNode('n2', { state: 'unknown' });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1]);
    await world.setNode(n2, { state: 'ready' });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1, n2].sort());
  });

  it('shuts the task down when its node goes down, and runs a new one when it is back', async () => {
    globalWorld();
    const n1 = await world.addNode('n1');
    const id = await world.addService('agent', { global: true });
    await world.converge();
    const [first] = world.live(id);

    await world.setNode(n1, { state: 'down' });
    await world.converge();
    expect(world.live(id)).toEqual([]);
    // Shut down, not replaced elsewhere: the status stays what the node last said.
    expect(world.store.get('task', first!.id)).toMatchObject({
      desiredState: 'shutdown',
      status: { state: 'running' },
    });

    await world.setNode(n1, { state: 'ready' });
    await world.converge();
    const live = world.live(id);
    expect(live).toHaveLength(1);
    expect(live[0]!.id).not.toBe(first!.id);
    expect(live[0]!.nodeId).toBe(n1);
  });

  it('shuts the task down on drain and runs it again when the node is active', async () => {
    globalWorld();
    const n1 = await world.addNode('n1');
    const n2 = await world.addNode('n2');
    const id = await world.addService('agent', { global: true });
    await world.converge();

    await world.setNode(n1, { availability: 'drain' });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n2]);
    expect(world.tasks(id).find((t) => t.nodeId === n1)!.status.state).toBe('shutdown');

    await world.setNode(n1, { availability: 'active' });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1, n2].sort());
  });

  it('keeps the task of a paused node, adds none to one, and does not restart one there', async () => {
    globalWorld();
    const n1 = await world.addNode('n1');
    const id = await world.addService('agent', { global: true, restart: { condition: 'any', delay: 0 } });
    await world.converge();
    const [task] = world.live(id);

    await world.setNode(n1, { availability: 'pause' });
    await world.converge();
    expect(world.live(id).map((t) => t.id)).toEqual([task!.id]);

    await world.addNode('n2', { availability: 'pause' });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1]);

    await world.report(task!.id, 'failed');
    await world.converge();
    expect(world.live(id)).toEqual([]);

    await world.setNode(n1, { availability: 'active' });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1]);
  });

  it('shuts down tasks of a deleted node and the task reaper deletes them', async () => {
    globalWorld();
    const n1 = await world.addNode('n1');
    const n2 = await world.addNode('n2');
    const id = await world.addService('agent', { global: true });
    await world.converge();

    await world.removeNode(n1);
    await world.converge();
    expect(world.tasks(id).map((t) => t.nodeId)).toEqual([n2]);
  });

  it('follows constraints as node labels change', async () => {
    globalWorld();
    const n1 = await world.addNode('n1', { labels: { zone: 'a' } });
    const n2 = await world.addNode('n2', { labels: { zone: 'b' } });
    const n3 = await world.addNode('n3');
    const id = await world.addService('agent', { global: true, constraints: ['node.labels.zone==a'] });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1]);

    await world.setNode(n2, { labels: { zone: 'a' } });
    await world.setNode(n1, { labels: { zone: 'c' } });
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n2]);

    await world.updateService(id, (spec) => ({
      ...spec,
      taskTemplate: { ...spec.taskTemplate, placement: { constraints: ['node.labels.zone!=a'] } },
    }));
    await world.converge();
    expect(world.liveNodes(id)).toEqual([n1, n3].sort());
  });

  it('does not give a node a new task once the restart policy retired it there', async () => {
    globalWorld();
    const n1 = await world.addNode('n1');
    const id = await world.addService('agent', { global: true, restart: { condition: 'on-failure' } });
    await world.converge();
    await world.report(world.live(id)[0]!.id, 'complete');
    await world.converge();
    expect(world.live(id)).toEqual([]);
    expect(world.tasks(id).map((t) => t.nodeId)).toEqual([n1]);
  });

  it('keeps one task when a node has two', async () => {
    globalWorld();
    await world.addNode('n1');
    const id = await world.addService('agent', { global: true });
    await world.converge();
    const [task] = world.live(id);
    const { meta: _meta, id: _id, ...copy } = task!;
    await world.store.update([
      { op: 'create', kind: 'task', object: { ...copy, status: { ...copy.status, state: 'new' } } },
    ]);
    await world.converge();
    expect(world.live(id).map((t) => t.id)).toEqual([task!.id]);
  });
});
