// The store benchmark (`npm run bench:store`): three managers on loopback (127.0.0.x, real gRPC,
// disk storage with fsync, default Raft timing) holding 1,000 nodes and 10,000 tasks. Measures
// createService through a follower, ListTasks of all 10,000 tasks, watch fan-out to 100 watchers,
// the leader's snapshot, and RSS. Prints a table and writes bench/results/store.json.
//
// Seeding: the control API has no RPC that creates nodes or tasks, and the manager daemon
// (daemon-main.ts) has no request channel, so the three managers run in this process
// (Manager.init/join) and the nodes and tasks are written with the leader's `store.update`
// (replicated through Raft like any write). Everything measured goes through FlotillaClient
// over gRPC, except the snapshot (ReplicatedStore.snapshot() on the leader) and RSS.

import { setMaxListeners } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FlotillaClient } from '../src/client/index.js';
import type { ServiceSpec } from '../src/api/index.js';
import { Manager } from '../src/manager/index.js';
import type { ApiOperation } from '../src/manager/control/context.js';
import { addresses, TestDirs, waitUntil } from '../test/support/manager-cluster.js';
import { findProjectRoot, percentile, raceTimeout, sleep } from './support.js';

const NODES = 1_000;
const SERVICES_SEEDED = 20;
const TASKS = 10_000;
const SEED_BATCH = 500;
const CREATES = 200;
const LIST_RUNS = 20;
const WATCHERS = 100;
const WATCHED_CREATES = 100;
const DELIVERY_TIMEOUT_MS = 5_000;

const TARGETS = { createP99Ms: 50, listP99Ms: 200, watchP99Ms: 50, rssMb: 300 };

const projectRoot = findProjectRoot();
const resultsDir = join(projectRoot, 'bench', 'results');

const serviceSpec = (name: string): ServiceSpec => ({
  name,
  labels: { bench: 'store' },
  taskTemplate: { containerSpec: { image: 'nginx:1.27' } },
  mode: { replicated: { replicas: 1 } },
});

interface Stats {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function stats(samples: number[]): Stats {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  await mkdir(resultsDir, { recursive: true });
  const dirs = await TestDirs.create('flotilla-store-bench-');
  const addr = addresses(70);
  const managers: Manager[] = [];
  const clients: FlotillaClient[] = [];
  const client = (address: string): FlotillaClient => {
    const c = new FlotillaClient({ address });
    clients.push(c);
    return c;
  };
  console.log(
    `bench:store: ${cpus().length} CPUs, node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`,
  );
  try {
    // ---- cluster ----
    const a = await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1) });
    managers.push(a);
    const [clusterObject] = a.store.list('cluster');
    if (!clusterObject) throw new Error('no cluster object after init');
    const secret = clusterObject.joinTokens.manager;
    for (const [name, n] of [
      ['b', 2],
      ['c', 3],
    ] as const) {
      const m = await Manager.join({
        dataDir: dirs.dir(name),
        listenAddr: addr(n),
        joinAddr: a.address,
        joinSecret: secret,
      });
      managers.push(m);
      await waitUntil(`${name} to be a voter`, () => a.raft.membership().voters.includes(m.id), 30_000);
    }
    const leader = managers.find((m) => m.raft.isLeader());
    if (!leader) throw new Error('no leader among the three managers');
    const follower = managers.find((m) => m !== leader)!;
    console.log(`  3 managers up: leader ${leader.address}, measuring through follower ${follower.address}`);

    // ---- seeding ----
    const seedStarted = performance.now();
    const leaderClient = client(leader.address);
    const serviceIds: string[] = [];
    for (let i = 0; i < SERVICES_SEEDED; i++)
      serviceIds.push((await leaderClient.createService(serviceSpec(`seed-${i}`))).id);
    const nodeIds: string[] = [];
    for (let start = 0; start < NODES; start += SEED_BATCH) {
      const ops: ApiOperation[] = [];
      for (let i = start; i < Math.min(NODES, start + SEED_BATCH); i++)
        ops.push({
          op: 'create',
          kind: 'node',
          object: {
            spec: {
              name: `worker-${i}`,
              role: 'worker',
              availability: 'active',
              labels: { rack: `r${i % 20}` },
            },
            description: {
              hostname: `worker-${i}`,
              platform: { architecture: 'x86_64', os: 'linux' },
              resources: { nanoCpus: 4e9, memoryBytes: 8 * 1024 ** 3 },
              engine: { engineVersion: '27.3.1', labels: {}, plugins: [] },
            },
            status: { state: 'ready', addr: `10.${(i >> 8) & 255}.${i & 255}.1` },
          },
        });
      const { objects } = await leader.store.update(ops);
      for (const o of objects) nodeIds.push(o.id);
    }
    const now = new Date().toISOString();
    for (let start = 0; start < TASKS; start += SEED_BATCH) {
      const ops: ApiOperation[] = [];
      for (let i = start; i < Math.min(TASKS, start + SEED_BATCH); i++) {
        const serviceIndex = i % SERVICES_SEEDED;
        const slot = Math.floor(i / SERVICES_SEEDED) + 1;
        ops.push({
          op: 'create',
          kind: 'task',
          object: {
            name: `seed-${serviceIndex}.${slot}`,
            serviceId: serviceIds[serviceIndex]!,
            slot,
            nodeId: nodeIds[i % NODES]!,
            desiredState: 'running',
            labels: {},
            spec: { containerSpec: { image: 'nginx:1.27' } },
            status: { state: 'running', timestamp: now, message: 'started' },
          },
        });
      }
      await leader.store.update(ops);
    }
    await waitUntil(
      'the followers to apply the seed',
      () => managers.every((m) => m.store.list('task').length === TASKS),
      30_000,
    );
    const seedMs = performance.now() - seedStarted;
    console.log(
      `  seeded ${NODES} nodes, ${SERVICES_SEEDED} services, ${TASKS} tasks via leader store.update ` +
        `(${SEED_BATCH} per transaction) in ${(seedMs / 1000).toFixed(1)} s`,
    );

    // ---- createService through a follower ----
    const followerClient = client(follower.address);
    await followerClient.createService(serviceSpec('warmup-create'));
    const createMs: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      const t0 = performance.now();
      await followerClient.createService(serviceSpec(`create-${i}`));
      createMs.push(performance.now() - t0);
    }
    const create = stats(createMs);
    console.log(
      `  createService via follower: p50 ${create.p50Ms.toFixed(2)} ms, p99 ${create.p99Ms.toFixed(2)} ms`,
    );

    // ---- ListTasks (all 10,000) through the follower ----
    const warm = await followerClient.listTasks();
    if (warm.length !== TASKS) throw new Error(`ListTasks returned ${warm.length} tasks, expected ${TASKS}`);
    const listMs: number[] = [];
    for (let i = 0; i < LIST_RUNS; i++) {
      const t0 = performance.now();
      const tasks = await followerClient.listTasks();
      listMs.push(performance.now() - t0);
      if (tasks.length !== TASKS) throw new Error(`ListTasks returned ${tasks.length} tasks`);
    }
    const list = stats(listMs);
    // Diagnostic only: the follower's in-memory list without the RPC, encoding or decoding.
    const storeListMs: number[] = [];
    for (let i = 0; i < LIST_RUNS; i++) {
      const t0 = performance.now();
      follower.store.list('task');
      storeListMs.push(performance.now() - t0);
    }
    const storeList = stats(storeListMs);
    console.log(
      `  ListTasks (${TASKS}) via follower: p50 ${list.p50Ms.toFixed(1)} ms, p99 ${list.p99Ms.toFixed(1)} ms`,
    );

    // ---- watch fan-out ----
    const watch = await measureWatch(managers, leader, client);
    console.log(
      `  watch fan-out (${WATCHERS} watchers): p50 ${watch.stats.p50Ms.toFixed(2)} ms, p99 ${watch.stats.p99Ms.toFixed(2)} ms, ` +
        `${watch.stats.count}/${watch.expected} deliveries, ${watch.beforeCommit} arrived before the update resolved`,
    );

    // ---- snapshot and RSS ----
    const snapshotRuns: number[] = [];
    let snapshotBytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const snap = leader.store.snapshot();
      snapshotRuns.push(performance.now() - t0);
      snapshotBytes = snap.byteLength;
    }
    const snapshot = stats(snapshotRuns);
    const rssMb = process.memoryUsage().rss / (1024 * 1024);
    const heapUsedMb = process.memoryUsage().heapUsed / (1024 * 1024);

    const report = {
      benchmark: 'store',
      startedAt: startedAt.toISOString(),
      durationS: (Date.now() - startedAt.getTime()) / 1000,
      environment: { cpus: cpus().length, node: process.version, loadAvg1m: loadavg()[0] ?? null },
      setup: {
        managers: 3,
        placement:
          'all three Manager instances in the bench process (Manager.init/join), real gRPC on 127.0.0.x, ' +
          'disk storage (fsync), default Raft timing',
        seeding:
          `leader store.update (replicated Raft transactions of ${SEED_BATCH} objects): no control RPC creates ` +
          'nodes or tasks and the manager daemon has no request channel',
        nodes: NODES,
        tasks: TASKS,
        seededServices: SERVICES_SEEDED,
        seedMs,
      },
      create_service_ms_p50: create.p50Ms,
      create_service_ms_p99: create.p99Ms,
      create_service: {
        ...create,
        how: `${CREATES} sequential FlotillaClient.createService calls on a follower (forwarded to the leader)`,
      },
      list_tasks_10k_ms_p99: list.p99Ms,
      list_tasks: {
        ...list,
        how: `${LIST_RUNS} FlotillaClient.listTasks() of all ${TASKS} tasks on a follower`,
        storeListOnlyP50Ms: storeList.p50Ms,
        note:
          'client and managers share this process and its event loop: each figure includes the ' +
          "manager's JSON encoding and the client's decoding of all 10,000 tasks on the same thread",
      },
      watch_fanout_ms_p99: watch.stats.p99Ms,
      watch_fanout: {
        ...watch.stats,
        watchers: WATCHERS,
        watchersPerManager: watch.perManager,
        writes: WATCHED_CREATES,
        expectedDeliveries: watch.expected,
        missing: watch.expected - watch.stats.count,
        arrivedBeforeUpdateResolved: watch.beforeCommit,
        minMs: watch.minMs,
        definition:
          "per delivery: performance.now() when the watcher's for-await loop receives the create event, " +
          "minus performance.now() when the leader's ReplicatedStore.update([create service]) promise " +
          'resolved (committed by a quorum and applied on the leader); one write at a time, each ' +
          'waiting for all deliveries; same process, same clock; negative values (delivered before ' +
          'the proposer saw its update resolve) are kept as they are',
      },
      snapshot_ms: snapshot.p50Ms,
      snapshot_bytes: snapshotBytes,
      snapshot: {
        runs: snapshotRuns,
        how: 'leader ReplicatedStore.snapshot() (msgpack of the whole store), median of 5 runs',
        objects: {
          nodes: leader.store.list('node').length,
          tasks: TASKS,
          services: leader.store.list('service').length,
        },
      },
      rss_mb: rssMb,
      rss: {
        heapUsedMb,
        how:
          'process.memoryUsage().rss of the bench process, which holds all three managers, ' +
          `${WATCHERS + 2} gRPC clients and the bench itself: an upper bound for the leader alone`,
      },
      targets: TARGETS,
      met: {
        createP99: create.p99Ms < TARGETS.createP99Ms,
        listP99: list.p99Ms < TARGETS.listP99Ms,
        watchP99: watch.stats.p99Ms < TARGETS.watchP99Ms && watch.stats.count === watch.expected,
        rss: rssMb < TARGETS.rssMb,
      },
    };
    printTable(report);
    const out = join(resultsDir, 'store.json');
    await writeFile(out, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nwrote ${relative(process.cwd(), out)} (${report.durationS.toFixed(0)} s)`);
  } finally {
    for (const c of clients) c.close();
    await Promise.all(managers.map((m) => m.stop()));
    await dirs.remove();
  }
}

interface WatchResult {
  stats: Stats;
  expected: number;
  beforeCommit: number;
  minMs: number;
  perManager: Record<string, number>;
}

async function measureWatch(
  managers: Manager[],
  leader: Manager,
  client: (address: string) => FlotillaClient,
): Promise<WatchResult> {
  const abort = new AbortController();
  setMaxListeners(WATCHERS + 10, abort.signal);
  /** Arrival times of each watched service name, per watcher. */
  const arrivals: Array<Map<string, number>> = [];
  const perManager: Record<string, number> = {};
  const loops: Array<Promise<void>> = [];
  for (let w = 0; w < WATCHERS; w++) {
    const m = managers[w % managers.length]!;
    const role = m === leader ? 'leader' : `follower ${m.address}`;
    perManager[role] = (perManager[role] ?? 0) + 1;
    const seen = new Map<string, number>();
    arrivals.push(seen);
    const c = client(m.address);
    loops.push(
      (async () => {
        for await (const event of c.watch(
          { kinds: ['service'], types: ['create'] },
          { signal: abort.signal },
        )) {
          const now = performance.now();
          if (event.kind === 'service') seen.set(event.object.spec.name ?? '', now);
        }
      })().catch((err: unknown) => {
        if (!abort.signal.aborted) console.log(`  watcher ${w} failed: ${String(err)}`);
      }),
    );
  }
  const create = async (name: string): Promise<number> => {
    await leader.store.update([
      {
        op: 'create',
        kind: 'service',
        object: { spec: serviceSpec(name) },
      },
    ]);
    return performance.now();
  };
  const allSeen = (name: string): Promise<void> =>
    waitUntil(`all watchers to see ${name}`, () => arrivals.every((s) => s.has(name)), DELIVERY_TIMEOUT_MS);

  // The watches have no "ready" signal: a first write every watcher sees proves they are open.
  await waitUntil(
    'every watcher to receive a warm-up event',
    async () => {
      await create(`watch-warmup-${Date.now()}`);
      await sleep(200);
      return arrivals.every((s) => s.size > 0);
    },
    30_000,
  );

  const samples: number[] = [];
  let beforeCommit = 0;
  let minMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < WATCHED_CREATES; i++) {
    const name = `watched-${i}`;
    const committedAt = await create(name);
    const done = await raceTimeout(
      allSeen(name).catch(() => undefined),
      DELIVERY_TIMEOUT_MS + 1_000,
    );
    if (done === 'timeout') console.log(`  ${name}: not all watchers received it`);
    for (const seen of arrivals) {
      const at = seen.get(name);
      if (at === undefined) continue;
      const ms = at - committedAt;
      if (ms < 0) beforeCommit++;
      minMs = Math.min(minMs, ms);
      samples.push(ms);
    }
  }
  abort.abort();
  await raceTimeout(Promise.all(loops), 5_000);
  return { stats: stats(samples), expected: WATCHERS * WATCHED_CREATES, beforeCommit, minMs, perManager };
}

function printTable(r: {
  create_service_ms_p50: number;
  create_service_ms_p99: number;
  list_tasks_10k_ms_p99: number;
  watch_fanout_ms_p99: number;
  snapshot_ms: number;
  snapshot_bytes: number;
  rss_mb: number;
  met: { createP99: boolean; listP99: boolean; watchP99: boolean; rss: boolean };
}): void {
  const yes = (b: boolean): string => (b ? 'yes' : 'NO');
  const rows: string[][] = [
    ['createService p50 (follower)', `${r.create_service_ms_p50.toFixed(2)} ms`, '', ''],
    [
      'createService p99 (follower)',
      `${r.create_service_ms_p99.toFixed(2)} ms`,
      `< ${TARGETS.createP99Ms} ms`,
      yes(r.met.createP99),
    ],
    [
      'ListTasks 10k p99',
      `${r.list_tasks_10k_ms_p99.toFixed(1)} ms`,
      `< ${TARGETS.listP99Ms} ms`,
      yes(r.met.listP99),
    ],
    [
      'watch delivery p99 (100 watchers)',
      `${r.watch_fanout_ms_p99.toFixed(2)} ms`,
      `< ${TARGETS.watchP99Ms} ms`,
      yes(r.met.watchP99),
    ],
    ['snapshot (leader)', `${r.snapshot_ms.toFixed(1)} ms`, '', ''],
    ['snapshot size', `${(r.snapshot_bytes / (1024 * 1024)).toFixed(2)} MiB`, '', ''],
    ['RSS (3 managers, one process)', `${r.rss_mb.toFixed(0)} MB`, `< ${TARGETS.rssMb} MB`, yes(r.met.rss)],
  ];
  const header = ['measure', 'value', 'target', 'met?'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  console.log('');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
