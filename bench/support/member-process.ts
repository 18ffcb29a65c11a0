// The bench's handle on one store-member process (store-member.ts): fork it from dist/, wait for
// it to report ready, send it typed IPC requests with a bound on each, and stop it (SIGTERM, then
// SIGKILL) within a bound. A member that exits fails every request still waiting, with its output.

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { addresses, waitUntil } from '../../test/support/manager-cluster.js';
import { findProjectRoot, raceTimeout } from '../support.js';
// Types only: importing the module itself would start a manager in this process.
import type {
  MemberCalls,
  MemberConfig,
  MemberReady,
  MemberReply,
  MemberRequestType,
} from './store-member.js';

export const memberScript = join(findProjectRoot(), 'dist', 'bench', 'support', 'store-member.js');

/** Bounds on waiting for a member process: to report ready, to answer, to exit. */
const READY_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const KILL_TIMEOUT_MS = 5_000;

interface Pending {
  type: MemberRequestType;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** The boundary where a member's messages become typed replies (the results are its own types). */
function parseReply(message: unknown): MemberReply | null {
  if (typeof message !== 'object' || message === null) return null;
  const m = message as Record<string, unknown>;
  if (typeof m.id !== 'number' || typeof m.ok !== 'boolean') return null;
  if (!m.ok && typeof m.error !== 'string') return null;
  return m as unknown as MemberReply;
}

/** One forked store-member process: its readiness, typed requests, and a bounded stop. */
export class MemberProcess {
  id = '';
  address = '';
  /** stderr lines (the manager's warn/error log) and stdout lines, counted; the last 40 kept. */
  outputLines = 0;
  readonly outputTail: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitDescription: string | null = null;
  private readyWaiter: { resolve: (m: MemberReady) => void; reject: (err: Error) => void } | null = null;

  constructor(
    readonly name: string,
    readonly config: MemberConfig,
  ) {
    this.child = fork(memberScript, [JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = chunk.split('\n').filter((l) => l !== '');
        this.outputLines += lines.length;
        this.outputTail.push(...lines);
        if (this.outputTail.length > 40) this.outputTail.splice(0, this.outputTail.length - 40);
      });
      stream?.on('error', (err) => console.log(`  manager ${name}: output stream failed: ${String(err)}`));
    }
    this.child.on('error', (err) => console.log(`  manager ${name}: ${String(err)}`));
    this.child.on('message', (message: unknown) => this.onMessage(message));
    this.child.once('exit', (code, signal) => {
      this.exitDescription = `exited (code ${code}, signal ${signal})`;
      const err = new Error(`manager ${name} ${this.exitDescription}:\n${this.outputTail.join('\n')}`);
      this.readyWaiter?.reject(err);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    });
  }

  /** Resolves once the member's Manager is up (init, or join accepted by the cluster). */
  async ready(): Promise<void> {
    const report = await new Promise<MemberReady>((resolve, reject) => {
      if (this.exitDescription) {
        reject(new Error(`manager ${this.name} ${this.exitDescription} before ready`));
        return;
      }
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out after ${READY_TIMEOUT_MS} ms waiting for manager ${this.name} to start`),
          ),
        READY_TIMEOUT_MS,
      );
      this.readyWaiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
    this.readyWaiter = null;
    if (!report.ready) throw new Error(`manager ${this.name} failed to start: ${report.error}`);
    this.id = report.id;
    this.address = report.address;
  }

  request<T extends MemberRequestType>(
    type: T,
    params: MemberCalls[T]['params'],
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<MemberCalls[T]['result']> {
    return new Promise((resolve, reject) => {
      if (this.exitDescription || !this.child.connected) {
        reject(
          new Error(
            `manager ${this.name}: cannot send ${type}, the process ${this.exitDescription ?? 'disconnected'}`,
          ),
        );
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for manager ${this.name} to answer ${type}`),
        );
      }, timeoutMs);
      this.pending.set(id, {
        type,
        resolve: resolve as (result: unknown) => void,
        reject,
        timer,
      });
      this.child.send({ id, type, ...params }, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error(`manager ${this.name}: sending ${type} failed: ${err.message}`));
      });
    });
  }

  /** SIGTERM (a clean Manager.stop), then SIGKILL if it is still running after a bound. */
  async stop(): Promise<void> {
    if (this.exitDescription) return;
    this.child.kill('SIGTERM');
    if ((await raceTimeout(this.exited, STOP_TIMEOUT_MS)) !== 'timeout') return;
    console.log(`  manager ${this.name} did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM: SIGKILL`);
    this.child.kill('SIGKILL');
    if ((await raceTimeout(this.exited, KILL_TIMEOUT_MS)) === 'timeout')
      console.log(
        `  manager ${this.name} (pid ${this.child.pid}) still running ${KILL_TIMEOUT_MS} ms after SIGKILL`,
      );
  }

  private onMessage(message: unknown): void {
    if (this.readyWaiter && typeof message === 'object' && message !== null && 'ready' in message) {
      this.readyWaiter.resolve(message as MemberReady);
      return;
    }
    const reply = parseReply(message);
    if (!reply) {
      console.log(`  manager ${this.name}: ignored a malformed message ${JSON.stringify(message)}`);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return; // its request already timed out, and said so
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(`manager ${this.name}: ${p.type} failed: ${reply.error}`));
  }
}

/** Three manager processes that agree on one leader (see startMemberCluster). */
export interface MemberCluster {
  /** a (which founded the cluster), b, c. */
  members: MemberProcess[];
  leader: MemberProcess;
  /** One of the other two. */
  follower: MemberProcess;
}

/**
 * Starts a cluster of three store-member processes on 127.0.0.(hostBase+1..3): a founds it, b
 * and c join with its manager token, each waited on until it is a voter; then until all three
 * see three voters and one leader. Every process started is pushed onto `started` first, so the
 * caller's cleanup stops them even when this fails half way.
 */
export async function startMemberCluster(
  dirs: { dir(name: string): string },
  hostBase: number,
  started: MemberProcess[],
): Promise<MemberCluster> {
  const addr = addresses(hostBase);
  const start = async (name: string, config: Omit<MemberConfig, 'dataDir'>): Promise<MemberProcess> => {
    const m = new MemberProcess(name, { dataDir: dirs.dir(name), ...config });
    started.push(m);
    await m.ready();
    return m;
  };
  const a = await start('a', { mode: 'init', listenAddr: addr(1) });
  const { secret } = await a.request('joinToken', {});
  const members = [a];
  for (const [name, n] of [
    ['b', 2],
    ['c', 3],
  ] as const) {
    const m = await start(name, {
      mode: 'join',
      listenAddr: addr(n),
      joinAddr: a.address,
      joinToken: secret,
    });
    members.push(m);
    await waitUntil(
      `${name} to be a voter in a's membership`,
      async () => (await a.request('status', {})).voters.includes(m.id),
      30_000,
    );
  }
  const ids = members.map((m) => m.id);
  await waitUntil(
    'every manager to see all three as voters and agree on one leader',
    async () => {
      const all = await Promise.all(members.map((m) => m.request('status', {})));
      return (
        all.every((s) => ids.every((id) => s.voters.includes(id)) && s.leaderId === all[0]?.leaderId) &&
        all.filter((s) => s.isLeader).length === 1
      );
    },
    30_000,
  );
  const status = await Promise.all(members.map((m) => m.request('status', {})));
  const leader = members[status.findIndex((s) => s.isLeader)];
  if (!leader) throw new Error('no leader among the three managers');
  return { members, leader, follower: members.find((m) => m !== leader)! };
}
