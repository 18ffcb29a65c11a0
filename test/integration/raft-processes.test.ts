// Real processes, real gRPC on 127.0.0.x, real files, kill -9. Each member is the example KV
// store (examples/raft-kv/member.ts). Histories recorded here go through the same
// linearizability checker as the simulations.

import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkKvHistory, type Operation } from '../support/linearizability.js';
import { KvCluster, MemberError, waitUntil } from '../support/kv-cluster.js';

let cluster: KvCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

/** A writer that keeps appending unique tokens through random members and records a history. */
class Writer {
  readonly history: Operation[] = [];
  readonly acknowledged: string[] = [];
  private running = true;
  private done: Promise<void>;
  private readonly t0 = performance.now();

  constructor(
    private readonly c: KvCluster,
    clients: number,
  ) {
    this.done = Promise.all(Array.from({ length: clients }, (_, i) => this.loop(i))).then(() => undefined);
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  private async loop(client: number): Promise<void> {
    for (let n = 0; this.running && n < 100_000; n++) {
      const live = this.c.live();
      const target = live[Math.floor(Math.random() * live.length)];
      if (!target) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const key = `k${n % 3}`;
      const isRead = n % 4 === 3;
      const call = this.now();
      try {
        if (isRead) {
          const value = await this.c.request<string | null>(target, { cmd: 'read', key });
          this.history.push({
            clientId: client,
            input: { kind: 'get', key },
            call,
            return: this.now(),
            output: { kind: 'value', value },
          });
        } else {
          const token = `<${client}.${n}>`;
          await this.c.request(target, { cmd: 'write', op: { op: 'append', key, value: token } });
          this.history.push({
            clientId: client,
            input: { kind: 'append', key, value: token },
            call,
            return: this.now(),
            output: { kind: 'ok' },
          });
          this.acknowledged.push(token);
        }
      } catch (err) {
        // A failed read observed nothing. A failed write whose outcome is unknown (timeout, the
        // member died) may still take effect; a refusal (no leader) did not happen.
        if (
          !isRead &&
          !(err instanceof MemberError && ['NOT_LEADER', 'PROPOSAL_DROPPED'].includes(err.code))
        ) {
          this.history.push({
            clientId: client,
            input: { kind: 'append', key, value: `<${client}.${n}>` },
            call,
            return: Infinity,
            output: null,
          });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function finalValues(c: KvCluster, id: string): Promise<string[]> {
  return Promise.all(
    ['k0', 'k1', 'k2'].map(async (k) => (await c.request<string | null>(id, { cmd: 'read', key: k })) ?? ''),
  );
}

async function expectConverged(c: KvCluster, w: Writer): Promise<void> {
  let target: string[] = [];
  await waitUntil('a leader to answer reads', async () => {
    const leader = await c.leader();
    target = await finalValues(c, leader).then(
      (v) => v,
      () => [],
    );
    return target.length > 0;
  });
  for (const id of c.live()) {
    await waitUntil(
      `${id} to converge`,
      async () => (await finalValues(c, id).catch(() => [])).join('|') === target.join('|'),
    );
  }
  const all = target.join('');
  const lost = w.acknowledged.filter((t) => !all.includes(t));
  expect(lost, 'acknowledged writes lost').toEqual([]);
  const lin = checkKvHistory(w.history);
  expect(lin.ok, lin.explanation).toBe(true);
}

describe('Raft over real processes', () => {
  it('3 members: kill -9 of the leader and of a follower while a writer runs, restart from disk', async () => {
    cluster = await KvCluster.start({ size: 3, hostBase: 20, heartbeatMs: 50, electionMs: 500 });
    const c = cluster;
    const w = new Writer(c, 4);
    await waitUntil('some writes', () => w.acknowledged.length > 50);
    const leader = await c.leader();
    await c.kill(leader);
    await waitUntil('writes after leader death', () => w.acknowledged.length > 150);
    await c.spawn(leader);
    const follower = c.live().find((id) => id !== leader)!;
    const newLeader = await c.leader();
    const victim =
      follower === newLeader ? c.live().find((id) => id !== newLeader && id !== leader)! : follower;
    await c.kill(victim);
    await waitUntil('writes with a follower down', () => w.acknowledged.length > 250);
    await c.spawn(victim);
    await w.stop();
    await expectConverged(c, w);
  });

  it('5 members: survives two kill -9 at once and a restart of both', async () => {
    cluster = await KvCluster.start({ size: 5, hostBase: 30, heartbeatMs: 50, electionMs: 500 });
    const c = cluster;
    const w = new Writer(c, 4);
    await waitUntil('some writes', () => w.acknowledged.length > 50);
    const leader = await c.leader();
    const other = c.live().find((id) => id !== leader)!;
    await Promise.all([c.kill(leader), c.kill(other)]);
    await waitUntil('writes with two members down', () => w.acknowledged.length > 150);
    await Promise.all([c.spawn(leader), c.spawn(other)]);
    await w.stop();
    await expectConverged(c, w);
  });

  it('a frozen member (SIGSTOP, then SIGCONT with a stale log) rejoins without deposing the leader', async () => {
    cluster = await KvCluster.start({ size: 3, hostBase: 40, heartbeatMs: 50, electionMs: 500 });
    const c = cluster;
    const leader = await c.leader();
    const lagging = c.live().find((id) => id !== leader)!;
    c.member(lagging).kill('SIGSTOP'); // frozen: its timers fire late, like a long partition
    for (let i = 0; i < 30; i++)
      await c.request(leader, { cmd: 'write', op: { op: 'put', key: 'a', value: `v${i}` } });
    const before = await c.status(leader);
    c.member(lagging).kill('SIGCONT');
    await waitUntil(
      'the lagging member catches up',
      async () => (await c.status(lagging)).appliedIndex >= before.commit,
    );
    const after = await c.status(leader);
    expect(after.role).toBe('leader');
    expect(after.term).toBe(before.term); // PreVote + CheckQuorum: no disruptive election
  });

  it('a member cut off by a network partition keeps its term (PreVote) and rejoins without an election', async () => {
    cluster = await KvCluster.start({ size: 3, hostBase: 45, heartbeatMs: 50, electionMs: 500 });
    const c = cluster;
    const leader = await c.leader();
    const cutOff = c.live().find((id) => id !== leader)!;
    const others = c.live().filter((id) => id !== cutOff);
    await c.request(cutOff, { cmd: 'partition', peers: others });
    await Promise.all(others.map((id) => c.request(id, { cmd: 'partition', peers: [cutOff] })));
    const before = await c.status(leader);
    // Many election timeouts (500 ms each here) pass on the isolated side while writes continue.
    for (let i = 0; i < 40; i++) {
      await c.request(leader, { cmd: 'write', op: { op: 'put', key: 'p', value: `v${i}` } });
      await new Promise((r) => setTimeout(r, 50));
    }
    const isolated = await c.status(cutOff);
    expect(isolated.term).toBe(before.term); // pre-elections failed; it never raised its term
    expect(isolated.role).not.toBe('leader');
    for (const id of c.live()) await c.request(id, { cmd: 'partition', peers: [] });
    await waitUntil(
      'the isolated member catches up',
      async () => (await c.request<string>(cutOff, { cmd: 'read', key: 'p' }).catch(() => null)) === 'v39',
    );
    const after = await c.status(leader);
    expect(after.role).toBe('leader');
    expect(after.term).toBe(before.term);
  });

  it('quorum loss: after kill -9 of two of three, the survivor restarted with forceNewCluster keeps every acknowledged write, takes new ones and grows again', async () => {
    cluster = await KvCluster.start({ size: 3, hostBase: 55, heartbeatMs: 50, electionMs: 500 });
    const c = cluster;
    const w = new Writer(c, 4);
    await waitUntil('some writes', () => w.acknowledged.length > 100);
    // The leader's log holds every committed entry (Leader Completeness), so every acknowledged
    // write; it also holds entries it appended that were never committed.
    const survivor = await c.leader();
    await Promise.all(
      c
        .live()
        .filter((id) => id !== survivor)
        .map((id) => c.kill(id)),
    );
    await c.kill(survivor);
    await w.stop();
    expect(w.acknowledged.length).toBeGreaterThan(100);

    await c.spawn(survivor, { forceNewCluster: true });
    const status = await c.status(survivor);
    expect(status.role).toBe('leader');
    expect(status.conf).toMatchObject({ voters: [survivor], learners: [] });
    const values = (await finalValues(c, survivor)).join('');
    expect(
      w.acknowledged.filter((token) => !values.includes(token)),
      'acknowledged writes lost',
    ).toEqual([]);
    await c.request(survivor, { cmd: 'write', op: { op: 'append', key: 'k0', value: '<after>' } });
    expect(await c.request<string>(survivor, { cmd: 'read', key: 'k0' })).toMatch(/<after>$/);

    // A new member joins the recovered cluster the usual way and serves the same data.
    await c.spawn('m4', { peers: { [survivor]: c.addressFor(Number(survivor.slice(1))) } });
    await c.request(survivor, { cmd: 'add-learner', member: 'm4', address: c.addressFor(4) });
    await c.request(survivor, { cmd: 'promote', member: 'm4' });
    const expected = await finalValues(c, survivor);
    await waitUntil(
      'the new member to serve the same data',
      async () => (await finalValues(c, 'm4').catch(() => [])).join('|') === expected.join('|'),
    );
    expect((await c.status(survivor)).conf.voters).toEqual([survivor, 'm4'].sort());
  });

  it('truncates a torn WAL tail on restart, and refuses to start on a corrupted middle record', async () => {
    cluster = await KvCluster.start({ size: 3, hostBase: 50, heartbeatMs: 50, electionMs: 500 });
    const c = cluster;
    const leader = await c.leader();
    for (let i = 0; i < 20; i++)
      await c.request(leader, { cmd: 'write', op: { op: 'put', key: 'a', value: `v${i}` } });
    const victim = c.live().find((id) => id !== leader)!;
    await waitUntil(
      'victim has everything',
      async () => (await c.status(victim)).appliedIndex >= (await c.status(leader)).commit,
    );
    await c.kill(victim);
    const walDir = join(c.dir, victim, 'wal');
    const segments = (await readdir(walDir)).filter((f) => f.endsWith('.wal')).sort();
    const last = join(walDir, segments.at(-1)!);
    // A torn write: garbage half-record at the tail.
    const bytes = await readFile(last);
    await writeFile(last, Buffer.concat([bytes, Buffer.from([0, 0, 1, 0, 7, 7])]));
    await c.spawn(victim);
    await waitUntil(
      'restarted member serves reads',
      async () => (await c.request<string>(victim, { cmd: 'read', key: 'a' })) === 'v19',
    );
    await c.kill(victim);
    // Corrupt a byte in the middle of the first segment: the member must refuse to start.
    const first = join(walDir, segments[0]!);
    const size = (await stat(first)).size;
    const data = await readFile(first);
    data[Math.floor(size / 3)]! ^= 0xff;
    await writeFile(first, data);
    // It must refuse to start, and say which file and where.
    await expect(c.spawn(victim)).rejects.toThrow(/WAL corrupt: \S+\.wal at byte offset \d+/);
  });
});
