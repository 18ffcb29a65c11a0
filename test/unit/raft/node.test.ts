// RaftNode in one process: real storage files, an in-process transport, real timers (fast ticks).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftNode, type StateMachine } from '../../../src/raft/node.js';
import { MemoryStorage, openDiskStorage } from '../../../src/raft/storage/index.js';
import type { Entry, HardState } from '../../../src/raft/core/messages.js';
import { LocalHub } from '../../../src/raft/transport/local-transport.js';
import { waitUntil } from '../../support/wait.js';

class Counter implements StateMachine<number> {
  values: string[] = [];
  apply(entry: { data: Uint8Array }): number {
    this.values.push(Buffer.from(entry.data).toString());
    return this.values.length;
  }
  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify(this.values));
  }
  restore(data: Uint8Array): void {
    this.values = JSON.parse(Buffer.from(data).toString()) as string[];
  }
}

interface Harness {
  hub: LocalHub;
  dir: string;
  nodes: Map<string, { node: RaftNode<number>; sm: Counter }>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startNode(
  h: Harness,
  id: string,
  opts: { bootstrap?: string[]; snapshotEntries?: number; peers?: Record<string, string> } = {},
) {
  const sm = new Counter();
  const node = new RaftNode<number>({
    id,
    address: `addr-${id}`,
    storage: await openDiskStorage(join(h.dir, id)),
    transport: h.hub.transport(id),
    stateMachine: sm,
    bootstrap: opts.bootstrap?.map((m) => ({ id: m, address: `addr-${m}` })),
    peers: opts.peers,
    heartbeatMs: 10,
    electionMs: 100,
    snapshotEntries: opts.snapshotEntries ?? 10_000,
    snapshotRetainEntries: 5,
    requestTimeoutMs: 3000,
  });
  await node.start();
  h.nodes.set(id, { node, sm });
  return node;
}

async function cluster(ids: string[], snapshotEntries?: number): Promise<Harness> {
  const h: Harness = {
    hub: new LocalHub(),
    dir: await mkdtemp(join(tmpdir(), 'flotilla-node-')),
    nodes: new Map(),
  };
  cleanups.push(async () => {
    for (const { node } of h.nodes.values()) await node.stop();
    await rm(h.dir, { recursive: true, force: true });
  });
  for (const id of ids) await startNode(h, id, { bootstrap: ids, snapshotEntries });
  return h;
}

async function leaderOf(h: Harness): Promise<RaftNode<number>> {
  await waitUntil('a leader', () => [...h.nodes.values()].some(({ node }) => node.isLeader()));
  return [...h.nodes.values()].find(({ node }) => node.isLeader())!.node;
}

const bytes = (s: string) => Buffer.from(s);

describe('RaftNode', () => {
  it('resolves a proposal once it is applied, with the state machine result', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    const r = await leader.propose(bytes('x'));
    expect(r.result).toBe(1);
    await waitUntil('replication', () => [...h.nodes.values()].every(({ sm }) => sm.values.join() === 'x'));
  });

  it('group-commits concurrent proposals', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => leader.propose(bytes(`v${i}`))));
    expect(new Set(results.map((r) => r.index)).size).toBe(200);
    expect(h.nodes.get(leader.id)!.sm.values).toHaveLength(200);
  });

  it('tells a follower caller who leads, or forwards when asked to', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    const follower = [...h.nodes.values()].find(({ node }) => node !== leader)!.node;
    await waitUntil('follower knows leader', () => follower.leader().id === leader.id);
    await expect(follower.propose(bytes('no'))).rejects.toMatchObject({
      code: 'NOT_LEADER',
      leaderId: leader.id,
      leaderAddress: `addr-${leader.id}`,
    });
    const r = await follower.propose(bytes('fwd'), { forward: true });
    expect(h.nodes.get(follower.id)!.sm.values).toEqual(['fwd']);
    expect(r.result).toBe(1);
  });

  it('serves linearizable reads on a follower after the leader confirms the read index', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    await leader.propose(bytes('w1'));
    const follower = [...h.nodes.values()].find(({ node }) => node !== leader)!;
    await waitUntil('follower knows leader', () => follower.node.leader().id === leader.id);
    const index = await follower.node.readIndex();
    expect(index).toBeGreaterThanOrEqual(leader.status().commit - 1);
    expect(follower.sm.values).toContain('w1');
  });

  it('fails a forwarded proposal with LEADER_CHANGED when its leader is replaced before answering', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    const follower = [...h.nodes.values()].find(({ node }) => node !== leader)!.node;
    await waitUntil('follower knows leader', () => follower.leader().id === leader.id);
    // The leader is cut off before the forwarded proposal reaches it; the others elect another.
    const outcome = follower.propose(bytes('lost'), { forward: true, timeoutMs: 20_000 });
    h.hub.isolate(leader.id);
    await expect(outcome).rejects.toMatchObject({ code: 'LEADER_CHANGED', previousLeader: leader.id });
  });

  it('refuses a proposal over the size limit with a typed error', async () => {
    const h = await cluster(['a']);
    const leader = await leaderOf(h);
    await expect(leader.propose(new Uint8Array(2 * 1024 * 1024))).rejects.toMatchObject({
      code: 'PROPOSAL_TOO_LARGE',
    });
  });

  it('restarts from disk with its state and rejoins', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    for (let i = 0; i < 20; i++) await leader.propose(bytes(`v${i}`));
    const victim = [...h.nodes.values()].find(({ node }) => node !== leader)!.node;
    await waitUntil('victim caught up', () => h.nodes.get(victim.id)!.sm.values.length === 20);
    await victim.stop();
    await leader.propose(bytes('while-down'));
    const again = await startNode(h, victim.id);
    await waitUntil('restarted member catches up', () => h.nodes.get(again.id)!.sm.values.length === 21);
    expect(h.nodes.get(again.id)!.sm.values.at(-1)).toBe('while-down');
  });

  it('adds a learner that catches up from a snapshot, then promotes it to voter', async () => {
    const h = await cluster(['a', 'b', 'c'], 20);
    const leader = await leaderOf(h);
    for (let i = 0; i < 60; i++) await leader.propose(bytes(`v${i}`));
    expect(leader.status().snapshotIndex).toBeGreaterThan(0);
    const d = await startNode(h, 'd', { peers: { a: 'addr-a', b: 'addr-b', c: 'addr-c' } });
    await leader.addLearner('d', 'addr-d');
    await waitUntil('learner catches up', () => h.nodes.get('d')!.sm.values.length === 60);
    expect(d.status().snapshotIndex).toBeGreaterThan(0); // it was sent a snapshot, not the whole log
    await leader.promote('d');
    await waitUntil('d is a voter everywhere', () => d.membership().voters.includes('d'));
    expect(d.membership().addresses.a).toBe('addr-a');
  });

  it('hands leadership over on request', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    await leader.propose(bytes('x'));
    const next = await leader.transferLeadership();
    expect(next).not.toBe(leader.id);
    await waitUntil('new leader', () => h.nodes.get(next)!.node.isLeader());
  });

  it('removes the leader itself: another member leads and the cluster keeps committing', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    const removed = new Promise<void>((resolve) => leader.once('removed', resolve));
    await leader.removeMember(leader.id);
    await removed;
    const others = [...h.nodes.values()].filter(({ node }) => node !== leader).map(({ node }) => node);
    await waitUntil('a new leader', () => others.some((n) => n.isLeader()));
    const next = others.find((n) => n.isLeader())!;
    await next.propose(bytes('after'));
    expect(next.membership().voters).not.toContain(leader.id);
  });

  it('rejects pending work with a stopped error when stopped', async () => {
    const h = await cluster(['a', 'b', 'c']);
    const leader = await leaderOf(h);
    h.hub.isolate(leader.id);
    const outcome = expect(leader.propose(bytes('never'))).rejects.toMatchObject({ code: 'STOPPED' });
    await leader.stop();
    await outcome;
  });

  it('stops with a fatal event, failing pending work, when its storage fails a write', async () => {
    class FailingStorage extends MemoryStorage {
      failWrites = false;
      override save(hardState: HardState | null, entries: Entry[]): Promise<void> {
        return this.failWrites
          ? Promise.reject(new Error('EIO: disk went away'))
          : super.save(hardState, entries);
      }
    }
    const storage = new FailingStorage();
    const hub = new LocalHub();
    const node = new RaftNode<number>({
      id: 'solo',
      address: 'addr-solo',
      storage,
      transport: hub.transport('solo'),
      stateMachine: new Counter(),
      bootstrap: [{ id: 'solo', address: 'addr-solo' }],
      heartbeatMs: 10,
      electionMs: 100,
    });
    cleanups.push(() => node.stop());
    await node.start();
    await waitUntil('leadership', () => node.isLeader());
    const fatal = new Promise<Error>((resolve) => node.once('fatal', resolve));
    storage.failWrites = true;
    const outcome = expect(node.propose(bytes('lost'))).rejects.toMatchObject({ code: 'STOPPED' });
    expect((await fatal).message).toMatch(/EIO/);
    await outcome;
    await expect(node.propose(bytes('after'))).rejects.toMatchObject({ code: 'STOPPED' });
  });
});
