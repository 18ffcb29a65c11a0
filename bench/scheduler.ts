// The scheduler benchmark (`npm run bench:scheduler`): scheduling decisions alone — one pure
// pass (SchedulerState.plan: grouping, filters, the preference tree and per-leaf heaps, the
// task updates it would write) over a batch of PENDING tasks with one constraint and one spread
// preference — on clusters of 1,000 and 5,000 nodes. No store, no Raft: the end-to-end figure
// needs the orchestrator and the Raft wiring and is left null. Prints a table and writes
// bench/results/scheduler.json.

import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Node, Task } from '../src/api/index.js';
import { placeBatch, SchedulerState, taskRequirements } from '../src/manager/scheduler/index.js';
import type { DeepReadonly } from '../src/manager/store/index.js';
import { findProjectRoot, percentile } from './support.js';

const TARGETS = { perS1k: 20_000, perS5k: 5_000, e2ePerS: 3_000 };
const ZONES = 5;
/** Every tenth node is a database node the constraint excludes. */
const DB_EVERY = 10;
const CONSTRAINT = 'node.labels.tier==app';
const SPREAD = 'node.labels.zone';
/** Tasks of other services already on every node, so "fewest tasks overall" has work to do. */
const BACKGROUND_PER_NODE = 2;
const RUNS = 7;
const GB = 1024 ** 3;
const AT = '2026-01-01T00:00:00.000Z';
const META = { version: { index: 1 }, createdAt: AT, updatedAt: AT };

interface Scenario {
  name: string;
  nodes: number;
  batch: number;
}

const SCENARIOS: Scenario[] = [
  { name: '1k nodes, 10,000 tasks', nodes: 1_000, batch: 10_000 },
  { name: '1k nodes, 1,000 tasks', nodes: 1_000, batch: 1_000 },
  { name: '5k nodes, 10,000 tasks', nodes: 5_000, batch: 10_000 },
  { name: '5k nodes, 1,000 tasks', nodes: 5_000, batch: 1_000 },
];

// ---- the cluster ----------------------------------------------------------------------------

function makeNodes(count: number): Array<DeepReadonly<Node>> {
  return Array.from({ length: count }, (_, i) => ({
    id: `node-${String(i).padStart(5, '0')}`,
    meta: META,
    spec: {
      role: 'worker',
      availability: 'active',
      labels: { zone: `z${i % ZONES}`, tier: i % DB_EVERY === 0 ? 'db' : 'app' },
    },
    description: {
      hostname: `host-${i}`,
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCpus: 32e9, memoryBytes: 128 * GB },
      engine: { engineVersion: '27.0.0', labels: {}, plugins: [] },
    },
    status: { state: 'ready', addr: `10.0.${(i >> 8) & 255}.${i & 255}` },
  }));
}

function makeTask(id: string, serviceId: string, extra: Partial<Task>): DeepReadonly<Task> {
  return {
    id,
    meta: META,
    labels: {},
    serviceId,
    spec: {
      containerSpec: { image: 'nginx:1.27' },
      resources: { reservations: { nanoCpus: 1e8, memoryBytes: 0.25 * GB } },
      placement: { constraints: [CONSTRAINT], preferences: [{ spread: { spreadDescriptor: SPREAD } }] },
    },
    status: { state: 'pending', timestamp: AT, message: 'pending task scheduling' },
    desiredState: 'running',
    ...extra,
  };
}

function background(nodes: ReadonlyArray<DeepReadonly<Node>>): Array<DeepReadonly<Task>> {
  const tasks: Array<DeepReadonly<Task>> = [];
  nodes.forEach((node, i) => {
    for (let k = 0; k < BACKGROUND_PER_NODE; k++)
      tasks.push(
        makeTask(`bg-${i}-${k}`, `background-${k}`, {
          nodeId: node.id,
          status: { state: 'running', timestamp: AT, message: 'started' },
        }),
      );
  });
  return tasks;
}

function pending(count: number): Array<DeepReadonly<Task>> {
  return Array.from({ length: count }, (_, i) =>
    makeTask(`web-${String(i + 1).padStart(6, '0')}`, 'web', { slot: i + 1 }),
  );
}

// ---- measuring ------------------------------------------------------------------------------

interface ScenarioResult {
  scenario: string;
  nodes: number;
  batch: number;
  runs: number;
  /** The whole pass: grouping, requirements, tree and heaps, the task objects to write. */
  passMsP50: number;
  passMsMin: number;
  placementsPerS: number;
  /** placeBatch alone (filters, tree, heaps), without grouping or building task objects. */
  coreMsP50: number;
  corePlacementsPerS: number;
  /** Rebuilding the scheduler's state from the store's objects (start and resync). */
  stateBuildMs: number;
  placed: number;
  perZone: Record<string, number>;
}

function runScenario(s: Scenario): ScenarioResult {
  const nodes = makeNodes(s.nodes);
  const placedBefore = background(nodes);
  const batch = pending(s.batch);
  const passMs: number[] = [];
  const coreMs: number[] = [];
  let stateBuildMs = Number.NaN;
  let placed = 0;
  const perZone: Record<string, number> = {};
  const zoneOf = new Map(nodes.map((n) => [n.id, n.spec.labels!.zone!]));

  // RUNS + 1: the first run warms the JIT and is not counted.
  for (let run = 0; run <= RUNS; run++) {
    const buildStart = performance.now();
    const state = SchedulerState.from(nodes, [...placedBefore, ...batch], () => []);
    const built = performance.now();
    const decisions = state.plan(AT);
    const passEnd = performance.now();
    if (run === 0) {
      placed = decisions.filter((d) => d.nodeId !== undefined).length;
      for (const d of decisions)
        if (d.nodeId) perZone[zoneOf.get(d.nodeId)!] = (perZone[zoneOf.get(d.nodeId)!] ?? 0) + 1;
      if (placed !== s.batch) throw new Error(`${s.name}: placed ${placed} of ${s.batch} tasks`);
      continue;
    }
    stateBuildMs = built - buildStart;
    passMs.push(passEnd - built);

    // The placement core alone, on a fresh view.
    const fresh = SchedulerState.from(nodes, placedBefore, () => []);
    const req = taskRequirements(batch[0]!, []);
    const usage = { serviceId: 'web', active: true, demand: req.demand, hostPorts: [] as string[] };
    let next = 0;
    const coreStart = performance.now();
    const count = placeBatch(fresh.view, req, batch.length, (nodeId) => {
      fresh.view.placeTask(batch[next++]!.id, nodeId, usage);
    });
    coreMs.push(performance.now() - coreStart);
    if (count !== s.batch) throw new Error(`${s.name}: the core placed ${count} of ${s.batch} tasks`);
  }
  const sortedPass = Float64Array.from(passMs).sort();
  const sortedCore = Float64Array.from(coreMs).sort();
  const passMsP50 = percentile(sortedPass, 0.5);
  const coreMsP50 = percentile(sortedCore, 0.5);
  return {
    scenario: s.name,
    nodes: s.nodes,
    batch: s.batch,
    runs: RUNS,
    passMsP50,
    passMsMin: sortedPass[0]!,
    placementsPerS: Math.round(s.batch / (passMsP50 / 1000)),
    coreMsP50,
    corePlacementsPerS: Math.round(s.batch / (coreMsP50 / 1000)),
    stateBuildMs,
    placed,
    perZone,
  };
}

// ---- report ---------------------------------------------------------------------------------

function printRows(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

const fmt = (v: number, digits = 0): string =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const results = SCENARIOS.map((s) => {
    console.log(`running: ${s.name} (${RUNS} timed runs)`);
    return runScenario(s);
  });
  const headline = (nodes: number): ScenarioResult =>
    results.find((r) => r.nodes === nodes && r.batch === 10_000)!;
  const r1k = headline(1_000);
  const r5k = headline(5_000);

  console.log(`\n== scheduler decisions (${cpus().length} CPUs, ${process.version}) ==`);
  printRows(
    ['scenario', 'pass ms p50', 'placements/s', 'core ms p50', 'core/s', 'state build ms'],
    results.map((r) => [
      r.scenario,
      fmt(r.passMsP50, 1),
      fmt(r.placementsPerS),
      fmt(r.coreMsP50, 1),
      fmt(r.corePlacementsPerS),
      fmt(r.stateBuildMs, 1),
    ]),
  );
  const met = {
    placements_per_s_1k_nodes: r1k.placementsPerS >= TARGETS.perS1k,
    placements_per_s_5k_nodes: r5k.placementsPerS >= TARGETS.perS5k,
  };
  console.log('');
  printRows(
    ['metric', 'value', 'target', 'met?'],
    [
      [
        'placements_per_s_1k_nodes',
        fmt(r1k.placementsPerS),
        `>= ${fmt(TARGETS.perS1k)}`,
        met.placements_per_s_1k_nodes ? 'yes' : 'NO',
      ],
      [
        'placements_per_s_5k_nodes',
        fmt(r5k.placementsPerS),
        `>= ${fmt(TARGETS.perS5k)}`,
        met.placements_per_s_5k_nodes ? 'yes' : 'NO',
      ],
      ['e2e_tasks_per_s', 'not measured', `>= ${fmt(TARGETS.e2ePerS)}`, 'n/a'],
    ],
  );

  const report = {
    benchmark: 'scheduler',
    startedAt: startedAt.toISOString(),
    durationS: (Date.now() - startedAt.getTime()) / 1000,
    environment: {
      cpus: cpus().length,
      node: process.version,
      loadAvg1m: loadavg()[0] ?? null,
      loadAvgAtStart: loadAtStart,
    },
    setup: {
      what:
        'one pure scheduling pass (SchedulerState.plan) over a batch of PENDING tasks of one service: grouping, ' +
        'requirements, static and dynamic filters, the spread-preference tree with a min-heap per leaf, and the ' +
        'ASSIGNED task objects it would commit; no store, no Raft, one thread',
      cluster: `ready, active workers with 32 CPUs and 128 GB each, labels zone=z0..z${ZONES - 1} and tier=app (tier=db on every ${DB_EVERY}th node), ${BACKGROUND_PER_NODE} running tasks of other services on every node`,
      tasks: `reservation 0.1 CPU and 256 MB, constraint ${CONSTRAINT}, preference spread ${SPREAD}`,
      timing: `median of ${RUNS} runs after one warm-up run; the state (view) is built before the timed pass and timed separately`,
    },
    placements_per_s_1k_nodes: r1k.placementsPerS,
    placements_per_s_5k_nodes: r5k.placementsPerS,
    e2e_tasks_per_s: null,
    e2e_tasks_per_s_note:
      'not measured here: the end-to-end figure (a 10,000-replica service on 1,000 simulated nodes, from create to ' +
      'all tasks ASSIGNED and committed through a 3-manager Raft cluster) needs the orchestrator and the Raft wiring ' +
      'of the scheduler and allocator into the Manager',
    targets: {
      placements_per_s_1k_nodes: `>= ${TARGETS.perS1k}`,
      placements_per_s_5k_nodes: `>= ${TARGETS.perS5k}`,
      e2e_tasks_per_s: `>= ${TARGETS.e2ePerS}`,
    },
    targets_met: { ...met, e2e_tasks_per_s: null },
    scenarios: results,
  };
  const out = join(findProjectRoot(), 'bench', 'results', 'scheduler.json');
  await mkdir(join(findProjectRoot(), 'bench', 'results'), { recursive: true });
  await writeFile(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${relative(process.cwd(), out)} (${report.durationS.toFixed(1)} s)`);
}

await main();
