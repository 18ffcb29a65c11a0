// The Raft benchmark (`npm run bench:raft`): three KV members as separate processes on loopback
// (fsync on, default timing), 256-byte proposals through the library API at 1/64/256 proposers,
// leader kill -9 failover, etcd as the reference in the same run, and a CPU profile of the leader.
// Prints a table and writes bench/results/raft.json. Env: BENCH_DURATION_MS, BENCH_WARMUP_MS,
// BENCH_FAILOVER_TRIALS, BENCH_ETCD=0 and BENCH_PROFILE=0 (skip those parts).

import { copyFile, mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LoadResult } from '../examples/raft-kv/member.js';
import { KvCluster, waitUntil, type MemberStatus } from '../test/support/kv-cluster.js';
import { readCpuProfile, summariseCpuProfile, type ProfileWindow, type SelfTime } from './cpu-profile.js';
import { runEtcdReference, type EtcdLevelResult, type EtcdReferenceResult } from './reference/etcd.js';
import { findProjectRoot, percentile, raceTimeout, sleep } from './support.js';

const CONCURRENCIES = [1, 64, 256] as const;
const VALUE_BYTES = 256;
const PROFILED_CONCURRENCY = 256;
/** How often the failover probe asks the survivors who leads: the most polling can add. */
const FAILOVER_POLL_MS = 5;
const FAILOVER_DEADLINE_MS = 30_000;
/** RaftNode's default heartbeat period (100 ms tick x 1): each kill lands at a random point of it. */
const HEARTBEAT_MS = 100;
const SETTLE_TIMEOUT_MS = 30_000;
const GRACEFUL_EXIT_MS = 10_000;
const FSYNC_PROBES = 200;

const TARGETS = { commitsPerS256: 10_000, ratioVsEtcd256: 3, p99Ms64: 25, failoverP99Ms: 2_000 };

interface Settings {
  durationMs: number;
  warmupMs: number;
  failoverTrials: number;
  etcd: boolean;
  profile: boolean;
}

interface LevelResult {
  concurrency: number;
  commitsPerS: number;
  commits: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Proposals that failed inside the measured window. */
  errors: number;
  /** False when another member led by the end of the level (the figures then include a failover). */
  leaderKept: boolean;
}

interface FailoverTrial {
  trial: number;
  killed: string;
  newLeader: string;
  newTerm: number;
  /** kill -9 to the first poll that found a survivor leading in a newer term. */
  electedMs: number;
  /** kill -9 to the first write committed by the new leader (what the figures report). */
  committedMs: number;
}

interface ProfileResult {
  concurrency: number;
  commitsPerS: number;
  leaderFile: string;
  followerFile: string | null;
  /** Whether only the measured window (after the warmup) was counted, or the process's whole life. */
  windowed: boolean;
  totalMs: number;
  idleMs: number;
  topFunctions: SelfTime[];
  topModules: SelfTime[];
  followerTopFunctions: SelfTime[];
}

const projectRoot = findProjectRoot();
const resultsDir = join(projectRoot, 'bench', 'results');

async function main(): Promise<void> {
  const settings: Settings = {
    durationMs: envNumber('BENCH_DURATION_MS', 5_000),
    warmupMs: envNumber('BENCH_WARMUP_MS', 1_000),
    failoverTrials: envNumber('BENCH_FAILOVER_TRIALS', 20),
    etcd: process.env['BENCH_ETCD'] !== '0',
    profile: process.env['BENCH_PROFILE'] !== '0',
  };
  await mkdir(resultsDir, { recursive: true });
  const startedAt = new Date();
  const loadAvgAtStart = loadavg()[0] ?? Number.NaN;
  const fsyncProbe = await probeFsync();
  console.log(
    `bench:raft: ${cpus().length} CPUs, node ${process.version}; ${settings.warmupMs} ms warmup + ` +
      `${settings.durationMs} ms per level; fsync probe (${VALUE_BYTES * 16} B write + fdatasync): ` +
      `p50 ${fmt(fsyncProbe.p50Ms, 2)} ms, p99 ${fmt(fsyncProbe.p99Ms, 2)} ms`,
  );

  console.log('\n== throughput and latency (3 members, fsync on, default timing) ==');
  const throughput = await measureThroughput(settings);

  let etcd: EtcdReferenceResult = { available: false, reason: 'skipped (BENCH_ETCD=0)' };
  if (settings.etcd) {
    console.log('\n== etcd reference ==');
    etcd = await runEtcdReference({
      concurrencies: [...CONCURRENCIES],
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
      valueBytes: VALUE_BYTES,
      log: (line) => console.log(`  ${line}`),
    });
  }
  if (!etcd.available) console.log(`\nnote: no etcd reference in this run: ${etcd.reason}`);

  console.log(`\n== failover (${settings.failoverTrials} trials of leader kill -9) ==`);
  const trials = await measureFailover(settings.failoverTrials);

  let profile: ProfileResult | null = null;
  if (settings.profile) {
    console.log(`\n== CPU profile of the leader at ${PROFILED_CONCURRENCY} proposers (separate cluster) ==`);
    try {
      profile = await profileLeader(settings);
      printProfile(profile);
    } catch (error) {
      // The profile only explains the figures above; losing it does not invalidate them.
      console.log(`  profile failed, continuing without it: ${String(error)}`);
    }
  }

  const report = buildReport(
    settings,
    { startedAt, loadAvgAtStart, fsyncProbe },
    throughput,
    etcd,
    trials,
    profile,
  );
  printTable(report);
  const out = join(resultsDir, 'raft.json');
  await writeFile(out, JSON.stringify(report, null, 2) + '\n');
  console.log(
    `\nwrote ${relative(process.cwd(), out)} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`,
  );
}

// ---- Throughput and latency -----------------------------------------------------------------

async function measureThroughput(
  settings: Settings,
): Promise<{ levels: LevelResult[]; rssMbLeader: number }> {
  const cluster = await KvCluster.start({ size: 3, hostBase: 40 });
  try {
    const leader = await cluster.leader();
    const levels: LevelResult[] = [];
    for (const concurrency of CONCURRENCIES) {
      const level = await runLevel(cluster, leader, concurrency, settings);
      console.log(
        `  c=${concurrency}: ${fmt(level.commitsPerS, 0)} commits/s, p50 ${fmt(level.p50Ms, 2)} ms, ` +
          `p99 ${fmt(level.p99Ms, 2)} ms, max ${fmt(level.maxMs, 1)} ms, ${level.errors} errors`,
      );
      levels.push(level);
    }
    const rssMbLeader = (await cluster.status(leader)).rssMb;
    return { levels, rssMbLeader };
  } finally {
    await cluster.stop();
  }
}

/** One level: `concurrency` closed-loop proposers inside the leader process (member.ts `load`). */
async function runLevel(
  cluster: KvCluster,
  leader: string,
  concurrency: number,
  settings: Settings,
): Promise<LevelResult> {
  const r = await cluster.request<LoadResult>(leader, {
    cmd: 'load',
    concurrency,
    durationMs: settings.durationMs,
    warmupMs: settings.warmupMs,
    valueBytes: VALUE_BYTES,
  });
  const after = await cluster.status(leader);
  const leaderKept = after.role === 'leader';
  if (!leaderKept)
    console.log(`  warning: ${leader} no longer leads after c=${concurrency} (term ${after.term})`);
  return {
    concurrency,
    commitsPerS: r.count / (r.elapsedMs / 1000),
    commits: r.count,
    p50Ms: r.p50Ms,
    p90Ms: r.p90Ms,
    p99Ms: r.p99Ms,
    maxMs: r.maxMs,
    errors: r.errors,
    leaderKept,
  };
}

// ---- Failover -------------------------------------------------------------------------------

async function measureFailover(trials: number): Promise<FailoverTrial[]> {
  const cluster = await KvCluster.start({ size: 3, hostBase: 50 });
  try {
    const results: FailoverTrial[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      const before = await settledLeader(cluster);
      await sleep(Math.random() * HEARTBEAT_MS);
      const survivors = cluster.live().filter((id) => id !== before.id);
      const killedAt = performance.now();
      const killed = cluster.kill(before.id);
      const outcome = await firstCommitAfterKill(cluster, survivors, before.term, killedAt, trial);
      await killed;
      results.push({ trial, killed: before.id, ...outcome });
      console.log(
        `  ${String(trial).padStart(2)}: killed ${before.id} (term ${before.term}); ${outcome.newLeader} ` +
          `leads term ${outcome.newTerm} after ${fmt(outcome.electedMs, 0)} ms, first commit after ${fmt(outcome.committedMs, 0)} ms`,
      );
      await cluster.spawn(before.id);
    }
    return results;
  } finally {
    await cluster.stop();
  }
}

/** Waits until every member is up, follows one leader in one term, and has the same commit index. */
async function settledLeader(cluster: KvCluster): Promise<MemberStatus> {
  let leader: MemberStatus | undefined;
  const ids = [...cluster.members.keys()];
  await waitUntil(
    `all of ${ids.join(', ')} to follow one leader and reach the same commit index`,
    async () => {
      const statuses = await Promise.all(ids.map((id) => cluster.status(id).catch(() => null)));
      const first = statuses[0];
      if (!first || first.leader === '') return false;
      const agreed = statuses.every(
        (s) =>
          s !== null &&
          s.leader === first.leader &&
          s.term === first.term &&
          s.commit === first.commit &&
          s.appliedIndex === first.commit,
      );
      leader = statuses.find((s) => s?.id === first.leader && s.role === 'leader') ?? undefined;
      return agreed && leader !== undefined;
    },
    SETTLE_TIMEOUT_MS,
  );
  return leader!;
}

/**
 * Polls the survivors every FAILOVER_POLL_MS until one leads in a newer term, then writes through
 * it until a write commits. Asking for status rather than keeping forwarded writes in flight:
 * a write forwarded to the dead leader would hang for the 10 s request timeout.
 */
async function firstCommitAfterKill(
  cluster: KvCluster,
  survivors: string[],
  oldTerm: number,
  killedAt: number,
  trial: number,
): Promise<Omit<FailoverTrial, 'trial' | 'killed'>> {
  let elected: { id: string; term: number; at: number } | null = null;
  while (performance.now() - killedAt < FAILOVER_DEADLINE_MS) {
    const pollStarted = performance.now();
    if (elected === null) {
      const statuses = await Promise.all(survivors.map((id) => cluster.status(id).catch(() => null)));
      const leader = statuses.find((s) => s?.role === 'leader' && s.term > oldTerm);
      if (leader) elected = { id: leader.id, term: leader.term, at: performance.now() };
    }
    if (elected !== null) {
      try {
        await cluster.request(elected.id, {
          cmd: 'write',
          op: { op: 'put', key: 'failover-probe', value: `trial ${trial}` },
          forward: false,
        });
        return {
          newLeader: elected.id,
          newTerm: elected.term,
          electedMs: elected.at - killedAt,
          committedMs: performance.now() - killedAt,
        };
      } catch {
        // It lost leadership before committing (another election): find the next leader.
        elected = null;
      }
    }
    await sleep(Math.max(0, FAILOVER_POLL_MS - (performance.now() - pollStarted)));
  }
  throw new Error(
    `trial ${trial}: no write committed within ${FAILOVER_DEADLINE_MS} ms of killing the leader`,
  );
}

// ---- CPU profile ----------------------------------------------------------------------------

/**
 * Runs the profiled level on its own cluster started with --cpu-prof, so the profiler's overhead
 * stays out of the measured figures. V8 writes a profile when its process exits normally, so the
 * members get SIGTERM (member.ts stops cleanly and exits), not the SIGKILL of cluster.stop().
 */
async function profileLeader(settings: Settings): Promise<ProfileResult> {
  const profileDir = await mkdtemp(join(tmpdir(), 'flotilla-cpuprof-'));
  try {
    const cluster = await KvCluster.start({
      size: 3,
      hostBase: 60,
      execArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    });
    let level: LevelResult;
    let window: ProfileWindow;
    let leaderPid: number;
    let followerPid: number | undefined;
    try {
      const leader = await cluster.leader();
      // Both sides read CLOCK_MONOTONIC, so the measured window can be cut out of the profile.
      const sentUs = Number(process.hrtime.bigint() / 1000n);
      window = {
        fromUs: sentUs + settings.warmupMs * 1000,
        toUs: sentUs + (settings.warmupMs + settings.durationMs) * 1000,
      };
      level = await runLevel(cluster, leader, PROFILED_CONCURRENCY, settings);
      const statuses = await Promise.all(cluster.live().map((id) => cluster.status(id)));
      leaderPid = statuses.find((s) => s.id === leader)!.pid;
      followerPid = statuses.find((s) => s.id !== leader)?.pid;
      const members = [...cluster.members.values()];
      for (const m of members) m.kill('SIGTERM');
      const exited = await raceTimeout(Promise.all(members.map((m) => m.exited)), GRACEFUL_EXIT_MS);
      if (exited === 'timeout')
        throw new Error(`members did not exit within ${GRACEFUL_EXIT_MS} ms of SIGTERM`);
    } finally {
      await cluster.stop();
    }

    const files = await readdir(profileDir);
    const fileOf = (pid: number): string | undefined =>
      files.find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
    const leaderSource = fileOf(leaderPid);
    if (leaderSource === undefined)
      throw new Error(`no .cpuprofile for the leader (pid ${leaderPid}) in ${profileDir}`);
    const leaderFile = join(resultsDir, `raft-leader-c${PROFILED_CONCURRENCY}.cpuprofile`);
    await copyFile(join(profileDir, leaderSource), leaderFile);
    const followerSource = followerPid === undefined ? undefined : fileOf(followerPid);
    const followerFile = join(resultsDir, `raft-follower-c${PROFILED_CONCURRENCY}.cpuprofile`);
    if (followerSource !== undefined) await copyFile(join(profileDir, followerSource), followerFile);

    const summary = summariseCpuProfile(await readCpuProfile(leaderFile), projectRoot, window);
    const followerSummary =
      followerSource === undefined
        ? null
        : summariseCpuProfile(await readCpuProfile(followerFile), projectRoot, window);
    return {
      concurrency: PROFILED_CONCURRENCY,
      commitsPerS: level.commitsPerS,
      leaderFile: relative(projectRoot, leaderFile),
      followerFile: followerSource === undefined ? null : relative(projectRoot, followerFile),
      windowed: summary.windowed,
      totalMs: summary.totalMs,
      idleMs: summary.idleMs,
      topFunctions: summary.byFunction.slice(0, 15),
      topModules: summary.byModule.slice(0, 12),
      followerTopFunctions: followerSummary?.byFunction.slice(0, 8) ?? [],
    };
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
}

function printProfile(p: ProfileResult): void {
  const busyMs = p.totalMs - p.idleMs;
  console.log(
    `  ${fmt(p.commitsPerS, 0)} commits/s while profiled; leader profile ${p.leaderFile}: ${fmt(p.totalMs, 0)} ms sampled ` +
      `(${p.windowed ? 'the measured window only' : 'the whole process'}), ` +
      `${fmt(p.idleMs, 0)} ms idle (${pct(p.idleMs / p.totalMs)}), ${fmt(busyMs, 0)} ms busy`,
  );
  const rows = (list: SelfTime[]): string[][] =>
    list.map((r) => [
      r.name,
      fmt(r.selfMs, 0),
      pct(r.shareOfTotal),
      r.name === '(idle)' ? '' : pct(r.shareOfBusy),
      r.location,
    ]);
  console.log('\n  top self time, leader (by function):');
  printRows(['function', 'self ms', '% total', '% busy', 'where'], rows(p.topFunctions), '  ');
  console.log('\n  top self time, leader (by file / package):');
  printRows(['module', 'self ms', '% total', '% busy', ''], rows(p.topModules), '  ');
  if (p.followerTopFunctions.length > 0) {
    console.log(`\n  top self time, a follower (${p.followerFile ?? ''}):`);
    printRows(['function', 'self ms', '% total', '% busy', 'where'], rows(p.followerTopFunctions), '  ');
  }
}

// ---- Report ---------------------------------------------------------------------------------

type Report = ReturnType<typeof buildReport>;

function buildReport(
  settings: Settings,
  run: { startedAt: Date; loadAvgAtStart: number; fsyncProbe: { p50Ms: number; p99Ms: number } },
  throughput: { levels: LevelResult[]; rssMbLeader: number },
  etcd: EtcdReferenceResult,
  trials: FailoverTrial[],
  profile: ProfileResult | null,
) {
  const level = (c: number): LevelResult | undefined => throughput.levels.find((l) => l.concurrency === c);
  const etcdLevel = (c: number): EtcdLevelResult | undefined =>
    etcd.available ? etcd.levels.find((l) => l.concurrency === c) : undefined;
  const committed = Float64Array.from(trials.map((t) => t.committedMs)).sort();
  const elected = Float64Array.from(trials.map((t) => t.electedMs)).sort();
  const commits256 = level(256)?.commitsPerS ?? Number.NaN;
  const etcd256 = etcdLevel(256)?.commitsPerSecond;
  const ratio256 = etcd256 === undefined ? null : commits256 / etcd256;
  const p99Ms64 = level(64)?.p99Ms ?? Number.NaN;
  const failoverP99 = percentile(committed, 0.99);
  return {
    commits_per_s_1: level(1)?.commitsPerS ?? null,
    commits_per_s_64: level(64)?.commitsPerS ?? null,
    commits_per_s_256: commits256,
    p50_ms_1: level(1)?.p50Ms ?? null,
    p99_ms_1: level(1)?.p99Ms ?? null,
    p50_ms_64: level(64)?.p50Ms ?? null,
    p99_ms_64: p99Ms64,
    p50_ms_256: level(256)?.p50Ms ?? null,
    p99_ms_256: level(256)?.p99Ms ?? null,
    failover_ms_p50: percentile(committed, 0.5),
    failover_ms_p99: failoverP99,
    failover_ms_max: percentile(committed, 1),
    failover_election_ms_p50: percentile(elected, 0.5),
    failover_election_ms_p99: percentile(elected, 0.99),
    rss_mb_leader: throughput.rssMbLeader,
    etcd_available: etcd.available,
    etcd_unavailable_reason: etcd.available ? null : etcd.reason,
    etcd_version: etcd.available ? etcd.version : null,
    etcd_commits_per_s_1: etcdLevel(1)?.commitsPerSecond ?? null,
    etcd_commits_per_s_64: etcdLevel(64)?.commitsPerSecond ?? null,
    etcd_commits_per_s_256: etcd256 ?? null,
    etcd_p50_ms_1: etcdLevel(1)?.p50Ms ?? null,
    etcd_p99_ms_1: etcdLevel(1)?.p99Ms ?? null,
    etcd_p50_ms_64: etcdLevel(64)?.p50Ms ?? null,
    etcd_p99_ms_64: etcdLevel(64)?.p99Ms ?? null,
    etcd_p50_ms_256: etcdLevel(256)?.p50Ms ?? null,
    etcd_p99_ms_256: etcdLevel(256)?.p99Ms ?? null,
    etcd_rss_mb_leader: etcd.available ? etcd.rssMbLeader : null,
    ratio_vs_etcd_256: ratio256,
    targets: {
      commits_per_s_256: `>= ${TARGETS.commitsPerS256}`,
      ratio_vs_etcd_256: `>= ${TARGETS.ratioVsEtcd256}`,
      p99_ms_64: `< ${TARGETS.p99Ms64}`,
      failover_ms_p99: `< ${TARGETS.failoverP99Ms}`,
    },
    targets_met: {
      commits_per_s_256: commits256 >= TARGETS.commitsPerS256,
      // null: no etcd figure in this run to compare with.
      ratio_vs_etcd_256: ratio256 === null ? null : ratio256 >= TARGETS.ratioVsEtcd256,
      p99_ms_64: p99Ms64 < TARGETS.p99Ms64,
      failover_ms_p99: failoverP99 < TARGETS.failoverP99Ms,
    },
    levels: throughput.levels,
    etcd_levels: etcd.available ? etcd.levels : [],
    failover_trials: trials,
    profile,
    settings: {
      members: 3,
      fsync: true,
      value_bytes: VALUE_BYTES,
      concurrencies: [...CONCURRENCIES],
      duration_ms: settings.durationMs,
      warmup_ms: settings.warmupMs,
      failover_trials: settings.failoverTrials,
      failover_poll_ms: FAILOVER_POLL_MS,
      timing:
        'RaftNode defaults: tick 100 ms, heartbeat 1 tick, election timeout 10 ticks (1 s), preVote + checkQuorum',
      load: 'closed-loop proposers inside the leader process calling node.propose(); counted when completing inside the window',
      percentiles: 'nearest rank (p99 of 20 failover trials is the slowest)',
    },
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      total_mem_gb: totalmem() / 2 ** 30,
      node: process.version,
      platform: `${platform()} ${release()}`,
      date: run.startedAt.toISOString(),
      // Other work on the machine skews every figure; this says how busy it was around the run.
      loadavg_1m_at_start: run.loadAvgAtStart,
      loadavg_1m_at_end: loadavg()[0],
      fsync_probe_ms_p50: run.fsyncProbe.p50Ms,
      fsync_probe_ms_p99: run.fsyncProbe.p99Ms,
    },
  };
}

function printTable(r: Report): void {
  const met = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'yes' : 'NO');
  const n = (v: number | null, digits = 0): string => (v === null || Number.isNaN(v) ? '-' : fmt(v, digits));
  const rows: string[][] = [
    ['commits/s @1', n(r.commits_per_s_1), n(r.etcd_commits_per_s_1), '', ''],
    ['commits/s @64', n(r.commits_per_s_64), n(r.etcd_commits_per_s_64), '', ''],
    [
      'commits/s @256',
      n(r.commits_per_s_256),
      n(r.etcd_commits_per_s_256),
      `>= ${fmt(TARGETS.commitsPerS256, 0)}`,
      met(r.targets_met.commits_per_s_256),
    ],
    [
      'ratio vs etcd @256',
      n(r.ratio_vs_etcd_256, 2),
      '1',
      `>= ${TARGETS.ratioVsEtcd256}`,
      met(r.targets_met.ratio_vs_etcd_256),
    ],
    ['p50 ms @1', n(r.p50_ms_1, 2), n(r.etcd_p50_ms_1, 2), '', ''],
    ['p99 ms @1', n(r.p99_ms_1, 2), n(r.etcd_p99_ms_1, 2), '', ''],
    ['p50 ms @64', n(r.p50_ms_64, 2), n(r.etcd_p50_ms_64, 2), '', ''],
    [
      'p99 ms @64',
      n(r.p99_ms_64, 2),
      n(r.etcd_p99_ms_64, 2),
      `< ${TARGETS.p99Ms64}`,
      met(r.targets_met.p99_ms_64),
    ],
    ['p50 ms @256', n(r.p50_ms_256, 2), n(r.etcd_p50_ms_256, 2), '', ''],
    ['p99 ms @256', n(r.p99_ms_256, 2), n(r.etcd_p99_ms_256, 2), '', ''],
    ['failover ms p50', n(r.failover_ms_p50), '', '', ''],
    [
      'failover ms p99',
      n(r.failover_ms_p99),
      '',
      `< ${TARGETS.failoverP99Ms}`,
      met(r.targets_met.failover_ms_p99),
    ],
    [
      '  (election seen) p50/p99',
      `${n(r.failover_election_ms_p50)}/${n(r.failover_election_ms_p99)}`,
      '',
      '',
      '',
    ],
    ['rss MB leader', n(r.rss_mb_leader, 1), n(r.etcd_rss_mb_leader, 1), '', ''],
  ];
  console.log(
    `\n== results (${r.machine.cpus} CPUs, ${r.machine.node}, ${r.settings.duration_ms} ms per level) ==`,
  );
  printRows(
    ['metric', 'flotilla', r.etcd_version === null ? 'etcd' : `etcd ${r.etcd_version}`, 'target', 'met?'],
    rows,
  );
}

// ---- Helpers --------------------------------------------------------------------------------

/** write + fdatasync of one small group commit's worth of bytes, as the WAL does per Ready. */
async function probeFsync(): Promise<{ p50Ms: number; p99Ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-fsync-'));
  try {
    const handle = await open(join(dir, 'probe'), 'w');
    const block = Buffer.alloc(VALUE_BYTES * 16, 0x5a);
    const samples = new Float64Array(FSYNC_PROBES);
    try {
      for (let i = 0; i < FSYNC_PROBES; i++) {
        const t0 = performance.now();
        await handle.write(block);
        await handle.datasync();
        samples[i] = performance.now() - t0;
      }
    } finally {
      await handle.close();
    }
    samples.sort();
    return { p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A plain-text table: the first column and text cells left-aligned, figures right-aligned. */
function printRows(header: string[], rows: string[][], indent = ''): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isFigure = (cell: string): boolean => /^[-\d.,%/ ]*\d[-\d.,%/ ]*$/.test(cell);
  const line = (cells: string[]): string =>
    indent +
    cells
      .map((c, i) => (i > 0 && isFigure(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  console.log(line(header));
  console.log(indent + widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

function fmt(v: number, digits: number): string {
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw}: expected a number >= 0`);
  return value;
}

try {
  await main();
} catch (error) {
  console.error('bench:raft failed:', error);
  process.exitCode = 1;
}
