// Scoring and spreading: which of the eligible nodes each task of a batch goes to, with and
// without placement preferences, and that the outcome never depends on the order things were
// seen in.

import { describe, expect, it } from 'vitest';
import type { Node, Task } from '../../../../src/api/index.js';
import { SchedulerState } from '../../../../src/manager/scheduler/index.js';
import type { DeepReadonly } from '../../../../src/manager/store/index.js';
import { AT, countByNode, node, pendingTasks, task } from './helpers.js';

function place(nodes: Array<DeepReadonly<Node>>, tasks: Array<DeepReadonly<Task>>): Map<string, string> {
  const state = SchedulerState.from(nodes, tasks, () => []);
  const placed = new Map<string, string>();
  for (const d of state.plan(AT)) if (d.nodeId !== undefined) placed.set(d.task.id, d.nodeId);
  return placed;
}

function zoneCounts(
  placed: ReadonlyMap<string, string>,
  zoneOf: Record<string, string>,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const nodeId of placed.values()) counts[zoneOf[nodeId]!] = (counts[zoneOf[nodeId]!] ?? 0) + 1;
  return counts;
}

describe('spreading without preferences', () => {
  it('gives each task to the node with the fewest tasks of the service, ties to the lowest node id', () => {
    const placed = place([node('c'), node('a'), node('b')], pendingTasks('t', 4));
    expect(Object.fromEntries(placed)).toEqual({ t1: 'a', t2: 'b', t3: 'c', t4: 'a' });
  });

  it('counts the service’s tasks already running before tasks overall', () => {
    const existing = [
      task('s1', { state: 'running', nodeId: 'a', slot: 11 }),
      task('s2', { state: 'running', nodeId: 'a', slot: 12 }),
      // Other services' tasks make b the busiest node overall.
      ...['o1', 'o2', 'o3'].map((id) => task(id, { service: 'other', state: 'running', nodeId: 'b' })),
    ];
    const placed = place([node('a'), node('b'), node('c')], [...existing, ...pendingTasks('t', 4)]);
    expect(countByNode(placed)).toEqual({ b: 2, c: 2 });
    // Equal counts of the service: the node with fewer tasks overall goes first.
    expect(placed.get('t1')).toBe('c');
  });

  it('breaks ties on the service’s count by the fewest tasks overall', () => {
    const busy = ['o1', 'o2'].map((id) => task(id, { service: 'other', state: 'running', nodeId: 'a' }));
    const placed = place([node('a'), node('b')], [...busy, ...pendingTasks('t', 1)]);
    expect(placed.get('t1')).toBe('b');
  });

  it('places replicas evenly: per-node counts differ by at most one', () => {
    const nodes = Array.from({ length: 7 }, (_, i) => node(`n${i}`));
    const counts = Object.values(countByNode(place(nodes, pendingTasks('t', 100))));
    expect(counts).toHaveLength(7);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });
});

describe('placement preferences', () => {
  const zoneOf = { a1: 'a', b1: 'b', b2: 'b', b3: 'b' };
  const zoned = [
    node('a1', { labels: { zone: 'a' } }),
    node('b1', { labels: { zone: 'b' } }),
    node('b2', { labels: { zone: 'b' } }),
    node('b3', { labels: { zone: 'b' } }),
  ];
  const spreadZone = { placement: { preferences: [{ spread: { spreadDescriptor: 'node.labels.zone' } }] } };

  it('spreads across label values before nodes', () => {
    const placed = place(zoned, pendingTasks('t', 6, spreadZone));
    expect(zoneCounts(placed, zoneOf)).toEqual({ a: 3, b: 3 });
    expect(countByNode(placed)).toEqual({ a1: 3, b1: 1, b2: 1, b3: 1 });
  });

  it('evens out zones counting the tasks already there', () => {
    const existing = [
      task('e1', { state: 'running', nodeId: 'a1', slot: 20 }),
      task('e2', { state: 'running', nodeId: 'a1', slot: 21 }),
    ];
    const placed = place(zoned, [...existing, ...pendingTasks('t', 4, spreadZone)]);
    expect(zoneCounts(placed, zoneOf)).toEqual({ a: 1, b: 3 });
  });

  it('puts nodes without the label in a branch of their own', () => {
    const nodes = [...zoned, node('x1'), node('x2')];
    const placed = place(nodes, pendingTasks('t', 6, spreadZone));
    expect(zoneCounts(placed, { ...zoneOf, x1: '', x2: '' })).toEqual({ a: 2, b: 2, '': 2 });
  });

  it('gives the share of a full branch to the others', () => {
    const nodes = [node('a1', { labels: { zone: 'a' }, memoryGb: 2 }), ...zoned.slice(1)];
    const placed = place(nodes, pendingTasks('t', 8, { ...spreadZone, memoryGb: 1 }));
    expect(placed.size).toBe(8);
    expect(zoneCounts(placed, zoneOf)).toEqual({ a: 2, b: 6 });
  });

  it('nests preferences: zones first, then racks within each zone', () => {
    const racks = [
      node('a-r1-1', { labels: { zone: 'a', rack: 'r1' } }),
      node('a-r1-2', { labels: { zone: 'a', rack: 'r1' } }),
      node('a-r1-3', { labels: { zone: 'a', rack: 'r1' } }),
      node('a-r2-1', { labels: { zone: 'a', rack: 'r2' } }),
      node('b-r3-1', { labels: { zone: 'b', rack: 'r3' } }),
    ];
    const placed = place(
      racks,
      pendingTasks('t', 8, {
        placement: {
          preferences: [
            { spread: { spreadDescriptor: 'node.labels.zone' } },
            { spread: { spreadDescriptor: 'node.labels.rack' } },
          ],
        },
      }),
    );
    const rackOf = (id: string): string => id.split('-').slice(0, 2).join('-');
    const byRack: Record<string, number> = {};
    for (const nodeId of placed.values()) byRack[rackOf(nodeId)] = (byRack[rackOf(nodeId)] ?? 0) + 1;
    expect(byRack).toEqual({ 'a-r1': 2, 'a-r2': 2, 'b-r3': 4 });
  });

  it('spreads over engine labels too', () => {
    const nodes = [
      node('s1', { engineLabels: { disk: 'ssd' } }),
      node('s2', { engineLabels: { disk: 'ssd' } }),
      node('h1', { engineLabels: { disk: 'hdd' } }),
    ];
    const placed = place(
      nodes,
      pendingTasks('t', 4, {
        placement: { preferences: [{ spread: { spreadDescriptor: 'engine.labels.disk' } }] },
      }),
    );
    expect(countByNode(placed)).toEqual({ h1: 2, s1: 1, s2: 1 });
  });
});

describe('batches', () => {
  it('places the tasks of a service with different requirements as separate batches', () => {
    const placed = place(
      [node('a', { labels: { zone: 'a' } }), node('b', { labels: { zone: 'b' } })],
      [
        ...pendingTasks('x', 2, { placement: { constraints: ['node.labels.zone==a'] } }),
        ...pendingTasks('y', 2),
      ],
    );
    expect([placed.get('x1'), placed.get('x2')]).toEqual(['a', 'a']);
    // The unconstrained batch spreads over both nodes by its own count of the service.
    expect(new Set([placed.get('y1'), placed.get('y2')])).toEqual(new Set(['a', 'b']));
  });

  it('decides the same whatever order nodes and tasks were seen in', () => {
    const nodes = Array.from({ length: 9 }, (_, i) => node(`n${i}`, { labels: { zone: `z${i % 3}` } }));
    const tasks = [
      ...pendingTasks('a', 10, {
        service: 'sa',
        placement: { preferences: [{ spread: { spreadDescriptor: 'node.labels.zone' } }] },
      }),
      ...pendingTasks('b', 7, { service: 'sb', memoryGb: 3 }),
    ];
    const forward = place(nodes, tasks);
    const backward = place([...nodes].reverse(), [...tasks].reverse());
    expect([...backward.entries()].sort()).toEqual([...forward.entries()].sort());
  });
});
