// Property tests (fast-check): for random clusters, tasks already placed and pending tasks,
// one scheduling pass never breaks a filter (checked by an independent oracle written from the
// rules, not from the code), leaves a task unplaced only when no node could take it, and decides
// the same whatever order it saw nodes and tasks in. A failing case prints its seed and path.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Node, Task } from '../../../../src/api/index.js';
import { SchedulerState, type SchedulingDecision } from '../../../../src/manager/scheduler/index.js';
import type { DeepReadonly } from '../../../../src/manager/store/index.js';
import { AT, node, task } from './helpers.js';

interface NodeGen {
  ready: boolean;
  availability: 'active' | 'pause' | 'drain';
  role: 'worker' | 'manager';
  zone: string | undefined;
  rack: string | undefined;
  os: 'linux' | 'windows';
  arch: 'x86_64' | 'aarch64';
  cpus: number;
  memoryGb: number;
  gpus: number;
}

interface ServiceGen {
  memoryGb: number;
  cpus: number;
  gpus: number;
  constraints: string[];
  arm64Only: boolean;
  maxReplicas: number;
  spread: string[];
  hostPort: boolean;
}

interface PlacedGen {
  node: number;
  service: number;
  state: 'assigned' | 'running' | 'complete';
  desired: 'running' | 'shutdown';
}

interface Scenario {
  nodes: NodeGen[];
  services: ServiceGen[];
  placed: PlacedGen[];
  /** Service index of each pending task. */
  pending: number[];
}

/** The constraints generated, each with its meaning written out independently. */
const CONSTRAINTS: Record<string, (n: NodeGen, id: string) => boolean> = {
  'node.labels.zone==a': (n) => n.zone === 'a',
  'node.labels.zone!=b': (n) => n.zone !== 'b',
  'node.role==worker': (n) => n.role === 'worker',
  'node.platform.os==linux': (n) => n.os === 'linux',
  'node.hostname!=host-n0': (_n, id) => id !== 'n0',
};

const nodeGen: fc.Arbitrary<NodeGen> = fc.record({
  ready: fc.constantFrom(true, true, true, false),
  availability: fc.constantFrom('active', 'active', 'active', 'pause', 'drain'),
  role: fc.constantFrom('worker', 'worker', 'manager'),
  zone: fc.constantFrom('a', 'b', 'c', undefined),
  rack: fc.constantFrom('r1', 'r2', undefined),
  os: fc.constantFrom('linux', 'linux', 'windows'),
  arch: fc.constantFrom('x86_64', 'aarch64'),
  cpus: fc.integer({ min: 1, max: 8 }),
  memoryGb: fc.integer({ min: 1, max: 16 }),
  gpus: fc.integer({ min: 0, max: 2 }),
});

const serviceGen: fc.Arbitrary<ServiceGen> = fc.record({
  memoryGb: fc.integer({ min: 0, max: 4 }),
  cpus: fc.integer({ min: 0, max: 2 }),
  gpus: fc.integer({ min: 0, max: 1 }),
  constraints: fc.subarray(Object.keys(CONSTRAINTS), { maxLength: 2 }),
  arm64Only: fc.boolean(),
  maxReplicas: fc.integer({ min: 0, max: 3 }),
  spread: fc.constantFrom([], ['node.labels.zone'], ['node.labels.zone', 'node.labels.rack']),
  hostPort: fc.boolean(),
});

const scenarioGen: fc.Arbitrary<Scenario> = fc
  .record({
    nodes: fc.array(nodeGen, { maxLength: 10 }),
    services: fc.array(serviceGen, { minLength: 1, maxLength: 3 }),
  })
  .chain(({ nodes, services }) =>
    fc.record({
      nodes: fc.constant(nodes),
      services: fc.constant(services),
      placed:
        nodes.length === 0
          ? fc.constant([])
          : fc.array(
              fc.record({
                node: fc.integer({ min: 0, max: nodes.length - 1 }),
                service: fc.integer({ min: 0, max: services.length - 1 }),
                state: fc.constantFrom('assigned', 'running', 'complete'),
                desired: fc.constantFrom('running', 'running', 'shutdown'),
              }),
              { maxLength: 15 },
            ),
      pending: fc.array(fc.integer({ min: 0, max: services.length - 1 }), { maxLength: 40 }),
    }),
  );

// ---- building the objects -----------------------------------------------------------------

function nodeObjects(s: Scenario): Array<DeepReadonly<Node>> {
  return s.nodes.map((n, i) =>
    node(`n${i}`, {
      state: n.ready ? 'ready' : 'down',
      availability: n.availability,
      role: n.role,
      labels: { ...(n.zone ? { zone: n.zone } : {}), ...(n.rack ? { rack: n.rack } : {}) },
      os: n.os,
      arch: n.arch,
      cpus: n.cpus,
      memoryGb: n.memoryGb,
      generic: n.gpus > 0 ? [{ discreteResourceSpec: { kind: 'gpu', value: n.gpus } }] : undefined,
    }),
  );
}

function specOptions(svc: ServiceGen) {
  return {
    memoryGb: svc.memoryGb > 0 ? svc.memoryGb : undefined,
    cpus: svc.cpus > 0 ? svc.cpus : undefined,
    generic: svc.gpus > 0 ? [{ discreteResourceSpec: { kind: 'gpu', value: svc.gpus } }] : undefined,
    placement: {
      constraints: svc.constraints,
      preferences: svc.spread.map((d) => ({ spread: { spreadDescriptor: d } })),
      maxReplicas: svc.maxReplicas,
      ...(svc.arm64Only ? { platforms: [{ os: 'linux', architecture: 'arm64' }] } : {}),
    },
  };
}

function taskObjects(s: Scenario): Array<DeepReadonly<Task>> {
  const placed = s.placed.map((p, i) =>
    task(`placed-${i}`, {
      service: `s${p.service}`,
      nodeId: `n${p.node}`,
      state: p.state,
      desired: p.desired,
      slot: 100 + i,
      ...specOptions(s.services[p.service]!),
    }),
  );
  const pending = s.pending.map((svc, i) =>
    task(`p${String(i).padStart(2, '0')}`, {
      service: `s${svc}`,
      slot: i + 1,
      ...specOptions(s.services[svc]!),
    }),
  );
  return [...placed, ...pending];
}

const hostPortsOf =
  (s: Scenario) =>
  (serviceId: string): readonly string[] =>
    s.services[Number(serviceId.slice(1))]?.hostPort ? ['8080/tcp'] : [];

function run(s: Scenario, reorder = false): SchedulingDecision[] {
  let nodes = nodeObjects(s);
  let tasks = taskObjects(s);
  if (reorder) {
    nodes = [...nodes].reverse();
    tasks = [...tasks.slice(tasks.length >> 1), ...tasks.slice(0, tasks.length >> 1)].reverse();
  }
  return SchedulerState.from(nodes, tasks, hostPortsOf(s)).plan(AT);
}

// ---- the oracle ---------------------------------------------------------------------------

interface Holding {
  service: number;
  active: boolean;
}

/** What each node holds after the pass: tasks placed before (not finished) plus the new ones. */
function holdings(s: Scenario, decisions: SchedulingDecision[]): Holding[][] {
  const byNode: Holding[][] = s.nodes.map(() => []);
  for (const p of s.placed)
    if (p.state !== 'complete') byNode[p.node]!.push({ service: p.service, active: p.desired === 'running' });
  for (const d of decisions)
    if (d.nodeId !== undefined)
      byNode[Number(d.nodeId.slice(1))]!.push({ service: Number(d.task.serviceId.slice(1)), active: true });
  return byNode;
}

/** Why service `svc` cannot have one more task on node `i`, or null if it can. */
function oracleRefusal(s: Scenario, held: Holding[][], i: number, svc: number, extra: 0 | 1): string | null {
  const n = s.nodes[i]!;
  const want = s.services[svc]!;
  if (!n.ready || n.availability !== 'active') return 'unavailable';
  for (const c of want.constraints) if (!CONSTRAINTS[c]!(n, `n${i}`)) return `constraint ${c}`;
  if (want.arm64Only && !(n.os === 'linux' && n.arch === 'aarch64')) return 'platform';
  const sum = (f: (g: ServiceGen) => number): number =>
    held[i]!.reduce((total, h) => total + f(s.services[h.service]!), 0) + extra * f(want);
  // A reservation is checked only for what the task reserves (a node may be overcommitted).
  if (want.memoryGb > 0 && sum((g) => g.memoryGb) > n.memoryGb) return 'memory';
  if (want.cpus > 0 && sum((g) => g.cpus) > n.cpus) return 'cpu';
  if (want.gpus > 0 && sum((g) => g.gpus) > n.gpus) return 'gpu';
  if (want.hostPort && held[i]!.filter((h) => s.services[h.service]!.hostPort).length + extra > 1)
    return 'port';
  const replicas = held[i]!.filter((h) => h.active && h.service === svc).length + extra;
  if (want.maxReplicas > 0 && replicas > want.maxReplicas) return 'maxReplicas';
  return null;
}

describe('scheduling properties', () => {
  it('never places a task where a filter forbids it, and leaves one unplaced only if no node fits', () => {
    fc.assert(
      fc.property(scenarioGen, (s) => {
        const decisions = run(s);
        const held = holdings(s, decisions);
        for (const d of decisions) {
          if (d.nodeId === undefined) continue;
          const i = Number(d.nodeId.slice(1));
          // The node after the pass: within capacity, ports and replica limits, eligible.
          expect(oracleRefusal(s, held, i, Number(d.task.serviceId.slice(1)), 0)).toBeNull();
          expect(d.updated.status.state).toBe('assigned');
        }
        const placedIds = new Set(decisions.filter((d) => d.nodeId !== undefined).map((d) => d.task.id));
        for (const [index, svc] of s.pending.entries()) {
          const id = `p${String(index).padStart(2, '0')}`;
          if (placedIds.has(id)) continue;
          for (let i = 0; i < s.nodes.length; i++) expect(oracleRefusal(s, held, i, svc, 1)).not.toBeNull();
          const decision = decisions.find((d) => d.task.id === id);
          expect(decision?.updated.status.err).toMatch(/^no suitable node/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decides the same whatever order nodes and tasks are seen in', () => {
    fc.assert(
      fc.property(scenarioGen, (s) => {
        const summary = (decisions: SchedulingDecision[]): string[] =>
          decisions.map((d) => `${d.task.id}:${d.nodeId ?? d.updated.status.err ?? ''}`).sort();
        expect(summary(run(s, true))).toEqual(summary(run(s)));
      }),
      { numRuns: 300 },
    );
  });

  it('spreads a service evenly over identical nodes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 60 }),
        (nodeCount, taskCount) => {
          const nodes = Array.from({ length: nodeCount }, (_, i) => node(`n${i}`));
          const tasks = Array.from({ length: taskCount }, (_, i) => task(`t${i}`, { slot: i + 1 }));
          const counts = new Map<string, number>();
          for (const d of SchedulerState.from(nodes, tasks, () => []).plan(AT))
            counts.set(d.nodeId!, (counts.get(d.nodeId!) ?? 0) + 1);
          const values = nodes.map((n) => counts.get(n.id) ?? 0);
          expect(values.reduce((a, b) => a + b, 0)).toBe(taskCount);
          expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
