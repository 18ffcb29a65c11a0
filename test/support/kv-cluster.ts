// Starts the example replicated KV store (examples/raft-kv/member.ts, compiled to dist/) as a
// cluster of real processes on 127.0.0.x, and drives each member over Node's IPC channel.
// Used by the integration tests and the Raft benchmark. Everything started is stopped by stop().

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemberConfig, MemberReply, MemberRequest } from '../../examples/raft-kv/member.js';
export { waitUntil } from './wait.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root, whether this file runs from test/support or dist/test/support. */
const root = [resolve(here, '../..'), resolve(here, '../../..')].find((p) =>
  existsSync(join(p, 'package.json')),
)!;
const memberScript = join(root, 'dist/examples/raft-kv/member.js');

type Request = MemberRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class MemberError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly leaderId?: string,
  ) {
    super(message);
  }
}

export interface MemberStatus {
  id: string;
  role: string;
  leader: string;
  term: number;
  commit: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  pid: number;
  rssMb: number;
  keys: number;
  conf: { voters: string[]; learners: string[] };
}

class MemberProcess {
  child: ChildProcess | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  exited: Promise<void> = Promise.resolve();
  /** The last lines the member printed (stdout and stderr). */
  outputTail: string[] = [];
  private readonly showOutput = process.env.MEMBER_OUTPUT === '1';

  constructor(
    readonly config: MemberConfig,
    private readonly execArgv?: string[],
  ) {}

  async start(): Promise<void> {
    // Without extra flags, fork's own default (the parent's execArgv) applies, as before.
    const execArgv = this.execArgv ? { execArgv: [...process.execArgv, ...this.execArgv] } : {};
    const child = fork(memberScript, [JSON.stringify(this.config)], {
      // The members' own output is kept (last lines) rather than mixed into the test report;
      // it is attached to the error when a member exits unexpectedly. MEMBER_OUTPUT=1 shows it.
      stdio: ['ignore', this.showOutput ? 'inherit' : 'pipe', this.showOutput ? 'inherit' : 'pipe', 'ipc'],
      ...execArgv,
    });
    this.child = child;
    this.exited = new Promise((res) => child.once('exit', () => res()));
    this.outputTail = [];
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.outputTail.push(...chunk.split('\n').filter((l) => l !== ''));
        if (this.outputTail.length > 40) this.outputTail.splice(0, this.outputTail.length - 40);
      });
    }
    child.on('message', (raw) => {
      const reply = raw as MemberReply;
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.result);
      else w.reject(new MemberError(reply.error.code, reply.error.message, reply.error.leaderId));
    });
    child.once('exit', () => {
      for (const w of this.waiting.values())
        w.reject(
          new MemberError(
            'EXITED',
            `member ${this.config.id} exited; its last output:\n${this.outputTail.join('\n')}`,
          ),
        );
      this.waiting.clear();
      this.child = null;
    });
    await new Promise<void>((res, rej) => {
      this.waiting.set(0, { resolve: () => res(), reject: rej });
    });
  }

  request<T>(req: Request): Promise<T> {
    const child = this.child;
    if (!child?.connected)
      return Promise.reject(new MemberError('EXITED', `member ${this.config.id} is not running`));
    const id = this.nextId++;
    return new Promise<T>((res, rej) => {
      this.waiting.set(id, { resolve: res as (v: unknown) => void, reject: rej });
      // The member can die between the check above and this write (a kill -9 in the test):
      // the callback turns the broken pipe into this request's failure, not an uncaught error.
      child.send({ ...req, id }, (err) => {
        if (!err || !this.waiting.delete(id)) return;
        rej(new MemberError('EXITED', `member ${this.config.id} is not running: ${err.message}`));
      });
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }
}

export interface ClusterOptions {
  size: number;
  heartbeatMs?: number;
  electionMs?: number;
  snapshotEntries?: number;
  /** First octet-4 of the members' 127.0.0.x addresses (distinct per test file avoids clashes). */
  hostBase?: number;
  /** Extra Node flags for every member process, e.g. ['--cpu-prof'] (the benchmark's profile). */
  execArgv?: string[];
}

export class KvCluster {
  readonly members = new Map<string, MemberProcess>();
  private constructor(
    readonly dir: string,
    private readonly options: ClusterOptions,
    private readonly port: number,
  ) {}

  static async start(options: ClusterOptions): Promise<KvCluster> {
    if (!existsSync(memberScript))
      throw new Error(`${memberScript} is missing: run 'npm run build' first (npm test does)`);
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-kv-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const cluster = new KvCluster(dir, options, port);
    const ids = Array.from({ length: options.size }, (_, i) => `m${i + 1}`);
    const bootstrap = ids.map((id, i) => ({ id, address: cluster.addressFor(i + 1) }));
    try {
      await Promise.all(ids.map((id) => cluster.spawn(id, { bootstrap })));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  addressFor(n: number): string {
    return `127.0.0.${(this.options.hostBase ?? 20) + n}:${this.port}`;
  }

  /**
   * Starts (or restarts, keeping its data directory and configuration) member `id`. A restart does
   * not inherit `forceNewCluster`: it is for one start only (repeated, it would remove the members
   * added since).
   */
  async spawn(id: string, extra: Partial<MemberConfig> = {}): Promise<void> {
    const n = Number(id.slice(1));
    const { forceNewCluster: _oneShot, ...previous } = this.members.get(id)?.config ?? {};
    const config: MemberConfig = {
      id,
      address: this.addressFor(n),
      dataDir: join(this.dir, id),
      heartbeatMs: this.options.heartbeatMs,
      electionMs: this.options.electionMs,
      snapshotEntries: this.options.snapshotEntries,
      ...previous,
      ...extra,
    };
    const m = new MemberProcess(config, this.options.execArgv);
    this.members.set(id, m);
    await m.start();
  }

  member(id: string): MemberProcess {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  request<T>(id: string, req: Request): Promise<T> {
    return this.member(id).request<T>(req);
  }

  live(): string[] {
    return [...this.members.entries()].filter(([, m]) => m.child?.connected).map(([id]) => id);
  }

  async status(id: string): Promise<MemberStatus> {
    return this.request<MemberStatus>(id, { cmd: 'status' });
  }

  /** Waits until a live member leads and the others that answer agree; returns its id. */
  async leader(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const statuses = await Promise.all(this.live().map((id) => this.status(id).catch(() => null)));
      const leaders = statuses.filter((s) => s?.role === 'leader');
      if (leaders.length === 1) return leaders[0]!.id;
      if (Date.now() > deadline)
        throw new Error(
          `no single leader after ${timeoutMs} ms: ${JSON.stringify(statuses.map((s) => s && [s.id, s.role, s.term]))}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGKILL: no chance to flush anything. */
  async kill(id: string): Promise<void> {
    const m = this.member(id);
    m.kill('SIGKILL');
    await m.exited;
  }

  async stop(): Promise<void> {
    for (const m of this.members.values()) m.kill('SIGKILL');
    await Promise.all([...this.members.values()].map((m) => m.exited));
    await rm(this.dir, { recursive: true, force: true });
  }
}
