// The scheduler benchmark (`npm run bench:scheduler`): first scheduling decisions alone — one
// pure pass (SchedulerState.plan: grouping, filters, the preference tree and per-leaf heaps, the
// task updates it would write) over a batch of PENDING tasks with one constraint and one spread
// preference, on clusters of 1,000 and 5,000 nodes; then end to end — three real managers in this
// process (gRPC on 127.0.0.x, Raft on disk), a 10,000-replica service created through a follower
// and timed until the leader's control loops have committed every task as ASSIGNED. Prints
// tables and writes bench/results/scheduler.json (`--e2e-only` runs the second part alone and
// writes nothing: for `node --cpu-prof`).

import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Node, ServiceSpec, Task } from '../src/api/index.js';
import type { ApiOperation } from '../src/manager/control/context.js';
import { FlotillaClient } from '../src/client/index.js';
import { Manager } from '../src/manager/index.js';
import { CONTROL_SOCKET } from '../src/manager/manager.js';
import { placeBatch, SchedulerState, taskRequirements } from '../src/manager/scheduler/index.js';
import type { DeepReadonly } from '../src/manager/store/index.js';
import { addresses, TestDirs, waitUntil } from '../test/support/manager-cluster.js';
import { epochMs, findProjectRoot, percentile, sleep } from './support.js';
import { TaskStages } from './support/task-stages.js';
import { MemberProcess, memberScript, startMemberCluster } from './support/member-process.js';

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

// ---- end to end: three managers, one 10,000-replica service ----------------------------------

const E2E = {
  nodes: 1_000,
  replicas: 10_000,
  racks: 20,
  seedBatch: 500,
  pollMs: 50,
  timeoutMs: 5 * 60_000,
  /** Within the bench's bound on one IPC request (30 s). */
  processTimeoutMs: 25_000,
  serviceName: 'e2e-web',
  constraint: 'node.role==worker',
  spread: 'node.labels.rack',
  /** Runs with manager processes, each on a fresh cluster; the median is reported (one run varies by ±15 %). */
  processRuns: 3,
};

const PROCESSES = 'one process each';
const ONE_THREAD = 'all in this process, on one thread';

function e2eSpec(): ServiceSpec {
  return {
    name: E2E.serviceName,
    taskTemplate: {
      containerSpec: { image: 'nginx:1.27' },
      resources: { reservations: { nanoCpus: 1e8, memoryBytes: 64 * 1024 ** 2 } },
      placement: {
        constraints: [E2E.constraint],
        preferences: [{ spread: { spreadDescriptor: E2E.spread } }],
      },
    },
    mode: { replicated: { replicas: E2E.replicas } },
  };
}

interface EndToEndResult {
  completed: boolean;
  /** replicas / seconds from the create call until all are ASSIGNED in the leader's store. */
  tasksPerS: number | null;
  /** Milliseconds after the create call was sent, as the stores' watches delivered the changes. */
  createCallMs: number;
  firstTaskMs: number | null;
  allNewMs: number | null;
  allPendingMs: number | null;
  allAssignedMs: number | null;
  /** All ASSIGNED in the follower's store. */
  followerAllAssignedMs: number | null;
  /** ASSIGNED tasks of the service in the leader's and the follower's store at the end. */
  assigned: number;
  assignedOnFollower: number;
  /** Raft on the leader: the entries the run used, create to all ASSIGNED on the follower. */
  raft: {
    appliedBefore: number;
    lastIndexBefore: number;
    appliedAfter: number;
    lastIndexAfter: number;
    entries: number;
  };
  /** Tasks per rack label and on nodes that are not workers (must be 0). */
  perRack: Record<string, number>;
  onNonWorkers: number;
  setupMs: { cluster: number; seedNodes: number };
}

function seedNodeOps(from: number, to: number): ApiOperation[] {
  const ops: ApiOperation[] = [];
  for (let i = from; i < to; i++)
    ops.push({
      op: 'create',
      kind: 'node',
      object: {
        spec: {
          name: `worker-${i}`,
          role: 'worker',
          availability: 'active',
          labels: { rack: `r${i % E2E.racks}` },
        },
        description: {
          hostname: `worker-${i}`,
          platform: { architecture: 'x86_64', os: 'linux' },
          resources: { nanoCpus: 4e9, memoryBytes: 8 * GB },
          engine: { engineVersion: '27.3.1', labels: {}, plugins: [] },
        },
        status: { state: 'ready', addr: `10.${(i >> 8) & 255}.${i & 255}.1` },
      },
    });
  return ops;
}

async function managerJoinToken(m: Manager): Promise<string> {
  const c = m.client();
  try {
    return (await c.getCluster()).joinTokens.manager;
  } finally {
    c.close();
  }
}

/** V8's profile clock (CLOCK_MONOTONIC µs), to window a `--cpu-prof` profile on the timed part. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function runEndToEnd(): Promise<EndToEndResult> {
  const dirs = await TestDirs.create('flotilla-sched-bench-');
  const addr = addresses(90);
  const managers: Manager[] = [];
  try {
    // ---- three managers, default Raft timing, real disk ----
    const clusterStart = performance.now();
    const a = await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1) });
    managers.push(a);
    const token = await managerJoinToken(a);
    for (const [name, n] of [
      ['b', 2],
      ['c', 3],
    ] as const) {
      const m = await Manager.join({
        dataDir: dirs.dir(name),
        listenAddr: addr(n),
        joinAddr: a.address,
        joinToken: token,
      });
      managers.push(m);
      await waitUntil(`${name} to be a voter`, () => a.raft.membership().voters.includes(m.id), 60_000);
    }
    const ids = managers.map((m) => m.id);
    await waitUntil(
      'all three managers to see three voters and one leader',
      () =>
        managers.every(
          (m) =>
            ids.every((id) => m.raft.membership().voters.includes(id)) &&
            m.raft.leader().id !== '' &&
            m.raft.leader().id === managers[0]!.raft.leader().id,
        ),
      60_000,
    );
    const leader = managers.find((m) => m.raft.isLeader());
    if (!leader) throw new Error('no leader among the three managers');
    const follower = managers.find((m) => m !== leader)!;
    const clusterMs = performance.now() - clusterStart;

    // ---- 1,000 workers, written straight into the store (no agents) ----
    const seedStart = performance.now();
    for (let from = 0; from < E2E.nodes; from += E2E.seedBatch)
      await leader.store.update(seedNodeOps(from, Math.min(E2E.nodes, from + E2E.seedBatch)));
    const workers = (m: Manager): number =>
      m.store.list('node').filter((n) => n.spec.role === 'worker').length;
    await waitUntil(
      `every manager's store to hold the ${E2E.nodes} workers`,
      () => managers.every((m) => workers(m) === E2E.nodes),
      60_000,
    );
    const seedMs = performance.now() - seedStart;
    console.log(
      `  3 managers up in ${fmt(clusterMs / 1000, 1)} s, ${E2E.nodes} workers seeded in ${fmt(seedMs)} ms; ` +
        `creating ${fmt(E2E.replicas)} replicas through a follower`,
    );

    // ---- the timed part ----
    const spec = e2eSpec();
    const before = leader.raft.status();
    // Stages come from each store's watch (exact, and O(1) per change), not from re-listing the
    // 10,000 tasks every 50 ms: on this one thread, shared with the three managers, such reads
    // cost ~20 ms each and took about 30 % of the measured time in a first run.
    const onLeader = new TaskStages(leader.store, E2E.replicas);
    const onFollower = new TaskStages(follower.store, E2E.replicas);
    const client = follower.client();
    let serviceId: string;
    let createCallMs: number;
    const windowFromUs = monotonicUs();
    const t0 = performance.now();
    try {
      try {
        serviceId = (await client.createService(spec)).id;
        createCallMs = performance.now() - t0;
      } finally {
        client.close();
      }
      const deadline = t0 + E2E.timeoutMs;
      while (onFollower.at.allAssigned === null && performance.now() < deadline) await sleep(E2E.pollMs);
    } finally {
      await Promise.all([onLeader.close(), onFollower.close()]);
    }
    const windowToUs = monotonicUs();
    if (process.execArgv.some((arg) => arg.startsWith('--cpu-prof')))
      console.log(`  profile window (V8 clock, µs): ${windowFromUs}..${windowToUs}`);
    const after = leader.raft.status();
    // What the watches counted, checked against a plain read of each store.
    const assignedIn = (m: Manager): number =>
      m.store.list('task', { serviceId }).filter((t) => t.status.state === 'assigned' && !!t.nodeId).length;
    const finalCheck = { leader: assignedIn(leader), follower: assignedIn(follower) };
    const since = (at: number | null): number | null => (at === null ? null : at - t0);
    const allAssignedMs = since(onLeader.at.allAssigned);
    if (allAssignedMs !== null && finalCheck.leader !== E2E.replicas)
      throw new Error(`the watch saw all tasks ASSIGNED but the leader's store holds ${finalCheck.leader}`);

    // The placement itself: the constraint and the spread over racks.
    const rackOf = new Map(leader.store.list('node').map((n) => [n.id, n]));
    const perRack: Record<string, number> = {};
    let onNonWorkers = 0;
    for (const t of leader.store.list('task', { serviceId })) {
      const node = t.nodeId === undefined ? undefined : rackOf.get(t.nodeId);
      if (!node) continue;
      if (node.spec.role !== 'worker') onNonWorkers++;
      const rack = node.spec.labels?.['rack'] ?? '(none)';
      perRack[rack] = (perRack[rack] ?? 0) + 1;
    }
    return {
      completed: allAssignedMs !== null,
      tasksPerS: allAssignedMs === null ? null : Math.round(E2E.replicas / (allAssignedMs / 1000)),
      createCallMs,
      firstTaskMs: since(onLeader.at.first),
      allNewMs: since(onLeader.at.allCreated),
      allPendingMs: since(onLeader.at.allPending),
      allAssignedMs,
      followerAllAssignedMs: since(onFollower.at.allAssigned),
      assigned: finalCheck.leader,
      assignedOnFollower: finalCheck.follower,
      raft: {
        appliedBefore: before.applied,
        lastIndexBefore: before.lastIndex,
        appliedAfter: after.applied,
        lastIndexAfter: after.lastIndex,
        entries: after.lastIndex - before.lastIndex,
      },
      perRack,
      onNonWorkers,
      setupMs: { cluster: clusterMs, seedNodes: seedMs },
    };
  } finally {
    const stopped = await Promise.allSettled(managers.map((m) => m.stop()));
    for (const r of stopped)
      if (r.status === 'rejected') console.error('a manager failed to stop:', r.reason);
    await dirs.remove();
  }
}

/**
 * The same run with each manager its own process (bench/support/store-member.ts), as managers run
 * in a cluster: the leader's loops and every manager's Raft and store work no longer share one
 * thread. This process only seeds (the leader's store.update over IPC), creates the service
 * through the follower's admin socket, and collects the stages each store's watch saw.
 */
async function runEndToEndProcesses(): Promise<EndToEndResult> {
  if (!existsSync(memberScript))
    throw new Error(
      `${memberScript} is missing: run 'npx tsc -p tsconfig.json' first (npm run bench:scheduler does)`,
    );
  const dirs = await TestDirs.create('flotilla-sched-bench-');
  const members: MemberProcess[] = [];
  try {
    const clusterStart = performance.now();
    const { leader, follower } = await startMemberCluster(dirs, 95, members);
    const clusterMs = performance.now() - clusterStart;
    const seedStart = performance.now();
    for (let from = 0; from < E2E.nodes; from += E2E.seedBatch)
      await leader.request('update', { ops: seedNodeOps(from, Math.min(E2E.nodes, from + E2E.seedBatch)) });
    await waitUntil(
      `every manager's store to hold the ${E2E.nodes} workers`,
      async () =>
        (await Promise.all(members.map((m) => m.request('count', {})))).every((c) => c.nodes >= E2E.nodes),
      60_000,
    );
    const seedMs = performance.now() - seedStart;
    console.log(
      `  3 manager processes up in ${fmt(clusterMs / 1000, 1)} s, ${E2E.nodes} workers seeded in ${fmt(seedMs)} ms`,
    );

    const before = await leader.request('status', {});
    await Promise.all([leader, follower].map((m) => m.request('watchTasks', { expected: E2E.replicas })));
    const client = new FlotillaClient({ address: `unix:${join(dirs.dir(follower.name), CONTROL_SOCKET)}` });
    const t0 = epochMs();
    let createCallMs: number;
    try {
      await client.createService(e2eSpec());
      createCallMs = epochMs() - t0;
    } finally {
      client.close();
    }
    const [onLeader, onFollower] = await Promise.all(
      [leader, follower].map((m) => m.request('taskStages', { timeoutMs: E2E.processTimeoutMs })),
    );
    const after = await leader.request('status', {});
    const [placed, placedOnFollower] = await Promise.all(
      [leader, follower].map((m) => m.request('placement', { serviceName: E2E.serviceName, label: 'rack' })),
    );
    const since = (at: number | null | undefined): number | null => (at == null ? null : at - t0);
    const allAssignedMs = since(onLeader!.allAssignedAtMs);
    if (allAssignedMs !== null && placed!.assigned !== E2E.replicas)
      throw new Error(`the watch saw all tasks ASSIGNED but the leader's store holds ${placed!.assigned}`);
    return {
      completed: allAssignedMs !== null,
      tasksPerS: allAssignedMs === null ? null : Math.round(E2E.replicas / (allAssignedMs / 1000)),
      createCallMs,
      firstTaskMs: since(onLeader!.firstAtMs),
      allNewMs: since(onLeader!.allCreatedAtMs),
      allPendingMs: since(onLeader!.allPendingAtMs),
      allAssignedMs,
      followerAllAssignedMs: since(onFollower!.allAssignedAtMs),
      assigned: placed!.assigned,
      assignedOnFollower: placedOnFollower!.assigned,
      raft: {
        appliedBefore: before.appliedIndex,
        lastIndexBefore: before.lastIndex,
        appliedAfter: after.appliedIndex,
        lastIndexAfter: after.lastIndex,
        entries: after.lastIndex - before.lastIndex,
      },
      perRack: placed!.perLabel,
      onNonWorkers: placed!.onNonWorkers,
      setupMs: { cluster: clusterMs, seedNodes: seedMs },
    };
  } finally {
    await Promise.all(members.map((m) => m.stop()));
    await dirs.remove();
  }
}

/** Each run's ASSIGNED time (null: timed out), and the median run's whole result. */
type MedianEndToEnd = EndToEndResult & { runsAllAssignedMs: Array<number | null> };

async function medianEndToEndProcesses(): Promise<MedianEndToEnd> {
  const runs: EndToEndResult[] = [];
  for (let i = 0; i < E2E.processRuns; i++) {
    runs.push(await runEndToEndProcesses());
    console.log(
      `  run ${i + 1} of ${E2E.processRuns}: all ASSIGNED after ${runs.at(-1)!.allAssignedMs ?? '-'} ms`,
    );
  }
  // A run that timed out sorts last.
  const byTime = [...runs].sort((a, b) => (a.allAssignedMs ?? Infinity) - (b.allAssignedMs ?? Infinity));
  const median = byTime[Math.floor((byTime.length - 1) / 2)]!;
  return { ...median, runsAllAssignedMs: runs.map((r) => r.allAssignedMs) };
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

function printEndToEnd(e: EndToEndResult | MedianEndToEnd, managers: string): void {
  const ms = (v: number | null): string => (v === null ? '-' : fmt(v));
  const runs =
    'runsAllAssignedMs' in e ? `, the median of runs of ${e.runsAllAssignedMs.map(ms).join(', ')} ms` : '';
  console.log(
    `\n== end to end: ${fmt(E2E.replicas)} replicas on ${fmt(E2E.nodes)} nodes, 3 managers (${managers}${runs}) ==`,
  );
  printRows(
    ['stage (ms after the create call was sent)', 'ms'],
    [
      ['create call returned (through the follower)', ms(e.createCallMs)],
      ['first task in the leader store', ms(e.firstTaskMs)],
      [`all ${fmt(E2E.replicas)} tasks created`, ms(e.allNewMs)],
      ['all PENDING (allocated) or later', ms(e.allPendingMs)],
      ['all ASSIGNED in the leader store', ms(e.allAssignedMs)],
      ['all ASSIGNED in the follower store', ms(e.followerAllAssignedMs)],
    ],
  );
  console.log(
    `  Raft entries: ${fmt(e.raft.entries)} (leader last index ${e.raft.lastIndexBefore} -> ${e.raft.lastIndexAfter}, ` +
      `applied ${e.raft.appliedBefore} -> ${e.raft.appliedAfter}); ASSIGNED at the end: leader ${fmt(e.assigned)}, ` +
      `follower ${fmt(e.assignedOnFollower)}; ` +
      `tasks on non-workers: ${e.onNonWorkers}; racks: ${Object.keys(e.perRack).length} ` +
      `(${fmt(Math.min(...Object.values(e.perRack)))}..${fmt(Math.max(...Object.values(e.perRack)))} tasks each)`,
  );
}

async function main(): Promise<void> {
  if (process.argv.includes('--e2e-only')) {
    printEndToEnd(await medianEndToEndProcesses(), PROCESSES);
    printEndToEnd(await runEndToEnd(), ONE_THREAD);
    return;
  }
  const startedAt = new Date();
  const loadAtStart = loadavg();
  // End to end first: run after the scenarios, whose garbage this process then collects on the two
  // cores the three managers share, the same runs took 3.7 s instead of 3.0 s (medians of 3).
  console.log(`running: end to end, ${fmt(E2E.replicas)} replicas on ${fmt(E2E.nodes)} nodes, 3 managers`);
  const e2e = await medianEndToEndProcesses();
  const e2eOneThread = await runEndToEnd();
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
  printEndToEnd(e2e, PROCESSES);
  printEndToEnd(e2eOneThread, ONE_THREAD);
  const met = {
    placements_per_s_1k_nodes: r1k.placementsPerS >= TARGETS.perS1k,
    placements_per_s_5k_nodes: r5k.placementsPerS >= TARGETS.perS5k,
    e2e_tasks_per_s: e2e.tasksPerS === null ? false : e2e.tasksPerS >= TARGETS.e2ePerS,
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
      [
        'e2e_tasks_per_s',
        e2e.tasksPerS === null ? `timed out (${fmt(e2e.assigned)} assigned)` : fmt(e2e.tasksPerS),
        `>= ${fmt(TARGETS.e2ePerS)}`,
        met.e2e_tasks_per_s ? 'yes' : 'NO',
      ],
      [
        'e2e, the managers on one thread',
        e2eOneThread.tasksPerS === null ? 'timed out' : fmt(e2eOneThread.tasksPerS),
        '(for comparison)',
        '',
      ],
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
    e2e_tasks_per_s: e2e.tasksPerS,
    e2e: {
      how:
        `three manager processes (bench/support/store-member.ts forked from dist/: Manager.init, then two ` +
        `Manager.join with the manager join token), gRPC with mutual TLS on 127.0.0.x, default Raft timing, Raft ` +
        `logs on the local disk; ${E2E.nodes} ready, active workers (4 CPUs, 8 GB, labels rack=r0..r${E2E.racks - 1}) ` +
        `written with the leader's store.update over IPC in transactions of ${E2E.seedBatch}, no agents. One ` +
        `service of ${E2E.replicas} replicas (reservation 0.1 CPU and 64 MB, constraint ${E2E.constraint}, ` +
        `preference spread ${E2E.spread}) created through the follower's admin socket (its control API forwards ` +
        `the write to the leader); the leader's control loops (orchestrator, allocator, scheduler) do the rest. ` +
        `Timed on the wall clock from sending the create call until every task is ASSIGNED with a node in the ` +
        `leader's store (every write committed by a majority of the three), as a task watch inside the leader's ` +
        `and the follower's process saw it, the end checked against a list of each store; bounded at ` +
        `${E2E.processTimeoutMs / 1000} s; tasks_per_s = ${E2E.replicas} / that time. The median of ` +
        `${E2E.processRuns} runs, each on a fresh cluster with no warm-up (runsAllAssignedMs: every run's time); ` +
        `the three processes share the machine's CPUs.`,
      ...e2e,
    },
    e2e_one_thread: {
      how:
        `three Managers in this process (Manager.init, then two Manager.join with the manager join token), gRPC ` +
        `with mutual TLS on 127.0.0.x, default Raft timing, Raft logs on the local disk; ${E2E.nodes} ready, active ` +
        `workers (4 CPUs, 8 GB, labels rack=r0..r${E2E.racks - 1}) written with the leader's store.update in ` +
        `transactions of ${E2E.seedBatch}, no agents. One service of ${E2E.replicas} replicas (reservation 0.1 CPU ` +
        `and 64 MB, constraint ${E2E.constraint}, preference spread ${E2E.spread}) created through a follower's ` +
        `admin socket (its control API forwards the write to the leader); the leader's control loops ` +
        `(orchestrator, allocator, scheduler) do the rest. Timed from sending the create call until every task is ` +
        `ASSIGNED with a node in the leader's store (every write committed by a majority of the three); stages are ` +
        `taken from a task watch on the leader's and the follower's store (a 50 ms polling of the tasks' list cost ` +
        `~20 ms a read on the managers' thread and slowed the run it measured), the end checked against a list of ` +
        `each store; waits bounded at ${E2E.timeoutMs / 60_000} min; tasks_per_s = ${E2E.replicas} / that time. ` +
        `One run, no warm-up; all three managers share this process's one JavaScript thread.`,
      ...e2eOneThread,
    },
    targets: {
      placements_per_s_1k_nodes: `>= ${TARGETS.perS1k}`,
      placements_per_s_5k_nodes: `>= ${TARGETS.perS5k}`,
      e2e_tasks_per_s: `>= ${TARGETS.e2ePerS}`,
    },
    targets_met: met,
    scenarios: results,
  };
  const out = join(findProjectRoot(), 'bench', 'results', 'scheduler.json');
  await mkdir(join(findProjectRoot(), 'bench', 'results'), { recursive: true });
  await writeFile(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${relative(process.cwd(), out)} (${report.durationS.toFixed(1)} s)`);
}

await main();
