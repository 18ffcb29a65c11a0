// Property tests: random sequences of scale changes, node events, task failures, cluster
// progress and time, with all four loops running. At every step no slot (or node) has two live
// tasks; once things settle every replicated service has exactly `replicas` tasks desired
// RUNNING, every global service one on each node that should run it and none on nodes that must
// not, and no slot keeps more history than the retention limit. A failing case prints its seed
// and path (fast-check), so it can be replayed alone.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeAvailability, NodeState, TaskState } from '../../../../src/api/index.js';
import {
  constraintsOf,
  globalPlacement,
  isLive,
  modeOf,
  mustVacate,
  replicasOf,
  type StoredTask,
} from '../../../../src/manager/orchestrator/index.js';
import { World } from './harness.js';

type Command =
  | { kind: 'scale'; service: number; replicas: number }
  | { kind: 'nodeState'; node: number; state: NodeState }
  | { kind: 'availability'; node: number; availability: NodeAvailability }
  | { kind: 'label'; node: number; zone: string }
  | { kind: 'addNode' }
  | { kind: 'removeNode'; node: number }
  | { kind: 'endTask'; pick: number; state: TaskState }
  | { kind: 'runCluster' }
  | { kind: 'advance'; ms: number }
  | { kind: 'settle' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('scale' as const), service: fc.nat(1), replicas: fc.nat(6) }),
  fc.record({
    kind: fc.constant('nodeState' as const),
    node: fc.nat(7),
    state: fc.constantFrom<NodeState>('ready', 'down', 'ready'),
  }),
  fc.record({
    kind: fc.constant('availability' as const),
    node: fc.nat(7),
    availability: fc.constantFrom<NodeAvailability>('active', 'pause', 'drain', 'active'),
  }),
  fc.record({ kind: fc.constant('label' as const), node: fc.nat(7), zone: fc.constantFrom('a', 'b') }),
  fc.constant({ kind: 'addNode' as const }),
  fc.record({ kind: fc.constant('removeNode' as const), node: fc.nat(7) }),
  fc.record({
    kind: fc.constant('endTask' as const),
    pick: fc.nat(50),
    state: fc.constantFrom<TaskState>('failed', 'complete', 'rejected', 'orphaned'),
  }),
  fc.constant({ kind: 'runCluster' as const }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4_000 }) }),
  fc.constant({ kind: 'settle' as const }),
);

async function apply(world: World, services: string[], cmd: Command): Promise<void> {
  const nodes = world.nodes();
  const node = (i: number) => (nodes.length > 0 ? nodes[i % nodes.length]! : undefined);
  switch (cmd.kind) {
    case 'scale':
      return world.scale(services[cmd.service]!, cmd.replicas);
    case 'nodeState': {
      const n = node(cmd.node);
      return n && world.setNode(n.id, { state: cmd.state });
    }
    case 'availability': {
      const n = node(cmd.node);
      return n && world.setNode(n.id, { availability: cmd.availability });
    }
    case 'label': {
      const n = node(cmd.node);
      return n && world.setNode(n.id, { labels: { zone: cmd.zone } });
    }
    case 'addNode':
      await world.addNode(`n${world.store.version}`, { labels: { zone: 'a' } });
      return;
    case 'removeNode': {
      const n = node(cmd.node);
      return n && world.removeNode(n.id);
    }
    case 'endTask': {
      const running = world.tasks().filter((t) => isLive(t) && t.status.state === 'running');
      const task = running[cmd.pick % Math.max(1, running.length)];
      return task && world.report(task.id, cmd.state);
    }
    case 'runCluster':
      return world.runCluster();
    case 'advance':
      return world.advance(cmd.ms);
    case 'settle':
      return world.settle();
  }
}

/** Never two live tasks in one slot (replicated) or on one node (global). */
function checkNoDoubles(world: World): void {
  const seen = new Map<string, StoredTask>();
  for (const task of world.tasks()) {
    if (!isLive(task)) continue;
    const service = world.store.get('service', task.serviceId);
    if (!service) continue;
    const key = `${task.serviceId}/${modeOf(service) === 'global' ? task.nodeId : task.slot}`;
    const other = seen.get(key);
    expect(other, `two live tasks in ${key}: ${other?.id} and ${task.id}`).toBeUndefined();
    seen.set(key, task);
  }
}

/** The settled state: counts as the specs say, and history within the retention limit. */
function checkConverged(world: World): void {
  checkNoDoubles(world);
  for (const service of world.store.list('service')) {
    const live = world.live(service.id);
    expect(live.every((t) => t.desiredState === 'running')).toBe(true);
    if (modeOf(service) === 'replicated') {
      expect(live, `${service.spec.name}: live tasks`).toHaveLength(replicasOf(service));
      // None left on a node that is down, drained or gone; all running if anywhere can run them.
      for (const task of live)
        if (task.nodeId)
          expect(mustVacate(world.store.get('node', task.nodeId)), `${task.id}'s node`).toBe(false);
      const placeable = world
        .nodes()
        .some((n) => n.status.state === 'ready' && n.spec.availability === 'active');
      if (placeable) expect(live.every((t) => t.status.state === 'running')).toBe(true);
      continue;
    }
    const matches = constraintsOf(service);
    for (const node of world.nodes()) {
      const onNode = live.filter((t) => t.nodeId === node.id).length;
      const placement = globalPlacement(node, matches);
      if (placement === 'run') {
        expect(onNode, `${service.spec.name} on ${node.spec.name}`).toBe(1);
        expect(live.find((t) => t.nodeId === node.id)!.status.state).toBe('running');
      }
      if (placement === 'stop') expect(onNode, `${service.spec.name} on ${node.spec.name}`).toBe(0);
    }
    const nodeIds = new Set(world.nodes().map((n) => n.id));
    expect(live.every((t) => nodeIds.has(t.nodeId!))).toBe(true);
  }
}

function checkHistory(world: World): void {
  const perSlot = new Map<string, number>();
  for (const task of world.tasks()) {
    if (task.desiredState === 'remove') continue;
    const key = `${task.serviceId}/${task.slot ?? task.nodeId}`;
    perSlot.set(key, (perSlot.get(key) ?? 0) + 1);
  }
  for (const [key, count] of perSlot) expect(count, `history of ${key}`).toBeLessThanOrEqual(5);
}

/** Lets everything run, past any restart delay, until nothing changes. */
async function quiesce(world: World): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await world.converge();
    const waiting = world.tasks().some((t) => t.desiredState === 'ready');
    if (!waiting) return;
    await world.advance(10_000);
  }
  throw new Error('restarts still waiting after 200 s');
}

describe('orchestration properties', () => {
  it('converges to the specs from any sequence of scale changes, node events and task failures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), async (commands) => {
        const world = new World();
        try {
          for (let i = 0; i < 4; i++)
            await world.addNode(`n${i + 1}`, { labels: { zone: i % 2 ? 'b' : 'a' } });
          const services = [
            await world.addService('web', {
              replicas: 3,
              restart: { condition: 'any', delay: 1_000_000_000 },
            }),
            await world.addService('api', { replicas: 2, restart: { condition: 'on-failure', delay: 0 } }),
          ];
          await world.addService('agent', {
            global: true,
            restart: { condition: 'any', delay: 500_000_000 },
          });
          await world.addService('zonal', { global: true, constraints: ['node.labels.zone==a'] });
          world.startAll({ maxDelayMs: 8_000 });
          for (const cmd of commands) {
            await apply(world, services, cmd);
            await world.run(10);
            checkNoDoubles(world);
          }
          // `api` restarts on failure only: a completed task retires its slot for good. Give the
          // property something to count by bumping its spec, which brings retired slots back.
          await world.updateService(services[1]!, (spec) => ({
            ...spec,
            taskTemplate: { ...spec.taskTemplate, forceUpdate: (spec.taskTemplate.forceUpdate ?? 0) + 1 },
          }));
          await quiesce(world);
          checkConverged(world);

          // With every node back, stopped tasks report in and history is trimmed.
          for (const node of world.nodes())
            if (node.status.state !== 'ready') await world.setNode(node.id, { state: 'ready' });
          await quiesce(world);
          checkConverged(world);
          checkHistory(world);
        } finally {
          await world.stopAll();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never leaves two live tasks in a slot while two sets of loops race', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 15 }), async (commands) => {
        const world = new World();
        try {
          for (let i = 0; i < 3; i++) await world.addNode(`n${i + 1}`);
          const services = [
            await world.addService('web', { replicas: 3, restart: { condition: 'any', delay: 0 } }),
            await world.addService('api', { replicas: 1, restart: { condition: 'any', delay: 0 } }),
          ];
          world.deferWrites = true;
          world.startAll();
          world.startAll();
          for (const cmd of commands) await apply(world, services, cmd);
          await quiesce(world);
          // Duplicates written by the race are shut down again once the loops see them.
          checkConverged(world);
        } finally {
          await world.stopAll();
        }
      }),
      { numRuns: 60 },
    );
  });
});
