// The converge benchmark (`npm run bench:converge`): a 50-replica service on the one local Docker
// Engine, from create to all RUNNING and from remove to no container left, measured side by side
// against (a) the same containers created and started directly with dockerode at the same
// parallelism and (b) Docker's own swarm mode on the same engine. The three run one after the
// other with no container of this run left between them; `--runs N` repeats the three and reports
// medians. A diagnostic pass (`--diagnose`, default on) then runs Flotilla once more with its
// engine calls counted through a pass-through socket. Prints a table and writes
// bench/results/converge.json.
//
// Every container this bench makes carries `com.flotilla.test=<run id>`; all of them are removed at
// the end whatever happened, every process is stopped by its pid, swarm mode is left
// (`docker swarm leave --force`) if this bench initialised it, and temporary directories go.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { FlotillaClient } from '../src/client/index.js';
import type { ServiceSpec, TaskState } from '../src/client/index.js';
import { findProjectRoot, percentile, sleep } from './support.js';
import { EngineProxy } from './support/engine-proxy.js';
import { EngineTracker, nowMs, type TrackedContainer } from './support/engine-tracker.js';
import { unmountUnder } from './support/mounts.js';
import { daemonScript, NodeProcess } from './support/node-process.js';

const IMAGE = 'flotilla-test/busybox:2';
const RUN_LABEL = 'com.flotilla.test';
const SYSTEM_LABEL = 'com.flotilla.bench.system';
const STOP_GRACE_S = 1;
const CONVERGE_TIMEOUT_MS = 180_000;
const TARGETS = { ratioMax: 1.1, ratioVsSwarmMax: 1.0 };
/** Docker Swarm (Debian's 20.10) on this kind of machine, as the issue quotes it. */
const SWARM_REFERENCE = { convergeS: 26.5, removeS: 21 };

type System = 'flotilla' | 'direct' | 'swarm' | 'flotilla-alt';

const projectRoot = findProjectRoot();
const resultsDir = join(projectRoot, 'bench', 'results');
const run = promisify(execFile);

interface Options {
  runs: number;
  replicas: number;
  swarm: boolean;
  diagnose: boolean;
  /** Other parallelisms to run the direct client at once each (not part of the ratios). */
  directAlso: number[];
  /**
   * Another build's dist/src/daemon/main.js, run as a fourth system ("flotilla-alt") in the same
   * rotation: an A/B comparison of a change to src/ under the same machine load.
   */
  altDaemon?: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { runs: 1, replicas: 50, swarm: true, diagnose: true, directAlso: [8] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} needs a positive integer`);
      return n;
    };
    if (arg === '--runs') options.runs = value();
    else if (arg === '--replicas') options.replicas = value();
    else if (arg === '--no-swarm') options.swarm = false;
    else if (arg === '--no-diagnose') options.diagnose = false;
    else if (arg === '--alt-daemon') options.altDaemon = argv[++i];
    else if (arg === '--direct-also')
      options.directAlso = (argv[++i] ?? '')
        .split(',')
        .filter((x) => x !== '')
        .map((x) => {
          const n = Number(x);
          if (!Number.isInteger(n) || n < 1)
            throw new Error(`--direct-also takes positive integers, not ${x}`);
          return n;
        });
    else
      throw new Error(
        `unknown argument ${arg} (--runs N, --replicas N, --no-swarm, --no-diagnose, --direct-also N,M|'', --alt-daemon PATH)`,
      );
  }
  return options;
}

function dockerSocket(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') === true ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** The median; with an even count, the mean of the two middle values. */
function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median and max of per-container durations (ms), for the phase breakdown. */
function spread(values: number[]): { medianMs: number; maxMs: number; n: number } {
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  return {
    medianMs: Math.round(percentile(sorted, 0.5)),
    maxMs: Math.round(sorted[sorted.length - 1] ?? Number.NaN),
    n: sorted.length,
  };
}

/** The last time (ms from t0) any container reached a milestone. */
function last(times: Array<number | undefined>, t0: number): number | null {
  const defined = times.filter((t): t is number => t !== undefined);
  return defined.length === 0 ? null : Math.round(Math.max(...defined) - t0);
}

/** The first time (ms from t0) any container reached a milestone. */
function first(times: Array<number | undefined>, t0: number): number | null {
  const defined = times.filter((t): t is number => t !== undefined);
  return defined.length === 0 ? null : Math.round(Math.min(...defined) - t0);
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat), or null when unreadable. */
async function processCpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_S : null;
  } catch {
    return null;
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** USER_HZ: 100 on Linux for every architecture this runs on. */
const CLOCK_TICKS_PER_S = 100;

// ---- shared context ----------------------------------------------------------------------------

interface Context {
  options: Options;
  runId: string;
  docker: Dockerode;
  tracker: EngineTracker;
  /** Temporary directories to remove at the end (after unmounting what is mounted in them). */
  dirs: string[];
  processes: NodeProcess[];
  notes: string[];
}

/** Force-removes every container of this run; returns how many were left. */
async function removeRunContainers(ctx: Context): Promise<number> {
  const left = await ctx.docker.listContainers({
    all: true,
    filters: { label: [`${RUN_LABEL}=${ctx.runId}`] },
  });
  await Promise.all(
    left.map((c) =>
      ctx.docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: unknown) => {
          if ((err as { statusCode?: unknown }).statusCode !== 404) throw err;
        }),
    ),
  );
  return left.length;
}

/**
 * Between systems: nothing of this run in the engine, the tracker's record cleared, and the
 * engine idle again. dockerd goes on working for seconds after a swarm leaves (its ingress network,
 * its tasks' cleanup); whichever system came next paid for it, and the rotation puts one system
 * after swarm more often than another.
 */
async function cleanSlate(ctx: Context, after: string): Promise<void> {
  const left = await removeRunContainers(ctx);
  if (left > 0)
    ctx.notes.push(`${left} container(s) left after ${after} were force-removed before the next system`);
  await ctx.tracker
    .until(`no container of this run after ${after}`, (c) => c.present === 0, 30_000)
    .catch(() => 0);
  ctx.tracker.reset();
  const waitedS = await engineIdle(ENGINE_IDLE_CORES, ENGINE_IDLE_TIMEOUT_MS);
  if (waitedS === null)
    ctx.notes.push(`the engine was still busy ${ENGINE_IDLE_TIMEOUT_MS / 1000} s after ${after}`);
}

/** The engine counts as idle below this share of a core (dockerd and containerd together). */
const ENGINE_IDLE_CORES = 0.05;
const ENGINE_IDLE_TIMEOUT_MS = 30_000;

/** Waits until dockerd and containerd use less than `cores` over a second; seconds waited, or null. */
async function engineIdle(cores: number, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  const pids = await enginePids();
  if (pids.length === 0) return 0;
  const busy = async (): Promise<number> => {
    let total = 0;
    for (const pid of pids) total += (await processCpuSeconds(pid)) ?? 0;
    return total;
  };
  let before = await busy();
  while (Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await busy();
    if (now - before < cores) return (Date.now() - started) / 1000;
    before = now;
  }
  return null;
}

async function enginePids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'dockerd' || comm.trim() === 'containerd') pids.push(Number(entry));
  }
  return pids;
}

// ---- Flotilla ------------------------------------------------------------------------------------

interface TaskTrace {
  createdMs?: number;
  /** Status timestamps as written in the store (the scheduler's for ASSIGNED, the worker's after). */
  statusMs: Partial<Record<TaskState, number>>;
  /** When this process saw each state in the store (watch arrival). */
  seenMs: Partial<Record<TaskState, number>>;
  /** The worker's own "task state" debug lines (the daemon's clock; same host). */
  workerMs: Partial<Record<TaskState, number>>;
  containerId?: string;
  serviceId: string;
}

interface FlotillaRun {
  convergeMs: number;
  removeMs: number;
  engineRunningMs: number;
  storeRunningMs: number;
  createServiceCallMs: number;
  storeEmptyMs: number | null;
  milestones: Record<string, number | null>;
  phases: Record<string, { medianMs: number; maxMs: number; n: number }>;
  removalMilestones: Record<string, number | null>;
  removalPhases: Record<string, { medianMs: number; maxMs: number; n: number }>;
  managerLogLines: number;
  /** CPU seconds the node process used (user + system) while converging and while removing. */
  nodeCpuS: { converge: number | null; remove: number | null };
  engineCalls?: Record<string, number>;
}

function sleeperSpec(name: string, replicas: number): ServiceSpec {
  return {
    name,
    taskTemplate: {
      containerSpec: { image: IMAGE, command: ['sleep', '3600'], stopGracePeriod: STOP_GRACE_S * 1e9 },
    },
    mode: { replicated: { replicas } },
  };
}

async function runFlotilla(
  ctx: Context,
  label: string,
  options: { proxy?: EngineProxy; script?: string; system?: string } = {},
): Promise<FlotillaRun> {
  const { proxy, script } = options;
  const system = options.system ?? 'flotilla';
  const { replicas } = ctx.options;
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-converge-'));
  ctx.dirs.push(dir);
  const traces = new Map<string, TaskTrace>();
  const trace = (id: string, serviceId: string): TaskTrace => {
    let t = traces.get(id);
    if (!t) traces.set(id, (t = { statusMs: {}, seenMs: {}, workerMs: {}, serviceId }));
    return t;
  };
  const onLine = (line: string): void => {
    if (!line.includes('"task state"')) return;
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: string; taskId?: string; state?: TaskState };
      if (entry.msg !== 'task state' || !entry.taskId || !entry.state || !entry.time) return;
      const t = traces.get(entry.taskId);
      if (t) t.workerMs[entry.state] = Date.parse(entry.time);
    } catch {
      // Not JSON (a stack trace line): not a task state line either.
    }
  };
  // A random port on 127.0.0.1; another process may hold it, so a clash is retried on another.
  const startNode = async (attempt: number): Promise<NodeProcess> => {
    const port = 41_000 + Math.floor(Math.random() * 8_000);
    const n = new NodeProcess(
      'm1',
      {
        mode: 'init',
        dataDir: join(dir, `m1-${attempt}`),
        listenAddr: `127.0.0.1:${port}`,
        // Debug level only adds the task controllers' "task state" lines (a few per task) here.
        logLevel: 'debug',
        hostname: `${ctx.runId}-m1`,
        executor: {
          kind: 'docker',
          ...(proxy ? { socketPath: proxy.socketPath } : {}),
          extraLabels: { [RUN_LABEL]: ctx.runId, [SYSTEM_LABEL]: system },
        },
      },
      onLine,
      script,
    );
    ctx.processes.push(n); // before awaiting, so a failure anywhere still stops it
    try {
      await n.ready();
      return n;
    } catch (err) {
      await n.stop();
      ctx.processes.splice(ctx.processes.indexOf(n), 1);
      if (attempt < 5 && String(err).includes('EADDRINUSE')) {
        ctx.notes.push(`port ${port} was taken; the node was started again on another port`);
        return startNode(attempt + 1);
      }
      throw err;
    }
  };
  const node = await startNode(1);
  const abort = new AbortController();
  let client: FlotillaClient | undefined;
  let watching: Promise<void> | undefined;
  try {
    client = new FlotillaClient({ address: node.controlAddress, timeoutMs: 30_000 });
    const c = client;
    const readyDeadline = Date.now() + 30_000;
    for (;;) {
      const nodes = await c.listNodes().catch(() => []);
      if (nodes.some((n) => n.status.state === 'ready' && n.description !== undefined)) break;
      if (Date.now() > readyDeadline)
        throw new Error('timed out after 30 s waiting for the node to be ready');
      await sleep(50);
    }

    // The store's view, from a watch opened at a known version (no event can be missed).
    let serviceId = '';
    let changed: () => void = () => {};
    const { version } = await c.list('task');
    const storeCounts = (): { running: number; tasks: number } => {
      let running = 0;
      let tasks = 0;
      for (const t of traces.values()) {
        if (t.serviceId !== serviceId || t.seenMs.remove !== undefined) continue;
        tasks++;
        if (t.seenMs.running !== undefined && t.seenMs.shutdown === undefined) running++;
      }
      return { running, tasks };
    };
    watching = (async () => {
      for await (const event of c.watch(
        { kinds: ['task'] },
        { fromVersion: version, signal: abort.signal },
      )) {
        if (event.kind !== 'task') continue;
        const at = nowMs();
        const task = event.object;
        const t = trace(task.id, task.serviceId);
        if (event.type === 'delete') t.seenMs.remove = at;
        else {
          t.createdMs ??= Date.parse(task.meta.createdAt);
          const state = task.status.state;
          t.seenMs[state] ??= at;
          t.statusMs[state] ??= Date.parse(task.status.timestamp);
          if (task.status.containerStatus?.containerId)
            t.containerId = task.status.containerStatus.containerId;
        }
        changed();
      }
    })().catch((err: unknown) => {
      if (!abort.signal.aborted) console.log(`  task watch failed: ${String(err)}`);
    });
    const storeUntil = (what: string, cond: () => boolean, timeoutMs: number): Promise<number> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
          timeoutMs,
        );
        const check = (): void => {
          if (!cond()) return;
          clearTimeout(timer);
          changed = () => {};
          resolve(nowMs());
        };
        changed = check;
        check();
      });

    proxy?.reset();
    const ours = (t: { labels: Record<string, string> }): boolean => t.labels[SYSTEM_LABEL] === system;
    const cpuBefore = await processCpuSeconds(node.pid);
    const t0 = nowMs();
    const engineRunning = ctx.tracker.until(
      `${replicas} running containers (Flotilla)`,
      () => ctx.tracker.counts(ours).running >= replicas,
      CONVERGE_TIMEOUT_MS,
    );
    const created = await c.createService(sleeperSpec(`conv-${label}`, replicas));
    const createServiceCallMs = nowMs() - t0;
    serviceId = created.id;
    const storeRunning = storeUntil(
      `${replicas} tasks RUNNING in the store`,
      () => storeCounts().running >= replicas,
      CONVERGE_TIMEOUT_MS,
    );
    const [engineAt, storeAt] = await Promise.all([engineRunning, storeRunning]);
    const convergeMs = Math.max(engineAt, storeAt) - t0;
    const cpuAfterConverge = await processCpuSeconds(node.pid);
    const engineCalls = proxy ? Object.fromEntries(proxy.calls) : undefined;

    // ---- removal: from removeService until no container of the service is left ----
    proxy?.reset();
    const t1 = nowMs();
    await c.removeService(serviceId);
    const removeCallMs = nowMs() - t1;
    const goneAt = await ctx.tracker.until(
      'no container of the service left (Flotilla)',
      () => ctx.tracker.counts(ours).present === 0,
      CONVERGE_TIMEOUT_MS,
    );
    const removeMs = goneAt - t1;
    const cpuAfterRemove = await processCpuSeconds(node.pid);
    // Not part of rm_s: when the task reaper has deleted the tasks from the store as well.
    const storeEmptyAt = await storeUntil(
      'the service tasks deleted from the store',
      () => storeCounts().tasks === 0,
      60_000,
    ).catch(() => null);
    if (proxy && engineCalls) for (const [k, v] of proxy.calls) engineCalls[`remove: ${k}`] = v;

    const containers = [...ctx.tracker.containers.values()].filter(ours);
    const byTask = new Map(containers.map((k) => [k.labels['com.flotilla.task.id'] ?? '', k]));
    const rows = [...traces]
      .filter(([, t]) => t.serviceId === serviceId)
      .map(([id, t]) => ({ t, e: byTask.get(id) }));
    const diff = (a: number | undefined, b: number | undefined): number =>
      a === undefined || b === undefined ? Number.NaN : a - b;
    /** When the first or last container (or task) passed a milestone, in ms after `since`. */
    type Row = (typeof rows)[number];
    const firstAt = (pick: (r: Row) => number | undefined, since: number): number | null =>
      first(rows.map(pick), since);
    const lastAt = (pick: (r: Row) => number | undefined, since: number): number | null =>
      last(rows.map(pick), since);
    return {
      convergeMs,
      removeMs,
      engineRunningMs: engineAt - t0,
      storeRunningMs: storeAt - t0,
      createServiceCallMs,
      storeEmptyMs: storeEmptyAt === null ? null : storeEmptyAt - t1,
      milestones: {
        createServiceReturned: Math.round(createServiceCallMs),
        lastTaskCreated: lastAt((r) => r.t.createdMs, t0),
        lastAssigned: lastAt((r) => r.t.statusMs.assigned, t0),
        lastAssignedSeenInStore: lastAt((r) => r.t.seenMs.assigned, t0),
        firstWorkerAccepted: firstAt((r) => r.t.workerMs.accepted, t0),
        lastWorkerAccepted: lastAt((r) => r.t.workerMs.accepted, t0),
        firstContainerCreated: firstAt((r) => r.e?.createdMs, t0),
        firstContainerStarted: firstAt((r) => r.e?.startedMs, t0),
        lastContainerCreated: lastAt((r) => r.e?.createdMs, t0),
        lastWorkerReady: lastAt((r) => r.t.workerMs.ready, t0),
        lastContainerStarted: lastAt((r) => r.e?.startedMs, t0),
        lastWorkerRunning: lastAt((r) => r.t.workerMs.running, t0),
        lastRunningSeenInStore: lastAt((r) => r.t.seenMs.running, t0),
      },
      phases: {
        'createService call → task created (orchestrator)': spread(rows.map((r) => diff(r.t.createdMs, t0))),
        'task created → ASSIGNED (allocator, scheduler)': spread(
          rows.map((r) => diff(r.t.statusMs.assigned, r.t.createdMs)),
        ),
        'ASSIGNED → worker ACCEPTED (dispatch, controller start, adoption inspect)': spread(
          rows.map((r) => diff(r.t.workerMs.accepted, r.t.statusMs.assigned)),
        ),
        'ACCEPTED → engine create event (prepare: image cache, create)': spread(
          rows.map((r) => diff(r.e?.createdMs, r.t.workerMs.accepted)),
        ),
        'engine create → worker READY (create answer, inspect)': spread(
          rows.map((r) => diff(r.t.workerMs.ready, r.e?.createdMs)),
        ),
        'worker READY → engine start event (events.ready, start call)': spread(
          rows.map((r) => diff(r.e?.startedMs, r.t.workerMs.ready)),
        ),
        'engine start → worker RUNNING (start answer, inspect)': spread(
          rows.map((r) => diff(r.t.workerMs.running, r.e?.startedMs)),
        ),
        'worker RUNNING → RUNNING in store, seen by a watch (reporter 50 ms, dispatcher 100 ms, Raft)':
          spread(rows.map((r) => diff(r.t.seenMs.running, r.t.workerMs.running))),
      },
      removalMilestones: {
        removeServiceReturned: Math.round(removeCallMs),
        firstContainerDied: firstAt((r) => r.e?.diedMs, t1),
        lastContainerDied: lastAt((r) => r.e?.diedMs, t1),
        lastShutdownSeenInStore: lastAt((r) => r.t.seenMs.shutdown, t1),
        lastContainerDestroyed: lastAt((r) => r.e?.destroyedMs, t1),
        lastTaskDeleted: lastAt((r) => r.t.seenMs.remove, t1),
      },
      removalPhases: {
        'removeService → container died (reaper, dispatch, stop with 1 s grace)': spread(
          rows.map((r) => diff(r.e?.diedMs, t1)),
        ),
        'container died → destroyed (stop answer, SHUTDOWN reported, remove)': spread(
          rows.map((r) => diff(r.e?.destroyedMs, r.e?.diedMs)),
        ),
      },
      managerLogLines: node.outputLines,
      nodeCpuS: {
        converge:
          cpuAfterConverge === null || cpuBefore === null ? null : round2(cpuAfterConverge - cpuBefore),
        remove:
          cpuAfterRemove === null || cpuAfterConverge === null
            ? null
            : round2(cpuAfterRemove - cpuAfterConverge),
      },
      ...(engineCalls ? { engineCalls } : {}),
    };
  } finally {
    abort.abort();
    client?.close();
    await watching;
    await node.stop();
    ctx.processes.splice(ctx.processes.indexOf(node), 1);
  }
}

// ---- direct (dockerode) --------------------------------------------------------------------------

interface DirectRun {
  convergeMs: number;
  removeMs: number;
  milestones: Record<string, number | null>;
}

/** Runs `work` for every item with at most `limit` in flight; resolves with the results in order. */
async function inPool<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

async function runDirect(ctx: Context, label: string, parallelism: number): Promise<DirectRun> {
  const { replicas } = ctx.options;
  const { docker } = ctx;
  const ours = (t: { labels: Record<string, string> }): boolean => t.labels[SYSTEM_LABEL] === 'direct';
  // What Flotilla's executor sends for such a task (container-config.ts), minus its task labels.
  const body = (i: number): Dockerode.ContainerCreateOptions => ({
    name: `conv-${label}.${i}`,
    Image: IMAGE,
    Labels: { [RUN_LABEL]: ctx.runId, [SYSTEM_LABEL]: 'direct' },
    Entrypoint: ['sleep', '3600'],
    StopTimeout: STOP_GRACE_S,
    HostConfig: { Mounts: [], RestartPolicy: { Name: 'no' } },
  });
  const t0 = nowMs();
  const returned: number[] = [];
  // As Flotilla's worker (at 50-way): every container at once, each created then started.
  const slots = Array.from({ length: replicas }, (_, i) => i + 1);
  const ids = await inPool(parallelism, slots, async (slot) => {
    const container = await docker.createContainer(body(slot));
    await container.start();
    returned.push(nowMs());
    return container.id;
  });
  const engineAt = await ctx.tracker.until(
    `${replicas} running containers (direct)`,
    () => ctx.tracker.counts(ours).running >= replicas,
    CONVERGE_TIMEOUT_MS,
  );
  const convergeMs = Math.max(engineAt, ...returned) - t0;
  const created = [...ctx.tracker.containers.values()].filter(ours);

  const t1 = nowMs();
  await inPool(parallelism, ids, async (id) => {
    const container = docker.getContainer(id);
    await container.stop({ t: STOP_GRACE_S });
    await container.remove({ force: true, v: true });
  });
  const goneAt = await ctx.tracker.until(
    'no container left (direct)',
    () => ctx.tracker.counts(ours).present === 0,
    CONVERGE_TIMEOUT_MS,
  );
  const removeMs = goneAt - t1;
  return {
    convergeMs,
    removeMs,
    milestones: {
      ...engineMilestones(created, t0, t1),
      lastStartReturned: last(returned, t0),
    },
  };
}

/** When the first and last of `created` reached each engine milestone (ms from t0, or t1 for removal). */
function engineMilestones(
  created: readonly TrackedContainer[],
  t0: number,
  t1: number,
): Record<string, number | null> {
  return {
    firstContainerCreated: first(
      created.map((c) => c.createdMs),
      t0,
    ),
    firstContainerStarted: first(
      created.map((c) => c.startedMs),
      t0,
    ),
    lastContainerCreated: last(
      created.map((c) => c.createdMs),
      t0,
    ),
    lastContainerStarted: last(
      created.map((c) => c.startedMs),
      t0,
    ),
    lastContainerDied: last(
      created.map((c) => c.diedMs),
      t1,
    ),
    lastContainerDestroyed: last(
      created.map((c) => c.destroyedMs),
      t1,
    ),
  };
}

// ---- Docker swarm mode ---------------------------------------------------------------------------

interface SwarmRun {
  convergeMs: number;
  removeMs: number;
  serviceCreateCallMs: number;
  milestones: Record<string, number | null>;
}

async function swarmState(): Promise<string> {
  const { stdout } = await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}']);
  return stdout.trim();
}

async function runSwarm(ctx: Context, label: string): Promise<SwarmRun | { skipped: string }> {
  const { replicas } = ctx.options;
  const before = await swarmState();
  if (before !== 'inactive')
    return {
      skipped: `the engine is already in swarm state "${before}" (not this bench's): swarm mode not measured`,
    };
  try {
    await run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  } catch (err) {
    return {
      skipped: `docker swarm init failed: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}`,
    };
  }
  const name = `conv-${label}`;
  try {
    const deadline = Date.now() + 30_000;
    while ((await run('docker', ['node', 'ls', '--format', '{{.Status}}'])).stdout.trim() !== 'Ready') {
      if (Date.now() > deadline)
        throw new Error('timed out after 30 s waiting for the swarm node to be Ready');
      await sleep(100);
    }
    const ours = (t: { labels: Record<string, string> }): boolean => t.labels[SYSTEM_LABEL] === 'swarm';
    const t0 = nowMs();
    const engineRunning = ctx.tracker.until(
      `${replicas} running containers (swarm)`,
      () => ctx.tracker.counts(ours).running >= replicas,
      CONVERGE_TIMEOUT_MS,
    );
    await run('docker', [
      'service',
      'create',
      '--detach',
      '--quiet',
      '--no-resolve-image',
      '--replicas',
      String(replicas),
      '--stop-grace-period',
      `${STOP_GRACE_S}s`,
      '--container-label',
      `${RUN_LABEL}=${ctx.runId}`,
      '--container-label',
      `${SYSTEM_LABEL}=swarm`,
      '--name',
      name,
      IMAGE,
      'sleep',
      '3600',
    ]);
    const serviceCreateCallMs = nowMs() - t0;
    const engineAt = await engineRunning;
    const convergeMs = engineAt - t0;
    const created = [...ctx.tracker.containers.values()].filter(ours);

    const t1 = nowMs();
    await run('docker', ['service', 'rm', name]);
    const goneAt = await ctx.tracker.until(
      'no container left (swarm)',
      () => ctx.tracker.counts(ours).present === 0,
      CONVERGE_TIMEOUT_MS,
    );
    return {
      convergeMs,
      removeMs: goneAt - t1,
      serviceCreateCallMs,
      milestones: engineMilestones(created, t0, t1),
    };
  } finally {
    await run('docker', ['service', 'rm', name]).catch(() => undefined);
    await run('docker', ['swarm', 'leave', '--force']).catch((err: unknown) =>
      ctx.notes.push(`docker swarm leave --force failed: ${String(err)}`),
    );
  }
}

// ---- the benchmark -------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(daemonScript))
    throw new Error(
      `${daemonScript} is missing: run 'npx tsc -p tsconfig.json' first (npm run bench:converge does)`,
    );
  const startedAt = new Date();
  await mkdir(resultsDir, { recursive: true });
  const docker = new Dockerode({ socketPath: dockerSocket() });
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    throw new Error(`the test image ${IMAGE} is missing: run scripts/docker-engine.sh first`);
  }
  const version = await docker.version();
  const runId = `converge-${process.pid}-${randomBytes(4).toString('hex')}`;
  const loadAtStart = loadavg();
  console.log(
    `bench:converge: ${options.replicas} replicas, ${options.runs} run(s), ${cpus().length} CPUs, node ${process.version}, ` +
      `Docker ${version.Version}, load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, run label ${RUN_LABEL}=${runId}`,
  );
  const tracker = await EngineTracker.open(docker, [`${RUN_LABEL}=${runId}`]);
  const ctx: Context = { options, runId, docker, tracker, dirs: [], processes: [], notes: [] };
  const flotilla: FlotillaRun[] = [];
  const direct: DirectRun[] = [];
  const swarm: SwarmRun[] = [];
  const loads: number[] = [];
  const orders: System[][] = [];
  const flotillaAlt: FlotillaRun[] = [];
  const alt = options.altDaemon === undefined ? undefined : resolve(options.altDaemon);
  if (alt !== undefined && !existsSync(alt)) throw new Error(`--alt-daemon ${alt} does not exist`);
  const directOther: Array<{ parallelism: number; convergeMs: number; removeMs: number }> = [];
  let diagnostic: FlotillaRun | undefined;
  let swarmSkipped: string | undefined;
  try {
    for (let r = 1; r <= options.runs; r++) {
      loads.push(loadavg()[0] ?? Number.NaN);
      const tag = `${r}-${runId.slice(-8)}`;
      const systems: Record<System, () => Promise<void>> = {
        flotilla: async () => {
          const f = await runFlotilla(ctx, `f${tag}`);
          flotilla.push(f);
          console.log(
            `  run ${r}: flotilla  create ${seconds(f.convergeMs)} s, remove ${seconds(f.removeMs)} s`,
          );
        },
        direct: async () => {
          const d = await runDirect(ctx, `d${tag}`, options.replicas);
          direct.push(d);
          console.log(
            `  run ${r}: direct    create ${seconds(d.convergeMs)} s, remove ${seconds(d.removeMs)} s`,
          );
        },
        'flotilla-alt': async () => {
          if (!alt) return;
          const f = await runFlotilla(ctx, `a${tag}`, { script: alt, system: 'flotilla-alt' });
          flotillaAlt.push(f);
          console.log(
            `  run ${r}: alt       create ${seconds(f.convergeMs)} s, remove ${seconds(f.removeMs)} s`,
          );
        },
        swarm: async () => {
          if (!options.swarm || swarmSkipped !== undefined) return;
          const s = await runSwarm(ctx, `s${tag}`);
          if ('skipped' in s) {
            swarmSkipped = s.skipped;
            console.log(`  run ${r}: swarm     skipped: ${s.skipped}`);
            return;
          }
          swarm.push(s);
          console.log(
            `  run ${r}: swarm     create ${seconds(s.convergeMs)} s, remove ${seconds(s.removeMs)} s`,
          );
        },
      };
      // Swarm runs last in every run: after it leaves, dockerd is slower for a while (even once
      // idle), and a plain rotation put one system right after it more often than the other.
      // Flotilla and direct take turns at going first (and so at following the last run's swarm).
      const measured: System[] = r % 2 === 1 ? ['flotilla', 'direct'] : ['direct', 'flotilla'];
      const order: System[] = [...measured, ...(alt ? (['flotilla-alt'] as const) : []), 'swarm'];
      orders.push(order);
      for (const system of order) {
        await systems[system]();
        await cleanSlate(ctx, system);
      }
    }
    for (const parallelism of options.directAlso) {
      const d = await runDirect(ctx, `p${parallelism}-${runId.slice(-8)}`, parallelism);
      directOther.push({
        parallelism,
        convergeMs: Math.round(d.convergeMs),
        removeMs: Math.round(d.removeMs),
      });
      console.log(
        `  direct at ${parallelism}-way: create ${seconds(d.convergeMs)} s, remove ${seconds(d.removeMs)} s`,
      );
      await cleanSlate(ctx, `direct at ${parallelism}-way`);
    }
    if (options.diagnose) {
      // Its own pass: the counting socket adds a hop, so these figures are not the timed ones.
      const dir = await mkdtemp(join(tmpdir(), 'flotilla-converge-proxy-'));
      ctx.dirs.push(dir);
      const proxy = await EngineProxy.listen(join(dir, 'docker.sock'), dockerSocket());
      try {
        diagnostic = await runFlotilla(ctx, `diag-${runId.slice(-8)}`, { proxy });
        console.log(
          `  diagnostic flotilla pass (engine calls counted): create ${seconds(diagnostic.convergeMs)} s`,
        );
      } finally {
        await proxy.close();
      }
      await cleanSlate(ctx, 'the diagnostic pass');
    }
  } finally {
    for (const p of [...ctx.processes]) await p.stop();
    const left = await removeRunContainers(ctx).catch((err: unknown) => {
      console.log(`  removing this run's containers failed: ${String(err)}`);
      return 0;
    });
    if (left > 0) console.log(`  removed ${left} leftover container(s) of this run`);
    tracker.close();
    for (const dir of ctx.dirs) {
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    }
  }

  // ---- figures ----
  const med = (xs: number[]): number | null => (xs.length === 0 ? null : seconds(median(xs)));
  const converge_s = med(flotilla.map((f) => f.convergeMs))!;
  const rm_s = med(flotilla.map((f) => f.removeMs))!;
  const direct_s = med(direct.map((d) => d.convergeMs))!;
  const direct_rm_s = med(direct.map((d) => d.removeMs))!;
  const swarm_s = med(swarm.map((s) => s.convergeMs));
  const swarm_rm_s = med(swarm.map((s) => s.removeMs));
  const ratio = converge_s / direct_s;
  const rm_ratio = rm_s / direct_rm_s;
  const ratio_vs_swarm = swarm_s === null ? null : converge_s / swarm_s;
  const rm_ratio_vs_swarm = swarm_rm_s === null ? null : rm_s / swarm_rm_s;
  const round3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
  const met = {
    ratio: ratio <= TARGETS.ratioMax,
    rm_ratio: rm_ratio <= TARGETS.ratioMax,
    ratio_vs_swarm: ratio_vs_swarm === null ? null : ratio_vs_swarm < TARGETS.ratioVsSwarmMax,
    rm_ratio_vs_swarm: rm_ratio_vs_swarm === null ? null : rm_ratio_vs_swarm < TARGETS.ratioVsSwarmMax,
  };
  const report = {
    benchmark: 'converge',
    startedAt: startedAt.toISOString(),
    durationS: (Date.now() - startedAt.getTime()) / 1000,
    environment: {
      cpus: cpus().length,
      node: process.version,
      docker: version.Version,
      loadAvgAtStart: loadAtStart,
      loadAvg1mBeforeEachRun: loads,
      note: 'the machine is shared: other worktrees run tests on the same CPUs and the same Docker Engine',
    },
    setup: {
      replicas: options.replicas,
      runs: options.runs,
      image: IMAGE,
      command: ['sleep', '3600'],
      stopGraceS: STOP_GRACE_S,
      flotilla:
        'one manager process (src/daemon/main.ts, mode init, default tuning, log level debug for the task ' +
        'controllers\u2019 state lines) running the tasks with its embedded agent and the Docker executor; ' +
        'timed from the createService call until the engine runs all containers (docker events) AND a task ' +
        'watch has seen all tasks RUNNING in the store; removal from the removeService call until the ' +
        'engine has no container of the service',
      direct:
        `dockerode: all ${options.replicas} containers at once (as the worker starts every assigned task ` +
        'concurrently), each create then start, same image/command/StopTimeout/RestartPolicy; removal ' +
        `stop (t=${STOP_GRACE_S}) then remove, all at once; timed until all calls returned and the engine's ` +
        'events show all running / none left',
      swarm:
        `docker swarm init --advertise-addr 127.0.0.1; docker service create --detach --no-resolve-image ` +
        `--replicas ${options.replicas} --stop-grace-period ${STOP_GRACE_S}s (timed from the CLI call until ` +
        'the engine runs all containers); docker service rm (until no container left); docker swarm leave ' +
        '--force. The CLI process start is inside the timing, as the client call is for the others',
      order:
        'one system after the other, no container of the run left between them and the engine idle again (dockerd and containerd under 5 % of a core over a second, at most 30 s); swarm last in every run ' +
        '(dockerd stays slower for a while after a swarm leaves), flotilla and direct taking turns at going first (run 1: flotilla, direct, swarm; run 2: direct, flotilla, swarm; …)',
      orders,
      timing:
        'engine milestones from one `docker events` stream filtered by the run label (a 1 s `docker ps` ' +
        'poll as a safety net), on the host clock as every other time here',
    },
    converge_s,
    direct_s,
    swarm_s,
    rm_s,
    direct_rm_s,
    swarm_rm_s,
    ratio: round3(ratio),
    ratio_vs_swarm: round3(ratio_vs_swarm),
    rm_ratio: round3(rm_ratio),
    rm_ratio_vs_swarm: round3(rm_ratio_vs_swarm),
    targets: {
      ratio_max: TARGETS.ratioMax,
      ratio_vs_swarm_below: TARGETS.ratioVsSwarmMax,
      appliesTo: 'both create (ratio, ratio_vs_swarm) and remove (rm_ratio, rm_ratio_vs_swarm)',
      swarmReferenceFromIssue: SWARM_REFERENCE,
    },
    met,
    pass: Object.values(met).every((m) => m !== false),
    swarmSkipped: swarmSkipped ?? null,
    runs: {
      flotilla: flotilla.map((f) => ({
        ...f,
        convergeMs: Math.round(f.convergeMs),
        removeMs: Math.round(f.removeMs),
        engineRunningMs: Math.round(f.engineRunningMs),
        storeRunningMs: Math.round(f.storeRunningMs),
        createServiceCallMs: Math.round(f.createServiceCallMs),
        storeEmptyMs: f.storeEmptyMs === null ? null : Math.round(f.storeEmptyMs),
      })),
      direct: direct.map((d) => ({
        ...d,
        convergeMs: Math.round(d.convergeMs),
        removeMs: Math.round(d.removeMs),
      })),
      swarm: swarm.map((s) => ({
        ...s,
        convergeMs: Math.round(s.convergeMs),
        removeMs: Math.round(s.removeMs),
        serviceCreateCallMs: Math.round(s.serviceCreateCallMs),
      })),
    },
    alt: alt
      ? {
          daemon: alt,
          how: 'another build of the daemon run as a fourth system in the same rotation (A/B of a change)',
          converge_s: med(flotillaAlt.map((f) => f.convergeMs)),
          rm_s: med(flotillaAlt.map((f) => f.removeMs)),
          runs: flotillaAlt.map((f) => ({
            convergeMs: Math.round(f.convergeMs),
            removeMs: Math.round(f.removeMs),
            milestones: f.milestones,
            phases: f.phases,
            removalMilestones: f.removalMilestones,
          })),
        }
      : null,
    directAtOtherParallelism: {
      how: 'the direct client once more at other parallelisms (a pool of N lanes, each create then start; stop then remove), after the timed runs; not part of the ratios',
      runs: directOther,
    },
    diagnostic: diagnostic
      ? {
          how: 'one more Flotilla pass with the executor talking to the engine through a counting pass-through socket (bench/support/engine-proxy.ts); its times include the extra hop',
          convergeMs: Math.round(diagnostic.convergeMs),
          removeMs: Math.round(diagnostic.removeMs),
          engineCalls: diagnostic.engineCalls,
          engineCallsPerContainer: Object.fromEntries(
            Object.entries(diagnostic.engineCalls ?? {}).map(([k, v]) => [
              k,
              Math.round((v / options.replicas) * 100) / 100,
            ]),
          ),
          directEngineCallsPerContainer: {
            'POST /containers/create': 1,
            'POST /containers/{id}/start': 1,
            'remove: POST /containers/{id}/stop': 1,
            'remove: DELETE /containers/{id}': 1,
          },
        }
      : null,
    notes: ctx.notes,
  };
  printTable(report, flotilla, direct, swarm);
  const out = join(resultsDir, 'converge.json');
  await writeFile(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${relative(process.cwd(), out)} (${report.durationS.toFixed(0)} s)`);
}

function printTable(
  report: {
    converge_s: number;
    direct_s: number;
    swarm_s: number | null;
    rm_s: number;
    direct_rm_s: number;
    swarm_rm_s: number | null;
    ratio: number | null;
    ratio_vs_swarm: number | null;
    rm_ratio: number | null;
    rm_ratio_vs_swarm: number | null;
    met: Record<string, boolean | null>;
    swarmSkipped: string | null;
    diagnostic: { engineCallsPerContainer: Record<string, number> } | null;
    alt: { daemon: string; converge_s: number | null; rm_s: number | null; runs: unknown[] } | null;
  },
  flotilla: FlotillaRun[],
  direct: DirectRun[],
  swarm: SwarmRun[],
): void {
  const s = (x: number | null): string => (x === null ? 'n/a' : `${x.toFixed(2)} s`);
  const r = (x: number | null, ok: boolean | null): string =>
    x === null ? 'n/a' : `${x.toFixed(2)} ${ok === null ? '' : ok ? '(met)' : '(NOT met)'}`;
  const rows: Array<[string, string, string]> = [
    ['', 'create → all running', 'remove → none left'],
    [`flotilla (median of ${flotilla.length})`, s(report.converge_s), s(report.rm_s)],
    [`direct dockerode, 50-way (median of ${direct.length})`, s(report.direct_s), s(report.direct_rm_s)],
    [`docker swarm (median of ${swarm.length})`, s(report.swarm_s), s(report.swarm_rm_s)],
    ...(report.alt
      ? [
          [
            `flotilla-alt (--alt-daemon, median of ${report.alt.runs.length})`,
            s(report.alt.converge_s),
            s(report.alt.rm_s),
          ] as [string, string, string],
        ]
      : []),
    [
      'flotilla / direct (target ≤ 1.1)',
      r(report.ratio, report.met.ratio ?? null),
      r(report.rm_ratio, report.met.rm_ratio ?? null),
    ],
    [
      'flotilla / swarm (target < 1.0)',
      r(report.ratio_vs_swarm, report.met.ratio_vs_swarm ?? null),
      r(report.rm_ratio_vs_swarm, report.met.rm_ratio_vs_swarm ?? null),
    ],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  console.log('');
  for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  if (report.swarmSkipped) console.log(`\n  swarm: ${report.swarmSkipped}`);
  const f = flotilla[flotilla.length - 1];
  if (f) {
    console.log(
      '\n  flotilla, last run: when the last container passed each milestone (ms from the createService call)',
    );
    for (const [k, v] of Object.entries(f.milestones)) console.log(`    ${k.padEnd(28)} ${v ?? 'n/a'}`);
    console.log(
      `  node process CPU: ${f.nodeCpuS.converge ?? 'n/a'} s while converging, ${f.nodeCpuS.remove ?? 'n/a'} s while removing`,
    );
    console.log('  per container (median / max ms)');
    for (const [k, v] of Object.entries(f.phases))
      console.log(`    ${`${v.medianMs} / ${v.maxMs}`.padEnd(14)} ${k}`);
    console.log('  removal (ms from the removeService call)');
    for (const [k, v] of Object.entries(f.removalMilestones))
      if (v !== null) console.log(`    ${k.padEnd(28)} ${v}`);
    for (const [k, v] of Object.entries(f.removalPhases))
      console.log(`    ${`${v.medianMs} / ${v.maxMs}`.padEnd(14)} ${k}`);
  }
  const d = direct[direct.length - 1];
  if (d)
    console.log(
      `\n  direct, last run (ms): ${Object.entries(d.milestones)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (report.diagnostic) {
    console.log(
      '\n  engine calls per container (diagnostic pass; direct makes create + start, stop + delete):',
    );
    for (const [k, v] of Object.entries(report.diagnostic.engineCallsPerContainer))
      console.log(`    ${String(v).padEnd(6)} ${k}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
