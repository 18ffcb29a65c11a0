// The dispatcher benchmark (`npm run bench:dispatcher`): one manager (src/daemon/main.ts as its own
// process, no executor) and 2,000 simulated nodes in two more processes (bench/support/sim-nodes.ts),
// each node with its own certificate, channel and DispatcherSession heartbeating every 5 s. Over a
// 2-minute window after every node is registered it measures the manager's CPU and RSS (/proc), the
// heartbeat RPC latency seen by the nodes, session errors, and how many nodes the manager wrongly
// marked down (a node watch on the admin socket during the window, and the Node objects at its end).
// Prints a table and writes bench/results/dispatcher.json.
//
// Flags for quick runs: --nodes N, --duration-s S, --period-ms P, --out FILE (in bench/results),
// --cpu-prof (the manager runs under V8's profiler; the summary covers the window only).

import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FlotillaClient } from '../src/client/index.js';
import { CONTROL_SOCKET } from '../src/manager/manager.js';
import { addresses, TestDirs, waitUntil } from '../test/support/manager-cluster.js';
import { readCpuProfile, summariseCpuProfile, type ProfileWindow, type SelfTime } from './cpu-profile.js';
import { findProjectRoot, percentile, raceTimeout, sleep } from './support.js';
import { daemonScript, ManagerDaemon, runQueueWaitMs, type ProcessCpu } from './support/manager-daemon.js';
import { SimNodesProcess, simNodesScript } from './support/sim-nodes-process.js';
import type { SimReport } from './support/sim-nodes.js';

const TARGETS = { managerCpuPct: 30, heartbeatP99Ms: 50, falseDown: 0 };
const SIM_PROCESSES = 2;
/** Per simulated-node process: certificates asked for at once, sessions opened at once. */
const ENROL_CONCURRENCY = 16;
const CONNECT_CONCURRENCY = 100;
/** How often the manager's CPU and RSS are sampled during the window. */
const SAMPLE_EVERY_MS = 5_000;

const projectRoot = findProjectRoot();
const resultsDir = join(projectRoot, 'bench', 'results');

interface Settings {
  nodes: number;
  durationS: number;
  periodMs: number;
  out: string;
  cpuProf: boolean;
}

function parseArgs(argv: string[]): Settings {
  const settings: Settings = {
    nodes: 2_000,
    durationS: 120,
    periodMs: 5_000,
    out: 'dispatcher.json',
    cpuProf: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
      return n;
    };
    if (flag === '--nodes') settings.nodes = Math.round(positive());
    else if (flag === '--duration-s') settings.durationS = positive();
    else if (flag === '--period-ms') settings.periodMs = Math.round(positive());
    else if (flag === '--out') {
      settings.out = value();
      if (settings.out.includes('/')) throw new Error('--out names a file in bench/results, not a path');
    } else if (flag === '--cpu-prof') settings.cpuProf = true;
    else throw new Error(`unknown flag ${flag} (--nodes, --duration-s, --period-ms, --out, --cpu-prof)`);
  }
  if (settings.nodes < SIM_PROCESSES) throw new Error(`--nodes must be at least ${SIM_PROCESSES}`);
  return settings;
}

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

/** Node status moves of the simulated nodes, seen through a node watch on the admin socket. */
class NodeTransitions {
  readonly toDown = new Set<string>();
  readonly leftReady = new Set<string>();
  readonly moves: Record<string, number> = {};
  counting = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: FlotillaClient,
    private readonly simIds: ReadonlySet<string>,
  ) {}

  start(): void {
    this.loop = (async () => {
      for await (const event of this.client.watch(
        { kinds: ['node'], types: ['update'] },
        { signal: this.abort.signal },
      )) {
        if (!this.counting || event.kind !== 'node' || !this.simIds.has(event.object.id)) continue;
        const from = event.previous?.status.state ?? '?';
        const to = event.object.status.state;
        if (from === to) continue;
        this.moves[`${from}->${to}`] = (this.moves[`${from}->${to}`] ?? 0) + 1;
        if (to === 'down') this.toDown.add(event.object.id);
        if (from === 'ready') this.leftReady.add(event.object.id);
      }
    })().catch((err: unknown) => {
      if (!this.abort.signal.aborted) console.log(`  node watch failed: ${String(err)}`);
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await raceTimeout(this.loop, 5_000);
  }
}

/** V8's profile clock (CLOCK_MONOTONIC µs), to cut the window out of a `--cpu-prof` profile. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  for (const script of [daemonScript, simNodesScript])
    if (!existsSync(script))
      throw new Error(
        `${script} is missing: run 'npx tsc -p tsconfig.json' first (npm run bench:dispatcher does)`,
      );
  const startedAt = new Date();
  await mkdir(resultsDir, { recursive: true });
  const dirs = await TestDirs.create('flotilla-dispatcher-bench-');
  const profileDir = settings.cpuProf ? await mkdtemp(join(tmpdir(), 'flotilla-cpuprof-')) : null;
  const addr = addresses(80);
  const loadAtStart = loadavg();
  console.log(
    `bench:dispatcher: ${settings.nodes} nodes, heartbeat period ${settings.periodMs} ms, window ${settings.durationS} s; ` +
      `${cpus().length} CPUs, node ${process.version}, load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  let manager: ManagerDaemon | null = null;
  const sims: SimNodesProcess[] = [];
  let control: FlotillaClient | null = null;
  let transitions: NodeTransitions | null = null;
  try {
    // ---- the manager: one process, no executor, the heartbeat period given explicitly ----
    manager = new ManagerDaemon(
      {
        mode: 'init',
        dataDir: dirs.dir('manager'),
        listenAddr: addr(1),
        tuning: { heartbeatPeriodMs: settings.periodMs },
        logLevel: 'warn',
      },
      profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    );
    await manager.ready();
    control = new FlotillaClient({ address: `unix:${join(dirs.dir('manager'), CONTROL_SOCKET)}` });
    const workerJoinToken = (await control.getCluster()).joinTokens.worker;
    console.log(`  manager ${manager.id} at ${manager.address} (pid ${manager.pid})`);

    // ---- enrolment: every node gets its own certificate (and so its Node object) ----
    const perProcess = Math.ceil(settings.nodes / SIM_PROCESSES);
    // On a loaded two-core machine a node took up to ~0.25 s of wall time to enrol or connect.
    const phaseBudgetMs = 60_000 + 400 * perProcess;
    const phaseTimeoutMs = phaseBudgetMs + 60_000;
    for (let p = 0; p < SIM_PROCESSES; p++) {
      const firstIndex = p * perProcess;
      const nodes = Math.min(perProcess, settings.nodes - firstIndex);
      sims.push(
        new SimNodesProcess(`sim-nodes-${p}`, {
          managerAddr: manager.address,
          workerJoinToken,
          nodes,
          firstIndex,
          enrolConcurrency: ENROL_CONCURRENCY,
          connectConcurrency: CONNECT_CONCURRENCY,
          phaseBudgetMs,
        }),
      );
    }
    const enrolStarted = performance.now();
    const enrolled = await Promise.all(sims.map((s) => s.request('enrol', phaseTimeoutMs)));
    const enrolS = (performance.now() - enrolStarted) / 1000;
    const enrolFailures = enrolled.flatMap((e) => e.failures);
    const simIds = new Set(enrolled.flatMap((e) => e.nodeIds));
    if (simIds.size !== settings.nodes)
      throw new Error(
        `only ${simIds.size} of ${settings.nodes} nodes enrolled; first failures:\n  ${enrolFailures.join('\n  ')}`,
      );
    console.log(
      `  enrolled ${simIds.size} nodes in ${enrolS.toFixed(1)} s (key, CSR, IssueNodeCertificate each)`,
    );

    transitions = new NodeTransitions(control, simIds);
    transitions.start();

    // ---- sessions: Session, Assignments up to COMPLETE, then heartbeats ----
    const connectStarted = performance.now();
    const connected = await Promise.all(sims.map((s) => s.request('connect', phaseTimeoutMs)));
    const connectS = (performance.now() - connectStarted) / 1000;
    const opened = connected.reduce((sum, c) => sum + c.opened, 0);
    const connectRetries = connected.reduce((sum, c) => sum + c.retries, 0);
    const connectErrors = mergeCounts(connected.map((c) => c.sessionErrorMessages));
    const failed = connected.flatMap((c) => c.failures);
    if (failed.length > 0)
      throw new Error(
        `${failed.length} nodes could not open a session; first failures:\n  ${failed.join('\n  ')}`,
      );
    // Sessions that ended since they opened (heartbeats missed while the others connected) are
    // being reopened by their nodes; the window starts once every one is open and ready.
    const client = control;
    await waitUntil(
      `all ${settings.nodes} simulated nodes to hold a session and be ready in the manager's store ` +
        `(sessions ended while connecting: ${JSON.stringify(connectErrors)})`,
      async () => {
        const open = await Promise.all(sims.map((s) => s.request('open', 30_000)));
        if (open.reduce((sum, o) => sum + o.openSessions, 0) !== settings.nodes) return false;
        const nodes = await client.listNodes();
        return nodes.filter((n) => simIds.has(n.id) && n.status.state === 'ready').length === simIds.size;
      },
      phaseTimeoutMs,
    );
    const registeredS = (performance.now() - connectStarted) / 1000;
    console.log(
      `  ${opened} sessions open with their COMPLETE assignments in ${connectS.toFixed(1)} s ` +
        `(${connectRetries} retried attempts, ${Object.values(connectErrors).reduce((a, b) => a + b, 0)} sessions ended and reopened); ` +
        `all nodes ready after ${registeredS.toFixed(1)} s`,
    );
    // One period for the first heartbeats (all due one period after their session opened) to pass.
    await sleep(settings.periodMs);

    // ---- the measured window ----
    console.log(`  measuring for ${settings.durationS} s`);
    transitions.counting = true;
    await Promise.all(sims.map((s) => s.request('measure', 30_000)));
    const window: ProfileWindow = { fromUs: monotonicUs(), toUs: 0 };
    const windowStartedAtMs = performance.timeOrigin + performance.now();
    const cpuAtStart = await manager.cpu();
    const pids = [manager.pid, ...sims.map((s) => s.pid!)];
    const waitAtStart = await Promise.all(pids.map(runQueueWaitMs));
    const intervalsPct: number[] = [];
    const managerWaitIntervalsPct: number[] = [];
    let lastWait = waitAtStart[0]!;
    const rssSamplesMb: number[] = [];
    const windowMs = settings.durationS * 1000;
    const windowStarted = performance.now();
    let last: ProcessCpu = cpuAtStart;
    for (let i = 1; i <= Math.ceil(windowMs / SAMPLE_EVERY_MS); i++) {
      await sleep(Math.max(0, windowStarted + Math.min(i * SAMPLE_EVERY_MS, windowMs) - performance.now()));
      if (!manager.running)
        throw new Error(`the manager exited during the window:\n${manager.outputTail.join('\n')}`);
      const now = await manager.cpu();
      intervalsPct.push(((now.cpuMs - last.cpuMs) / (now.atMs - last.atMs)) * 100);
      const wait = await runQueueWaitMs(manager.pid);
      managerWaitIntervalsPct.push(((wait - lastWait) / (now.atMs - last.atMs)) * 100);
      lastWait = wait;
      rssSamplesMb.push((await manager.memory()).rssMb);
      last = now;
    }
    const cpuAtEnd = last;
    const waitAtEnd = await Promise.all(pids.map(runQueueWaitMs));
    window.toUs = monotonicUs();
    const reports: SimReport[] = await Promise.all(sims.map((s) => s.request('report', 60_000)));
    transitions.counting = false;
    const nodesAtEnd = await control.listNodes();
    const memory = await manager.memory();

    // ---- figures ----
    const managerCpuPct = ((cpuAtEnd.cpuMs - cpuAtStart.cpuMs) / (cpuAtEnd.atMs - cpuAtStart.atMs)) * 100;
    const heartbeat = stats(reports.flatMap((r) => r.heartbeatLatenciesMs));
    const windowElapsedMs = cpuAtEnd.atMs - cpuAtStart.atMs;
    /** Time each process's JS thread was runnable but had no CPU, as % of the window. */
    const runQueueWaitPct = pids.map((_, i) => ((waitAtEnd[i]! - waitAtStart[i]!) / windowElapsedMs) * 100);
    const heartbeatIntervals = perInterval(reports, windowStartedAtMs, intervalsPct.length);
    const notReadyAtEnd = nodesAtEnd.filter((n) => simIds.has(n.id) && n.status.state !== 'ready');
    const falseDownIds = new Set([
      ...transitions.toDown,
      ...transitions.leftReady,
      ...notReadyAtEnd.map((n) => n.id),
    ]);
    const sessionErrors = reports.reduce((sum, r) => sum + r.sessionErrors, 0);
    const heartbeatFailures = reports.reduce((sum, r) => sum + r.heartbeatFailures, 0);
    const expectedHeartbeats = (settings.nodes * windowMs) / (settings.periodMs * 0.95);
    const managerNode = nodesAtEnd.find((n) => n.id === manager!.id);
    const markedDownInWindow = transitions.toDown.size;
    const leftReadyInWindow = transitions.leftReady.size;
    const moves = { ...transitions.moves };

    await transitions.stop();
    transitions = null;
    const stopStarted = performance.now();
    await Promise.all(sims.map((s) => s.stop()));
    await manager.stop();
    console.log(`  stopped everything in ${((performance.now() - stopStarted) / 1000).toFixed(1)} s`);
    const profile = profileDir ? await summariseProfile(profileDir, manager.pid, window) : null;

    const met = {
      managerCpu: managerCpuPct < TARGETS.managerCpuPct,
      heartbeatP99: heartbeat.p99Ms < TARGETS.heartbeatP99Ms,
      falseDown: falseDownIds.size === TARGETS.falseDown,
    };
    const report = {
      benchmark: 'dispatcher',
      startedAt: startedAt.toISOString(),
      runS: (Date.now() - startedAt.getTime()) / 1000,
      environment: {
        cpus: cpus().length,
        node: process.version,
        loadAvgAtStart: loadAtStart,
        loadAvgAtEnd: loadavg(),
        note: 'shared machine: other worktrees run tests and Docker meanwhile; figures are indicative',
      },
      nodes: settings.nodes,
      duration_s: settings.durationS,
      period_ms: settings.periodMs,
      enrol_s: enrolS,
      connect_s: connectS,
      manager_cpu_pct: managerCpuPct,
      manager_rss_mb: memory.rssMb,
      heartbeat_p50_ms: heartbeat.p50Ms,
      heartbeat_p99_ms: heartbeat.p99Ms,
      heartbeat_max_ms: heartbeat.maxMs,
      false_down: falseDownIds.size,
      session_errors: sessionErrors,
      targets: {
        manager_cpu_pct: `< ${TARGETS.managerCpuPct}`,
        heartbeat_p99_ms: `< ${TARGETS.heartbeatP99Ms}`,
        false_down: TARGETS.falseDown,
      },
      met,
      pass: met.managerCpu && met.heartbeatP99 && met.falseDown,
      details: {
        setup:
          `one manager process (src/daemon/main.ts, mode init, no executor, tuning.heartbeatPeriodMs ${settings.periodMs}) ` +
          `on ${manager.address}; ${SIM_PROCESSES} processes of simulated nodes (bench/support/sim-nodes.ts), each node ` +
          'with its own key and certificate (IssueNodeCertificate with the worker join token), its own TLS channel and a ' +
          'DispatcherSession from src/worker/session.ts (Session, Assignments to COMPLETE, LogSubscriptions, heartbeats ' +
          'at the period each answer gives) with no-op handlers; no services, so no tasks',
        enrolment: { concurrencyPerProcess: ENROL_CONCURRENCY, failures: enrolFailures },
        connect: {
          concurrencyPerProcess: CONNECT_CONCURRENCY,
          retries: connectRetries,
          retryReasons: connected.flatMap((c) => c.retryFailures),
          sessionsEndedWhileConnecting: connectErrors,
          how: 'a failed first session is tried again with the agent backoff (at most 6 attempts per node)',
        },
        window:
          'starts one period after every simulated node is ready in the store; manager CPU is utime+stime from ' +
          `/proc/<pid>/stat over the window, as % of one core, also per ${SAMPLE_EVERY_MS / 1000} s interval`,
        managerCpuIntervalsPct: intervalsPct,
        managerRunQueueWaitIntervalsPct: managerWaitIntervalsPct,
        heartbeatIntervals,
        runQueueWaitPct: {
          manager: runQueueWaitPct[0],
          simProcesses: runQueueWaitPct.slice(1),
          how:
            'growth of /proc/<pid>/schedstat run-queue wait (main thread) over the window, as % of it: time ' +
            'the JavaScript thread was ready to run but the CPUs were busy elsewhere (the machine is shared)',
        },
        managerCpuIntervalMaxPct: Math.max(...intervalsPct),
        managerRss: {
          atEndMb: memory.rssMb,
          peakMb: memory.peakRssMb,
          maxSampledInWindowMb: Math.max(...rssSamplesMb),
        },
        heartbeats: {
          ...heartbeat,
          expectedAbout: Math.round(expectedHeartbeats),
          failures: heartbeatFailures,
          how: 'client side, per Heartbeat call: from the call to its callback, in the node processes',
        },
        falseDown: {
          distinctNodes: falseDownIds.size,
          markedDownInWindow,
          leftReadyInWindow,
          statusMovesInWindow: moves,
          notReadyAtEnd: notReadyAtEnd.length,
          how:
            'distinct simulated nodes that, during the window, a node watch on the admin socket saw move out of ready ' +
            'or to down, plus those not ready in ListNodes at its end',
        },
        sessions: {
          errors: sessionErrors,
          errorMessages: mergeCounts(reports.map((r) => r.sessionErrorMessages)),
          reopened: reports.reduce((sum, r) => sum + r.reopened, 0),
          reopenFailures: reports.reduce((sum, r) => sum + r.reopenFailures, 0),
          openAtEnd: reports.reduce((sum, r) => sum + r.openSessions, 0),
        },
        simProcesses: reports.map((r, i) => ({
          name: sims[i]!.name,
          nodes: sims[i]!.config.nodes,
          cpuPct: r.cpuPct,
          rssMb: r.rssMb,
          loopDelayP99Ms: r.loopDelayP99Ms,
          loopDelayMaxMs: r.loopDelayMaxMs,
        })),
        managerOwnNode: managerNode
          ? {
              state: managerNode.status.state,
              note: 'the manager runs no agent here, so its own node has no session and is marked down after the grace period; it is not counted',
            }
          : null,
        managerLogLines: manager.outputLines,
        managerLogTail: manager.outputTail.slice(-10),
        cpuProfile: profile,
      },
    };
    printTable(report, reports);
    console.log(
      `\n  per ${SAMPLE_EVERY_MS / 1000} s: manager CPU % / manager waiting for a CPU % / heartbeat p99 ms (calls >= 50 ms)`,
    );
    console.log(
      '   ' +
        intervalsPct
          .map(
            (cpu, i) =>
              `${cpu.toFixed(0)}/${(managerWaitIntervalsPct[i] ?? NaN).toFixed(0)}/${heartbeatIntervals[i]!.p99Ms.toFixed(0)}(${heartbeatIntervals[i]!.over50Ms})`,
          )
          .join(' '),
    );
    if (profile) printProfile(profile);
    const out = join(resultsDir, settings.out);
    await writeFile(out, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nwrote ${relative(process.cwd(), out)} (${report.runS.toFixed(0)} s)`);
  } catch (err) {
    // What the manager thought of the nodes, and what it logged: the why of a failed run.
    if (control) {
      const states = await raceTimeout(control.listNodes(), 30_000).catch(() => 'timeout' as const);
      if (states !== 'timeout') {
        const byState: Record<string, number> = {};
        for (const n of states) {
          const key = `${n.status.state}${n.status.message ? ` (${n.status.message})` : ''}`;
          byState[key] = (byState[key] ?? 0) + 1;
        }
        console.log(`  nodes in the manager's store at the failure: ${JSON.stringify(byState)}`);
      }
    }
    if (manager)
      console.log(
        `  the manager logged ${manager.outputLines} lines; the last:\n    ${manager.outputTail.slice(-10).join('\n    ')}`,
      );
    throw err;
  } finally {
    await transitions?.stop();
    control?.close();
    await Promise.all(sims.map((s) => s.stop()));
    await manager?.stop();
    await dirs.remove();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  }
}

/** Heartbeat latency per sampling interval of the window (by when each call started). */
function perInterval(
  reports: SimReport[],
  windowStartedAtMs: number,
  intervals: number,
): Array<{ fromS: number; count: number; p99Ms: number; maxMs: number; over50Ms: number }> {
  const buckets: number[][] = Array.from({ length: intervals }, () => []);
  for (const r of reports)
    r.heartbeatStartedAtMs.forEach((at, i) => {
      const b = Math.min(intervals - 1, Math.max(0, Math.floor((at - windowStartedAtMs) / SAMPLE_EVERY_MS)));
      buckets[b]!.push(r.heartbeatLatenciesMs[i]!);
    });
  return buckets.map((samples, b) => {
    const s = stats(samples);
    return {
      fromS: (b * SAMPLE_EVERY_MS) / 1000,
      count: s.count,
      p99Ms: s.p99Ms,
      maxMs: s.maxMs,
      over50Ms: samples.filter((ms) => ms >= 50).length,
    };
  });
}

function mergeCounts(all: Array<Record<string, number>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) merged[k] = (merged[k] ?? 0) + v;
  return merged;
}

interface ProfileResult {
  file: string;
  windowed: boolean;
  totalMs: number;
  idleMs: number;
  topFunctions: SelfTime[];
  topModules: SelfTime[];
}

/** The manager's profile (written when it exits on SIGTERM), kept in bench/results and summarised. */
async function summariseProfile(
  profileDir: string,
  pid: number,
  window: ProfileWindow,
): Promise<ProfileResult> {
  const source = (await readdir(profileDir)).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
  if (source === undefined) throw new Error(`no .cpuprofile for the manager (pid ${pid}) in ${profileDir}`);
  const file = join(resultsDir, 'dispatcher-manager.cpuprofile');
  await copyFile(join(profileDir, source), file);
  const summary = summariseCpuProfile(await readCpuProfile(file), projectRoot, window);
  return {
    file: relative(projectRoot, file),
    windowed: summary.windowed,
    totalMs: summary.totalMs,
    idleMs: summary.idleMs,
    topFunctions: summary.byFunction.slice(0, 20),
    topModules: summary.byModule.slice(0, 12),
  };
}

function printTable(
  r: {
    nodes: number;
    period_ms: number;
    duration_s: number;
    enrol_s: number;
    connect_s: number;
    manager_cpu_pct: number;
    manager_rss_mb: number;
    heartbeat_p50_ms: number;
    heartbeat_p99_ms: number;
    heartbeat_max_ms: number;
    false_down: number;
    session_errors: number;
    met: { managerCpu: boolean; heartbeatP99: boolean; falseDown: boolean };
    details: {
      managerCpuIntervalMaxPct: number;
      heartbeats: { count: number; expectedAbout: number };
      runQueueWaitPct: { manager: number | undefined };
    };
  },
  sims: SimReport[],
): void {
  const yes = (b: boolean): string => (b ? 'yes' : 'NO');
  const rows: string[][] = [
    ['nodes / period / window', `${r.nodes} / ${r.period_ms} ms / ${r.duration_s} s`, '', ''],
    ['enrolment (certificates)', `${r.enrol_s.toFixed(1)} s`, '', ''],
    ['sessions opened (to COMPLETE)', `${r.connect_s.toFixed(1)} s`, '', ''],
    [
      'manager CPU (window)',
      `${r.manager_cpu_pct.toFixed(1)} % of a core`,
      `< ${TARGETS.managerCpuPct} %`,
      yes(r.met.managerCpu),
    ],
    ['manager CPU (worst 5 s)', `${r.details.managerCpuIntervalMaxPct.toFixed(1)} %`, '', ''],
    [
      'manager waiting for a CPU',
      `${(r.details.runQueueWaitPct.manager ?? NaN).toFixed(1)} % of the window`,
      '',
      '',
    ],
    ['manager RSS', `${r.manager_rss_mb.toFixed(0)} MB`, '', ''],
    [
      'heartbeats answered',
      `${r.details.heartbeats.count} (~${r.details.heartbeats.expectedAbout} due)`,
      '',
      '',
    ],
    ['heartbeat p50', `${r.heartbeat_p50_ms.toFixed(2)} ms`, '', ''],
    [
      'heartbeat p99',
      `${r.heartbeat_p99_ms.toFixed(2)} ms`,
      `< ${TARGETS.heartbeatP99Ms} ms`,
      yes(r.met.heartbeatP99),
    ],
    ['heartbeat max', `${r.heartbeat_max_ms.toFixed(1)} ms`, '', ''],
    ['false down', `${r.false_down}`, `${TARGETS.falseDown}`, yes(r.met.falseDown)],
    ['session errors', `${r.session_errors}`, '', ''],
    ...sims.map((s, i) => [
      `sim process ${i}: CPU / loop delay p99`,
      `${s.cpuPct.toFixed(1)} % / ${s.loopDelayP99Ms.toFixed(1)} ms`,
      '',
      '',
    ]),
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

function printProfile(p: ProfileResult): void {
  const busyMs = p.totalMs - p.idleMs;
  console.log(
    `\n  manager profile ${p.file}: ${p.totalMs.toFixed(0)} ms sampled (${p.windowed ? 'the window only' : 'whole process'}), ` +
      `${busyMs.toFixed(0)} ms busy`,
  );
  for (const f of p.topFunctions.slice(0, 15))
    console.log(
      `    ${(f.shareOfBusy * 100).toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.location}`,
    );
  console.log('  by module:');
  for (const m of p.topModules.slice(0, 10))
    console.log(
      `    ${(m.shareOfBusy * 100).toFixed(1).padStart(5)} %  ${m.selfMs.toFixed(0).padStart(6)} ms  ${m.name}`,
    );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
