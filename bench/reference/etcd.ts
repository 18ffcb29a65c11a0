// The etcd side of `npm run bench:raft`: the same put workload run against a real 3-member etcd
// cluster (child processes on 127.0.0.11-13), so our Raft numbers have a reference in the same
// run. Finds or apt-installs etcd, drives concurrent puts at the leader over gRPC, cleans up.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { access, constants as fsConstants, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { findProjectRoot, percentile, raceTimeout, sleep } from '../support.js';

export interface EtcdReferenceOptions {
  /** Concurrent put loops per level, e.g. [1, 64, 256]. */
  concurrencies: number[];
  /** Measured window per concurrency level, e.g. 5000. */
  durationMs: number;
  /** Size of each put's random value, e.g. 256. */
  valueBytes: number;
  /** Load run before each level's measured window; default 1000. */
  warmupMs?: number;
  log?: (line: string) => void;
}

export interface EtcdLevelResult {
  concurrency: number;
  commitsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Puts that completed inside the measured window. */
  operations: number;
}

export type EtcdReferenceResult =
  | { available: true; version: string; levels: EtcdLevelResult[]; rssMbLeader: number }
  | { available: false; reason: string };

export type EtcdReferenceErrorCode =
  | 'INVALID_OPTIONS'
  | 'ETCD_NOT_INSTALLABLE'
  | 'ADDRESS_UNUSABLE'
  | 'MEMBER_EXITED'
  | 'CLUSTER_NOT_READY'
  | 'BAD_RESPONSE'
  | 'PUT_FAILED';

export class EtcdReferenceError extends Error {
  constructor(
    readonly code: EtcdReferenceErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EtcdReferenceError';
  }
}

/** Codes that mean "etcd can't be run here" (reported as `available: false`), not a failed run. */
const UNAVAILABLE_CODES: ReadonlySet<EtcdReferenceErrorCode> = new Set([
  'ETCD_NOT_INSTALLABLE',
  'ADDRESS_UNUSABLE',
  'MEMBER_EXITED',
  'CLUSTER_NOT_READY',
]);

const MEMBER_HOSTS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'] as const;
const CLIENT_PORT = 2379;
const PEER_PORT = 2380;
const DEFAULT_WARMUP_MS = 1_000;
const CLUSTER_READY_TIMEOUT_MS = 30_000;
const STATUS_DEADLINE_MS = 1_000;
const PUT_DEADLINE_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const APT_TIMEOUT_MS = 10 * 60_000;
// Enough HTTP/2 connections that one connection's framing isn't the bottleneck at 256 loops.
const MAX_CHANNELS = 8;
const MAX_PUTS_PER_LOOP = 10_000_000;

/**
 * Runs the put workload against a fresh 3-member etcd cluster. Returns `available: false` when
 * etcd can't be installed or started here; throws (EtcdReferenceError) when a started cluster
 * fails during measurement. Everything it starts is stopped and deleted before it returns.
 */
export async function runEtcdReference(options: EtcdReferenceOptions): Promise<EtcdReferenceResult> {
  validateOptions(options);
  const log = options.log ?? (() => undefined);
  const warmupMs = options.warmupMs ?? DEFAULT_WARMUP_MS;

  let binary: string;
  try {
    binary = await ensureEtcdBinary(log);
  } catch (error) {
    return unavailableOrThrow(error, log);
  }
  const api = loadEtcdApi();
  const cluster = new EtcdCluster(binary, log);
  const removeExitCleanup = installExitCleanup(cluster);
  const leaderClients: grpc.Client[] = [];
  try {
    let leader: ClusterLeader;
    try {
      await cluster.start();
      leader = await cluster.waitForLeader(api, CLUSTER_READY_TIMEOUT_MS);
    } catch (error) {
      return unavailableOrThrow(error, log);
    }
    log(
      `etcd ${leader.version}: leader is ${leader.member.name} (${leader.member.clientUrl}, pid ${leader.member.pid})`,
    );

    const channelCount = Math.min(MAX_CHANNELS, Math.max(...options.concurrencies));
    for (let i = 0; i < channelCount; i++) {
      // A local subchannel pool per client: otherwise grpc-js shares one connection per target.
      leaderClients.push(
        new grpc.Client(leader.member.grpcTarget, grpc.credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
        }),
      );
    }
    await Promise.all(leaderClients.map((client) => waitForReady(client, CLUSTER_READY_TIMEOUT_MS)));

    const levels: EtcdLevelResult[] = [];
    let rssMbLeader = 0;
    for (const concurrency of options.concurrencies) {
      const level = await measureLevel({
        putMethod: api.put,
        clients: leaderClients,
        concurrency,
        warmupMs,
        durationMs: options.durationMs,
        valueBytes: options.valueBytes,
      });
      rssMbLeader = Math.max(rssMbLeader, await readRssMb(leader.member.pid));
      log(
        `etcd c=${concurrency}: ${level.commitsPerSecond.toFixed(0)} commits/s, ` +
          `p50 ${level.p50Ms.toFixed(2)} ms, p99 ${level.p99Ms.toFixed(2)} ms, ${level.operations} puts`,
      );
      levels.push(level);
    }
    try {
      const after = await cluster.waitForLeader(api, CLUSTER_READY_TIMEOUT_MS);
      if (after.member !== leader.member) {
        // Puts to a follower are still committed (etcd forwards them), but the numbers mix paths.
        log(`etcd: leadership moved from ${leader.member.name} to ${after.member.name} during the run`);
      }
    } catch (error) {
      // The figures are already measured; this check only annotates them, so report and go on.
      log(`etcd: could not re-check the leader after the run: ${String(error)}`);
    }
    return { available: true, version: leader.version, levels, rssMbLeader };
  } finally {
    for (const client of leaderClients) client.close();
    await cluster.stop();
    removeExitCleanup();
  }
}

function validateOptions(options: EtcdReferenceOptions): void {
  const bad = (rule: string): never => {
    throw new EtcdReferenceError('INVALID_OPTIONS', `runEtcdReference: ${rule}`);
  };
  if (options.concurrencies.length === 0) bad('concurrencies must not be empty');
  for (const c of options.concurrencies)
    if (!Number.isInteger(c) || c < 1) bad(`concurrency ${c} is not a positive integer`);
  if (!(options.durationMs > 0)) bad('durationMs must be > 0');
  if (!Number.isInteger(options.valueBytes) || options.valueBytes < 0)
    bad('valueBytes must be an integer >= 0');
  if (options.warmupMs !== undefined && !(options.warmupMs >= 0)) bad('warmupMs must be >= 0');
}

function unavailableOrThrow(error: unknown, log: (line: string) => void): EtcdReferenceResult {
  if (error instanceof EtcdReferenceError && UNAVAILABLE_CODES.has(error.code)) {
    log(`etcd reference unavailable (${error.code}): ${error.message}`);
    return { available: false, reason: error.message };
  }
  throw error;
}

// ---- Finding or installing the binary -------------------------------------------------------

async function ensureEtcdBinary(log: (line: string) => void): Promise<string> {
  const found = await findExecutable('etcd');
  if (found !== undefined) return found;

  const aptGet = await findExecutable('apt-get');
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || aptGet === undefined) {
    throw new EtcdReferenceError(
      'ETCD_NOT_INSTALLABLE',
      'no etcd binary on PATH or in /usr/bin, and it cannot be installed here (needs root and apt-get); ' +
        'install the etcd-server package or put etcd on PATH',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = async (args: string[]): Promise<CommandResult> => {
    log(`etcd: apt-get ${args.join(' ')}`);
    try {
      return await runCommand(aptGet, args, env, APT_TIMEOUT_MS);
    } catch (error) {
      throw new EtcdReferenceError('ETCD_NOT_INSTALLABLE', `could not run apt-get: ${String(error)}`, {
        cause: error,
      });
    }
  };
  const install = (): Promise<CommandResult> =>
    apt(['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=120', 'etcd-server']);

  // Refresh the package lists only when they don't know etcd-server, or when installing from
  // them fails (stale lists point at versions the mirror no longer has).
  const listsKnowEtcd = await aptHasCandidate('etcd-server', env);
  if (!listsKnowEtcd) await apt(['update']);
  let result = await install();
  if (result.exitCode !== 0 && listsKnowEtcd) {
    await apt(['update']);
    result = await install();
  }
  const installed = await findExecutable('etcd');
  if (result.exitCode !== 0 || installed === undefined) {
    throw new EtcdReferenceError(
      'ETCD_NOT_INSTALLABLE',
      `apt-get install etcd-server failed (exit ${result.exitCode ?? result.signal}): ${result.outputTail.trim()}`,
    );
  }
  log(`etcd: installed ${installed}`);
  return installed;
}

async function findExecutable(name: string): Promise<string | undefined> {
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const dir of [...pathDirs, '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const candidate = join(dir, name);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not in this directory (or not executable): try the next one.
    }
  }
  return undefined;
}

async function aptHasCandidate(pkg: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const aptCache = await findExecutable('apt-cache');
  if (aptCache === undefined) return false;
  let result: CommandResult;
  try {
    result = await runCommand(aptCache, ['policy', pkg], env, 60_000);
  } catch {
    return false; // Unknown means "refresh the lists first", which is always safe.
  }
  const candidate = /Candidate:\s*(\S+)/.exec(result.outputTail)?.[1];
  return result.exitCode === 0 && candidate !== undefined && candidate !== '(none)';
}

interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  outputTail: string;
}

function runCommand(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = new OutputTail(4_000);
    output.follow(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, outputTail: output.text() });
    });
  });
}

/** The last `maxChars` characters a child wrote; draining its pipes also keeps it from blocking. */
class OutputTail {
  private buffer = '';
  constructor(private readonly maxChars: number) {}

  follow(child: ChildProcess): void {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.push(chunk));
      stream?.on('error', (error: Error) => this.push(`\n[pipe error: ${error.message}]\n`));
    }
  }

  text(): string {
    return this.buffer;
  }

  private push(chunk: string): void {
    this.buffer = (this.buffer + chunk).slice(-this.maxChars);
  }
}

// ---- The cluster ----------------------------------------------------------------------------

interface RunningMember {
  name: string;
  host: string;
  clientUrl: string;
  grpcTarget: string;
  pid: number;
  process: ChildProcess;
  exit: Promise<void>;
  exitDescription: string | undefined;
  output: OutputTail;
}

interface ClusterLeader {
  member: RunningMember;
  version: string;
}

/** Three etcd members as child processes, each with a fresh data dir; `stop()` removes both. */
class EtcdCluster {
  private readonly members: RunningMember[] = [];
  private readonly dataDirs: string[] = [];
  private lastLeader: RunningMember | undefined;

  constructor(
    private readonly binary: string,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    for (const host of MEMBER_HOSTS) {
      for (const port of [CLIENT_PORT, PEER_PORT]) await assertCanListen(host, port);
    }
    const token = `flotilla-bench-${randomBytes(6).toString('hex')}`;
    const initialCluster = MEMBER_HOSTS.map((host, i) => `m${i + 1}=http://${host}:${PEER_PORT}`).join(',');
    // Flags and ETCD_* variables both configure etcd; keep only our flags.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));

    for (const [i, host] of MEMBER_HOSTS.entries()) {
      const name = `m${i + 1}`;
      const dataDir = await mkdtemp(join(tmpdir(), `flotilla-etcd-${name}-`));
      this.dataDirs.push(dataDir);
      const clientUrl = `http://${host}:${CLIENT_PORT}`;
      const peerUrl = `http://${host}:${PEER_PORT}`;
      // Defaults for everything but addresses, identity and a fresh cluster.
      const args = [
        `--name=${name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${token}`,
        '--initial-cluster-state=new',
      ];
      const child = spawn(this.binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const output = new OutputTail(8_000);
      output.follow(child);
      const member: RunningMember = {
        name,
        host,
        clientUrl,
        grpcTarget: `${host}:${CLIENT_PORT}`,
        pid: child.pid ?? -1,
        process: child,
        exitDescription: undefined,
        output,
        exit: new Promise<void>((resolve) => {
          child.on('error', (error) => {
            member.exitDescription ??= `failed to start: ${error.message}`;
            resolve();
          });
          child.on('exit', (code, signal) => {
            member.exitDescription ??= `exited with ${code ?? signal}`;
            resolve();
          });
        }),
      };
      this.members.push(member);
      this.log(`etcd: started ${name} on ${host} (pid ${member.pid}), data ${dataDir}`);
    }
  }

  /** Polls Maintenance.Status on every member until all answer and agree on one leader. */
  async waitForLeader(api: EtcdApi, timeoutMs: number): Promise<ClusterLeader> {
    const clients = this.members.map(
      (member) => new grpc.Client(member.grpcTarget, grpc.credentials.createInsecure()),
    );
    const deadline = performance.now() + timeoutMs;
    let lastProblem = 'no Status answer yet';
    try {
      while (performance.now() < deadline) {
        const exited = this.members.find((member) => member.exitDescription !== undefined);
        if (exited !== undefined) {
          throw new EtcdReferenceError(
            'MEMBER_EXITED',
            `etcd member ${exited.name} ${exited.exitDescription ?? ''}; its last output:\n${exited.output.text().trim()}`,
          );
        }
        const answers = await Promise.allSettled(
          clients.map(async (client) =>
            parseStatus(
              await unaryCall(
                client,
                api.status.path,
                api.status.requestSerialize,
                api.status.responseDeserialize,
                {},
                STATUS_DEADLINE_MS,
              ),
            ),
          ),
        );
        const statuses = answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
        const leaderIds = new Set(statuses.map((status) => status.leaderId));
        const [leaderId] = leaderIds;
        // Indices of `statuses` match `this.members` only when every member answered (checked below).
        const leaderIndex = statuses.findIndex((status) => status.memberId === leaderId);
        const leaderMember = this.members[leaderIndex];
        const leaderStatus = statuses[leaderIndex];
        if (
          statuses.length === this.members.length &&
          leaderIds.size === 1 &&
          leaderId !== '0' &&
          leaderMember !== undefined &&
          leaderStatus !== undefined
        ) {
          this.lastLeader = leaderMember;
          return { member: leaderMember, version: leaderStatus.version };
        }
        const failure = answers.find((answer) => answer.status === 'rejected');
        lastProblem =
          failure !== undefined
            ? `a member did not answer: ${String(failure.reason)}`
            : `members report leaders [${[...leaderIds].join(', ')}]`;
        await sleep(200);
      }
    } finally {
      for (const client of clients) client.close();
    }
    throw new EtcdReferenceError(
      'CLUSTER_NOT_READY',
      `etcd cluster not ready after ${timeoutMs} ms: waited for all ${this.members.length} members ` +
        `(${this.members.map((m) => m.grpcTarget).join(', ')}) to answer Maintenance.Status and agree on a leader; last: ${lastProblem}`,
    );
  }

  /**
   * SIGTERM, then SIGKILL after a grace period; then deletes the data dirs. One member at a time,
   * last known leader first: a leader on SIGTERM hands leadership to a live follower before it
   * exits, and when all three are signalled at once that hand-off waits for a follower that is
   * itself stopping, until etcd's request timeout (~7 s).
   */
  async stop(): Promise<void> {
    const order = [...this.members].sort(
      (a, b) => Number(b === this.lastLeader) - Number(a === this.lastLeader),
    );
    for (const member of order) {
      if (member.exitDescription !== undefined) continue;
      member.process.kill('SIGTERM');
      if ((await raceTimeout(member.exit, STOP_GRACE_MS)) === 'timeout') {
        this.log(
          `etcd: ${member.name} (pid ${member.pid}) ignored SIGTERM for ${STOP_GRACE_MS} ms; sending SIGKILL`,
        );
        member.process.kill('SIGKILL');
        if ((await raceTimeout(member.exit, STOP_GRACE_MS)) === 'timeout') {
          this.log(`etcd: ${member.name} (pid ${member.pid}) still running after SIGKILL`);
        }
      }
    }
    await Promise.all(this.dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    this.dataDirs.length = 0;
  }

  /** For process exit and signals, where nothing async runs any more. */
  killNowSync(): void {
    for (const member of this.members) {
      if (member.exitDescription === undefined) member.process.kill('SIGKILL');
    }
    for (const dir of this.dataDirs) {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Fails with a clear reason when host:port can't be bound (taken, or not routed to lo). */
async function assertCanListen(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new EtcdReferenceError(
          'ADDRESS_UNUSABLE',
          `cannot listen on ${host}:${port} for an etcd member (${error.code ?? error.message})` +
            (error.code === 'EADDRINUSE' ? '; is an etcd from an earlier run still alive?' : ''),
        ),
      );
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

function installExitCleanup(cluster: EtcdCluster): () => void {
  const onExit = (): void => cluster.killNowSync();
  const onSignal = (signal: NodeJS.Signals): void => {
    cluster.killNowSync();
    remove();
    // Re-raise so the default action (exit) still happens unless the host handles the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const remove = (): void => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return remove;
}

async function readRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new EtcdReferenceError('BAD_RESPONSE', `no VmRSS in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

// ---- gRPC -----------------------------------------------------------------------------------

interface EtcdApi {
  put: protoLoader.MethodDefinition<object, object>;
  status: protoLoader.MethodDefinition<object, object>;
}

function loadEtcdApi(): EtcdApi {
  const protoPath = join(findProjectRoot(), 'bench', 'reference', 'etcd-kv.proto');
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, defaults: true });
  return {
    put: unaryMethod(definition, 'etcdserverpb.KV', 'Put'),
    status: unaryMethod(definition, 'etcdserverpb.Maintenance', 'Status'),
  };
}

function unaryMethod(
  definition: protoLoader.PackageDefinition,
  serviceName: string,
  methodName: string,
): protoLoader.MethodDefinition<object, object> {
  const service = definition[serviceName];
  const method = service === undefined || 'format' in service ? undefined : service[methodName];
  if (method === undefined || method.requestStream || method.responseStream) {
    throw new Error(`etcd-kv.proto has no unary ${serviceName}.${methodName}`);
  }
  return method;
}

function unaryCall<Request, Response>(
  client: grpc.Client,
  path: string,
  serialize: (value: Request) => Buffer,
  deserialize: (bytes: Buffer) => Response,
  request: Request,
  deadlineMs: number,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      serialize,
      deserialize,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, response) => {
        if (error !== null) reject(error);
        else if (response === undefined)
          reject(new EtcdReferenceError('BAD_RESPONSE', `${path}: empty response`));
        else resolve(response);
      },
    );
  });
}

function waitForReady(client: grpc.Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + timeoutMs, (error) => {
      if (error === undefined) resolve();
      else
        reject(
          new EtcdReferenceError(
            'CLUSTER_NOT_READY',
            `gRPC channel to the etcd leader not ready: ${error.message}`,
          ),
        );
    });
  });
}

interface MemberStatus {
  memberId: string;
  leaderId: string;
  version: string;
}

function parseStatus(value: unknown): MemberStatus {
  const header = isRecord(value) ? value['header'] : undefined;
  const memberId = isRecord(header) ? header['member_id'] : undefined;
  const leaderId = isRecord(value) ? value['leader'] : undefined;
  const version = isRecord(value) ? value['version'] : undefined;
  if (typeof memberId !== 'string' || typeof leaderId !== 'string' || typeof version !== 'string') {
    throw new EtcdReferenceError(
      'BAD_RESPONSE',
      `unexpected Maintenance.Status response: ${JSON.stringify(value)}`,
    );
  }
  return { memberId, leaderId, version };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// ---- The load -------------------------------------------------------------------------------

interface LevelPlan {
  putMethod: protoLoader.MethodDefinition<object, object>;
  clients: grpc.Client[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  valueBytes: number;
}

/**
 * `concurrency` loops put back to back for warmup + duration. Throughput counts the puts that
 * complete inside the measured window, over the window's length (a steady-state estimate that
 * neither the ramp-up nor the puts still in flight at the end distort).
 */
async function measureLevel(plan: LevelPlan): Promise<EtcdLevelResult> {
  const windowStart = performance.now() + plan.warmupMs;
  const windowEnd = windowStart + plan.durationMs;
  const latenciesMs: number[] = [];
  const abort = new AbortController();
  const runId = randomBytes(4).toString('hex');

  const loops = Array.from({ length: plan.concurrency }, async (_, loop) => {
    const client = plan.clients[loop % plan.clients.length];
    if (client === undefined) throw new Error('no gRPC client for the leader');
    const key = Buffer.from(`flotilla-bench/${runId}/c${plan.concurrency}/${loop}`);
    try {
      for (let i = 0; i < MAX_PUTS_PER_LOOP && !abort.signal.aborted; i++) {
        const sentAt = performance.now();
        if (sentAt >= windowEnd) return;
        // The response is only a header; skipping its decode keeps client CPU on the put path.
        await unaryCall(
          client,
          plan.putMethod.path,
          plan.putMethod.requestSerialize,
          (bytes) => bytes,
          { key, value: randomBytes(plan.valueBytes) },
          PUT_DEADLINE_MS,
        );
        const doneAt = performance.now();
        if (doneAt >= windowStart && doneAt <= windowEnd) latenciesMs.push(doneAt - sentAt);
      }
    } catch (error) {
      abort.abort();
      throw error;
    }
  });
  const settled = await Promise.allSettled(loops);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    throw new EtcdReferenceError(
      'PUT_FAILED',
      `etcd put failed at concurrency ${plan.concurrency}: ${String(failure.reason)}`,
      {
        cause: failure.reason,
      },
    );
  }
  if (latenciesMs.length === 0) {
    throw new EtcdReferenceError(
      'PUT_FAILED',
      `no etcd put completed within ${plan.durationMs} ms at concurrency ${plan.concurrency}`,
    );
  }
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    concurrency: plan.concurrency,
    commitsPerSecond: sorted.length / (plan.durationMs / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    operations: sorted.length,
  };
}
