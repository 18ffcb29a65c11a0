// Managers as real processes (src/daemon/main.ts): the cluster grows 1 → 3 → 5 managers
// by join and shrinks 5 → 3 → 1 by leave while a writer keeps creating services through whichever
// managers are live. Leaving managers include the current leader (it hands over first). Every
// step must let the writer go on making progress, and at the end the last manager's store lists
// every service the writer saw acknowledged (a linearizable read).

import { afterEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, FlotillaClient, UnavailableError } from '../../src/client/index.js';
import {
  addresses,
  FAST,
  ManagerProcesses,
  TestDirs,
  waitUntil,
  serviceSpec,
} from '../support/manager-cluster.js';

let procs: ManagerProcesses | null = null;
let dirs: TestDirs | null = null;
let writer: Writer | null = null;
const clients: FlotillaClient[] = [];
afterEach(async () => {
  writer?.stop();
  await writer?.done.catch(() => undefined);
  writer = null;
  for (const c of clients.splice(0)) c.close();
  await procs?.stop();
  await dirs?.remove();
  procs = null;
  dirs = null;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Creates services svc-0, svc-1, … one after the other through the managers `pool()` names at the
 * time, moving to the next one on UNAVAILABLE. A retry after a lost answer finds the service
 * already there: that is its acknowledgement. Bounded in count and time; any other error stops it.
 */
class Writer {
  readonly acked: string[] = [];
  retries = 0;
  /** The longest wait for one acknowledgement since the last takeGap(), and what ended it. */
  private gap = { ms: 0, name: '' };
  failure: Error | undefined;
  done: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly pool: () => FlotillaClient[],
    private readonly maxCount: number,
    private readonly maxMs: number,
    private readonly paceMs: number,
  ) {}

  start(): void {
    this.done = this.run().catch((err: unknown) => {
      this.failure = err instanceof Error ? err : new Error(String(err));
    });
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    const end = Date.now() + this.maxMs;
    for (let i = 0; !this.stopped && i < this.maxCount && Date.now() < end; i++) {
      const name = `svc-${i}`;
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        const pool = this.pool();
        const c = pool[(i + attempt) % pool.length]!;
        try {
          await c.createService(serviceSpec(name));
          break;
        } catch (err) {
          if (err instanceof AlreadyExistsError) break;
          if (!(err instanceof UnavailableError))
            throw new Error(`writer: creating ${name} failed with a non-retryable error: ${String(err)}`, {
              cause: err,
            });
          if (Date.now() > end) throw new Error(`writer: ${name} still unavailable at its deadline`);
          this.retries++;
          await sleep(20);
        }
      }
      this.acked.push(name);
      if (Date.now() - started > this.gap.ms) this.gap = { ms: Date.now() - started, name };
      await sleep(this.paceMs);
    }
  }

  takeGap(): string {
    const g = this.gap;
    this.gap = { ms: 0, name: '' };
    return `slowest ack ${g.ms} ms (${g.name})`;
  }

  /** Waits until `count` more services than now were acknowledged (fails at once if the writer did). */
  async progress(step: string, count = 5, timeoutMs = 15_000): Promise<void> {
    const target = this.acked.length + count;
    await waitUntil(
      `the writer to acknowledge ${count} more services after ${step} (${target} in all)`,
      () => this.failure !== undefined || this.acked.length >= target,
      timeoutMs,
    );
    if (this.failure) throw this.failure;
  }
}

describe('manager membership changes as processes', () => {
  it('grows 1 → 3 → 5 and shrinks 5 → 3 → 1 while a writer keeps creating services', async () => {
    const t0 = Date.now();
    const timings: string[] = [];
    const mark = (step: string): void => {
      timings.push(`${String(Date.now() - t0).padStart(6)} ms  ${step}; ${writer?.takeGap() ?? ''}`);
    };

    dirs = await TestDirs.create('flotilla-mgr-membership-');
    const p = (procs = new ManagerProcesses(dirs));
    const addr = addresses(80);
    const byName = new Map<string, FlotillaClient>();
    const client = (name: string): FlotillaClient => {
      let c = byName.get(name);
      if (!c) {
        c = new FlotillaClient({ address: p.controlAddress(name), timeoutMs: 10_000 });
        clients.push(c);
        byName.set(name, c);
      }
      return c;
    };
    /** The managers the writer may use: a manager leaves this set before it leaves the cluster. */
    const live: string[] = [];

    /** Waits until the voters (Nodes with a managerStatus) are exactly `names`, all reachable,
     *  with one leader, as a linearizable read through `via`; returns the leader's name. */
    const awaitVoters = async (names: string[], via: string, timeoutMs = 20_000): Promise<string> => {
      const want = names.map((n) => p.get(n).id).sort();
      let seen = 'nothing yet';
      let leader = '';
      try {
        await waitUntil(
          `the voters to be exactly ${names.join(', ')}, all reachable with one leader (read via ${via})`,
          async () => {
            const nodes = (await client(via).listNodes(undefined, { linearizable: true })).filter(
              (n) => n.managerStatus !== undefined,
            );
            seen = nodes
              .map((n) => {
                let name = n.id;
                try {
                  name = p.byId(n.id);
                } catch {
                  // not one of ours: show its id
                }
                return `${name}:${n.managerStatus!.reachability}${n.managerStatus!.leader ? ':leader' : ''}`;
              })
              .join(' ');
            const ids = nodes.map((n) => n.id).sort();
            const leaders = nodes.filter((n) => n.managerStatus!.leader);
            const ok =
              JSON.stringify(ids) === JSON.stringify(want) &&
              leaders.length === 1 &&
              nodes.every((n) => n.managerStatus!.reachability === 'reachable');
            if (ok) leader = p.byId(leaders[0]!.id);
            return ok;
          },
          timeoutMs,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; last seen: ${seen}`, { cause: err });
      }
      return leader;
    };

    const join = async (name: string, n: number, via: string, token: string): Promise<void> => {
      await p.spawn(name, {
        mode: 'join',
        listenAddr: addr(n),
        joinAddr: p.get(via).address,
        joinToken: token,
        tuning: FAST,
      });
    };

    // ---- 1 manager, and the writer ----------------------------------------------------------
    await p.spawn('m1', { mode: 'init', listenAddr: addr(1), tuning: FAST });
    const token = (await client('m1').getCluster()).joinTokens.manager;
    live.push('m1');
    mark('m1 initialised');
    const w = (writer = new Writer(() => live.map(client), 5_000, 80_000, 5));
    w.start();
    await w.progress('init');
    mark(`writer running (${w.acked.length} acked)`);

    // ---- grow 1 → 3 ---------------------------------------------------------------------------
    await join('m2', 2, 'm1', token);
    await join('m3', 3, 'm2', token);
    await awaitVoters(['m1', 'm2', 'm3'], 'm1');
    live.push('m2', 'm3');
    await w.progress('growing to 3');
    mark(`3 voters (${w.acked.length} acked)`);

    // ---- grow 3 → 5 ---------------------------------------------------------------------------
    await join('m4', 4, 'm3', token);
    await join('m5', 5, 'm1', token);
    let leader = await awaitVoters(['m1', 'm2', 'm3', 'm4', 'm5'], 'm2');
    live.push('m4', 'm5');
    await w.progress('growing to 5');
    mark(`5 voters, leader ${leader} (${w.acked.length} acked)`);

    // The founder leads until something moves leadership; for the shrink below (m5, m4, m3, m2
    // leave, m1 stays) to include a leaving leader, restart m1 cleanly so another manager leads.
    for (let round = 1; leader === 'm1'; round++) {
      if (round > 3) throw new Error('m1 kept the leadership through 3 restarts');
      live.splice(live.indexOf('m1'), 1);
      await p.kill('m1', 'SIGTERM');
      mark('m1 stopped');
      await p.restart('m1');
      mark('m1 process ready again');
      leader = await awaitVoters(['m1', 'm2', 'm3', 'm4', 'm5'], 'm2');
      live.push('m1');
      await w.progress(`restarting m1 (round ${round})`);
      mark(`m1 restarted, leader ${leader} (${w.acked.length} acked)`);
    }

    // ---- shrink 5 → 3 → 1 -----------------------------------------------------------------------
    const remaining = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const leaderLeaves: string[] = [];
    for (const name of ['m5', 'm4', 'm3', 'm2']) {
      const wasLeader = leader === name;
      if (wasLeader) leaderLeaves.push(name);
      live.splice(live.indexOf(name), 1);
      remaining.splice(remaining.indexOf(name), 1);
      await p.leave(name);
      mark(`${name} Leave RPC answered and process stopped`);
      leader = await awaitVoters(remaining, 'm1');
      if (wasLeader) expect(leader).not.toBe(name);
      await w.progress(`${name} left`);
      mark(
        `${name} left${wasLeader ? ' (it was the leader)' : ''}: ${remaining.length} voters, leader ${leader} (${w.acked.length} acked)`,
      );
    }
    expect(leaderLeaves.length).toBeGreaterThanOrEqual(1);
    expect(leader).toBe('m1');

    // ---- the last manager holds every acknowledged service -----------------------------------
    w.stop();
    await w.done;
    if (w.failure) throw w.failure;
    const acked = [...w.acked].sort();
    const listed = (await client('m1').listServices(undefined, { linearizable: true }))
      .map((s) => s.spec.name)
      .sort();
    const missing = acked.filter((n) => !listed.includes(n));
    expect(missing).toEqual([]);
    expect(listed).toEqual(acked);
    mark(
      `done: ${acked.length} services acknowledged, ${w.retries} retries, leader leaves: ${leaderLeaves.join(', ')}`,
    );
    console.log(`managers-membership timings:\n${timings.join('\n')}`);
    expect(Date.now() - t0).toBeLessThan(90_000);
  });
});
