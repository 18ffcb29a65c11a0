// Simulated nodes for the dispatcher benchmark (bench/dispatcher.ts forks two of these from dist/).
// Each node joins as a worker would (its own key, CSR and certificate from the manager's CA, which
// creates its Node object), then holds a real DispatcherSession (src/worker/session.ts) on its own
// TLS channel: Session, Assignments up to the COMPLETE message, log subscriptions, and heartbeats
// at the period each answer gives. Only the executor is missing: the session handlers do nothing.
//
// Protocol (IPC, JSON), as bench/support/store-member.ts: config in argv[2]; every request
// {id, type} gets exactly one reply {id, ok: true, result} or {id, ok: false, error}. Heartbeat
// latency is timed around each Heartbeat call on this side (the call to its callback).

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type * as grpc from '@grpc/grpc-js';
import type { NodeDescription } from '../../src/api/index.js';
import { fetchTrustedRoot, requestNodeCertificate } from '../../src/ca/client.js';
import { channelCredentials, createCsr, generateNodeKey, type TlsIdentity } from '../../src/ca/index.js';
import type { DispatcherClient } from '../../src/generated/flotilla/dispatcher/v1/Dispatcher.js';
import type { HeartbeatRequest } from '../../src/generated/flotilla/dispatcher/v1/HeartbeatRequest.js';
import type { HeartbeatResponse__Output } from '../../src/generated/flotilla/dispatcher/v1/HeartbeatResponse.js';
import { silentLogger } from '../../src/util/logger.js';
import { dispatcherClient, DispatcherSession, type SessionHandlers } from '../../src/worker/session.js';
import { raceTimeout, sleep } from '../support.js';

export interface SimNodesConfig {
  /** The manager's gRPC address (CA and dispatcher). */
  managerAddr: string;
  workerJoinToken: string;
  nodes: number;
  /** Index of this process's first node (hostnames sim-<index> are unique across processes). */
  firstIndex: number;
  enrolConcurrency: number;
  connectConcurrency: number;
  /**
   * How long enrolment, and then connecting, may take here: past it no further node starts, and
   * the answer says how many were left (the parent's request timeout is this plus a margin).
   */
  phaseBudgetMs: number;
}

export interface SimCalls {
  /** Key, CSR and certificate for every node, before anything is measured. */
  enrol: { params: Record<string, never>; result: { nodeIds: string[]; ms: number; failures: string[] } };
  /** Opens every node's session and waits for each one's COMPLETE assignments message. */
  connect: {
    params: Record<string, never>;
    result: {
      opened: number;
      failures: string[];
      retries: number;
      retryFailures: string[];
      /** Sessions that opened, then ended before this answer (they are being reopened). */
      sessionErrorMessages: Record<string, number>;
      ms: number;
    };
  };
  /** Starts the measured window: drops the samples gathered so far. */
  measure: { params: Record<string, never>; result: { openSessions: number } };
  /** Sessions open now. */
  open: { params: Record<string, never>; result: { openSessions: number } };
  /** What happened since `measure`. */
  report: { params: Record<string, never>; result: SimReport };
  /** Ends every session (the nodes leave) and closes every channel; the process then exits. */
  stop: { params: Record<string, never>; result: { closed: number } };
}

export interface SimReport {
  heartbeatLatenciesMs: number[];
  /** When each of those calls started: wall clock (performance.timeOrigin + now), comparable across processes. */
  heartbeatStartedAtMs: number[];
  heartbeatFailures: number;
  /** Sessions that ended without this side asking (an error, a missed heartbeat, the manager). */
  sessionErrors: number;
  /** Why they ended, counted by message. */
  sessionErrorMessages: Record<string, number>;
  reopened: number;
  reopenFailures: number;
  openSessions: number;
  /** This process's event-loop delay over the window: how much client-side wait the latencies hold. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** This process's CPU over the window, percent of one core. */
  cpuPct: number;
  rssMb: number;
}

export type SimRequestType = keyof SimCalls;
export type SimReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Bounds: a node's COMPLETE message after its session opened; a reopen after a failure. */
const COMPLETE_TIMEOUT_MS = 30_000;
const REOPEN_DELAY_MS = 1_000;
const MAX_REOPENS_PER_NODE = 10;
/** Attempts at a node's first session, with the agent's backoff between them (src/worker/agent.ts). */
const MAX_CONNECT_ATTEMPTS = 6;
const BACKOFF_MS = { initial: 100, max: 5_000 };
const MAX_FAILURE_MESSAGES = 10;

const noop = (): void => undefined;

function description(index: number): NodeDescription {
  return {
    hostname: `sim-${index}`,
    platform: { architecture: 'x86_64', os: 'linux' },
    resources: { nanoCpus: 4e9, memoryBytes: 8 * 1024 ** 3 },
    engine: {
      engineVersion: '27.3.1',
      labels: { rack: `r${index % 20}`, zone: `z${index % 3}` },
      plugins: [
        { type: 'Log', name: 'json-file' },
        { type: 'Network', name: 'bridge' },
        { type: 'Network', name: 'overlay' },
        { type: 'Volume', name: 'local' },
      ],
    },
  };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const shown = typeof code === 'string' || typeof code === 'number' ? ` ${code}` : '';
  return `${err.name}${shown}: ${err.message}`.slice(0, 300);
}

/**
 * Runs `fn` over `items` with at most `concurrency` at once, starting none after `budgetMs`; the
 * errors as messages, and how many items were never started.
 */
async function pool<T>(
  items: T[],
  concurrency: number,
  budgetMs: number,
  fn: (item: T) => Promise<void>,
): Promise<{ failures: string[]; notStarted: number }> {
  const failures: string[] = [];
  const deadline = performance.now() + budgetMs;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && performance.now() < deadline) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failures.push(describe(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return { failures, notStarted: items.length - next };
}

class Samples {
  heartbeatLatenciesMs: number[] = [];
  heartbeatStartedAtMs: number[] = [];
  heartbeatFailures = 0;
  sessionErrors = 0;
  sessionErrorMessages: Record<string, number> = {};
  reopened = 0;
  reopenFailures = 0;

  sessionEnded(err: Error): void {
    this.sessionErrors++;
    // grpc-js appends timings and the address to a deadline's message: drop them so reasons group.
    const key = describe(err)
      .replace(/ after [\d.]+s,.*$/, '')
      .replace(/\d+(\.\d+)?s\b/g, 'Ns');
    this.sessionErrorMessages[key] = (this.sessionErrorMessages[key] ?? 0) + 1;
  }
}

/** One simulated node: its identity, its channel, and its current session. */
class SimNode {
  private session: DispatcherSession | null = null;
  private reopens = 0;
  private reopenTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly client: DispatcherClient;

  constructor(
    readonly index: number,
    readonly nodeId: string,
    identity: TlsIdentity,
    managerAddr: string,
    private readonly samples: () => Samples,
  ) {
    this.client = dispatcherClient(managerAddr, channelCredentials(identity));
    this.timeHeartbeats();
  }

  get open(): boolean {
    return this.session !== null;
  }

  /** Opens a session and waits for its COMPLETE assignments message. */
  async connect(): Promise<void> {
    let completed: () => void = noop;
    const complete = new Promise<void>((resolve) => (completed = resolve));
    const handlers: SessionHandlers = {
      complete: () => completed(),
      changes: noop,
      update: noop,
      logs: noop,
    };
    const session = new DispatcherSession(this.client, handlers, silentLogger);
    await session.open(description(this.index));
    const first = await raceTimeout(
      Promise.race([complete.then(() => 'complete' as const), session.ended]),
      COMPLETE_TIMEOUT_MS,
    );
    if (first !== 'complete') {
      session.cancel();
      throw first === 'timeout'
        ? new Error(`node ${this.nodeId}: no COMPLETE assignments within ${COMPLETE_TIMEOUT_MS} ms`)
        : first;
    }
    this.session = session;
    void session.ended.then((err) => this.ended(session, err));
  }

  stop(): void {
    this.stopped = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.session?.cancel('the benchmark is over');
    this.session = null;
    this.client.close();
  }

  /**
   * As the agent does, a node whose session failed opens a new one, backing off after each failed
   * attempt (src/worker/agent.ts); bounded here to MAX_REOPENS_PER_NODE attempts per node.
   */
  private ended(session: DispatcherSession, err: Error): void {
    if (this.stopped || this.session !== session) return;
    this.session = null;
    this.samples().sessionEnded(err);
    this.scheduleReopen(1);
  }

  private scheduleReopen(failures: number): void {
    if (this.stopped || this.reopens >= MAX_REOPENS_PER_NODE) return;
    this.reopens++;
    const ceiling = Math.min(BACKOFF_MS.max, BACKOFF_MS.initial * 2 ** failures);
    this.reopenTimer = setTimeout(
      () => {
        this.reopenTimer = null;
        if (this.stopped) return;
        this.connect().then(
          () => this.samples().reopened++,
          () => {
            this.samples().reopenFailures++;
            this.scheduleReopen(failures + 1);
          },
        );
      },
      Math.max(REOPEN_DELAY_MS, ceiling / 2 + Math.random() * (ceiling / 2)),
    );
  }

  /** Wraps the client's heartbeat (the three-argument form DispatcherSession calls) with a timer. */
  private timeHeartbeats(): void {
    type Heartbeat = (
      request: HeartbeatRequest,
      options: grpc.CallOptions,
      callback: grpc.requestCallback<HeartbeatResponse__Output>,
    ) => grpc.ClientUnaryCall;
    const original = (this.client.heartbeat as Heartbeat).bind(this.client);
    const timed: Heartbeat = (request, options, callback) => {
      const started = performance.now();
      return original(request, options, (err, response) => {
        const samples = this.samples();
        if (err) samples.heartbeatFailures++;
        else {
          samples.heartbeatLatenciesMs.push(performance.now() - started);
          samples.heartbeatStartedAtMs.push(performance.timeOrigin + started);
        }
        callback(err, response);
      });
    };
    (this.client as { heartbeat: Heartbeat }).heartbeat = timed;
  }
}

class SimNodes {
  private nodes: SimNode[] = [];
  private samples = new Samples();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private windowCpu = process.cpuUsage();
  private windowStarted = performance.now();

  constructor(private readonly config: SimNodesConfig) {
    this.loopDelay.enable();
  }

  async enrol(): Promise<SimCalls['enrol']['result']> {
    const started = performance.now();
    const { managerAddr, workerJoinToken } = this.config;
    const rootPem = await fetchTrustedRoot(managerAddr, workerJoinToken);
    const indexes = Array.from({ length: this.config.nodes }, (_, i) => this.config.firstIndex + i);
    const enrolled: SimNode[] = [];
    const { failures, notStarted } = await pool(
      indexes,
      this.config.enrolConcurrency,
      this.config.phaseBudgetMs,
      async (index) => {
        const keyPem = await generateNodeKey();
        const issued = await requestNodeCertificate(managerAddr, rootPem, {
          csr: await createCsr(keyPem),
          token: workerJoinToken,
          addr: '',
        });
        const identity = { rootsPem: issued.rootCa, keyPem, certChainPem: issued.certificateChain };
        enrolled.push(new SimNode(index, issued.nodeId, identity, managerAddr, () => this.samples));
      },
    );
    if (notStarted > 0)
      failures.push(`${notStarted} nodes not started within ${this.config.phaseBudgetMs} ms`);
    this.nodes = enrolled.sort((a, b) => a.index - b.index);
    return {
      nodeIds: this.nodes.map((n) => n.nodeId),
      ms: performance.now() - started,
      failures: failures.slice(0, MAX_FAILURE_MESSAGES),
    };
  }

  async connect(): Promise<SimCalls['connect']['result']> {
    const started = performance.now();
    let retries = 0;
    const retryFailures: string[] = [];
    const { failures, notStarted } = await pool(
      this.nodes,
      this.config.connectConcurrency,
      this.config.phaseBudgetMs,
      async (n) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await n.connect();
            return;
          } catch (err) {
            if (attempt >= MAX_CONNECT_ATTEMPTS) throw err;
            retries++;
            if (retryFailures.length < MAX_FAILURE_MESSAGES) retryFailures.push(describe(err));
            // Full jitter over an exponential ceiling, as the agent backs off.
            const ceiling = Math.min(BACKOFF_MS.max, BACKOFF_MS.initial * 2 ** attempt);
            await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
          }
        }
      },
    );
    if (notStarted > 0)
      failures.push(`${notStarted} nodes not started within ${this.config.phaseBudgetMs} ms`);
    return {
      opened: this.nodes.filter((n) => n.open).length,
      failures: failures.slice(0, MAX_FAILURE_MESSAGES),
      retries,
      retryFailures,
      sessionErrorMessages: { ...this.samples.sessionErrorMessages },
      ms: performance.now() - started,
    };
  }

  openSessions(): SimCalls['open']['result'] {
    return { openSessions: this.nodes.filter((n) => n.open).length };
  }

  measure(): SimCalls['measure']['result'] {
    this.samples = new Samples();
    this.loopDelay.reset();
    this.windowCpu = process.cpuUsage();
    this.windowStarted = performance.now();
    return { openSessions: this.nodes.filter((n) => n.open).length };
  }

  report(): SimReport {
    const cpu = process.cpuUsage(this.windowCpu);
    const elapsedUs = (performance.now() - this.windowStarted) * 1000;
    const s = this.samples;
    return {
      heartbeatLatenciesMs: s.heartbeatLatenciesMs,
      heartbeatStartedAtMs: s.heartbeatStartedAtMs,
      heartbeatFailures: s.heartbeatFailures,
      sessionErrors: s.sessionErrors,
      sessionErrorMessages: s.sessionErrorMessages,
      reopened: s.reopened,
      reopenFailures: s.reopenFailures,
      openSessions: this.nodes.filter((n) => n.open).length,
      loopDelayP99Ms: this.loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: this.loopDelay.max / 1e6,
      cpuPct: elapsedUs > 0 ? ((cpu.user + cpu.system) / elapsedUs) * 100 : 0,
      rssMb: process.memoryUsage().rss / (1024 * 1024),
    };
  }

  stop(): SimCalls['stop']['result'] {
    for (const n of this.nodes) n.stop();
    this.loopDelay.disable();
    return { closed: this.nodes.length };
  }
}

function send(message: SimReply): void {
  if (process.connected) process.send?.(message);
}

function main(): void {
  if (!process.send) throw new Error('sim-nodes: must be started with an IPC channel (child_process.fork)');
  const config = JSON.parse(process.argv[2] ?? '{}') as SimNodesConfig;
  const sim = new SimNodes(config);
  let stopping = false;
  const exit = (): void => {
    if (stopping) return;
    stopping = true;
    sim.stop();
    // Let the cancellations reach the manager before the sockets go.
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  process.on('disconnect', exit);
  process.on('message', (message: unknown) => {
    const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    const id = typeof m.id === 'number' ? m.id : -1;
    const run = async (): Promise<unknown> => {
      switch (m.type as SimRequestType) {
        case 'enrol':
          return sim.enrol();
        case 'connect':
          return sim.connect();
        case 'measure':
          return sim.measure();
        case 'open':
          return sim.openSessions();
        case 'report':
          return sim.report();
        case 'stop': {
          const result = sim.stop();
          setTimeout(exit, 0);
          return result;
        }
        default:
          throw new Error(`sim-nodes: unknown request type ${String(m.type)}`);
      }
    };
    run().then(
      (result) => send({ id, ok: true, result }),
      (err: unknown) =>
        send({ id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
    );
  });
}

main();
