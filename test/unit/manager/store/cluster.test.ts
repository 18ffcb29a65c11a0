// The store replicated by real RaftNodes in one process (LocalHub, files in a temp dir, fast
// ticks): writes through followers and the leader converge to identical stores, linearizable
// reads see committed writes, and members that join late or restart catch up from a snapshot
// plus the log.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../../src/manager/store/errors.js';
import { ReplicatedStore } from '../../../../src/manager/store/store.js';
import type { TransactionResult } from '../../../../src/manager/store/transaction.js';
import { LocalHub, RaftNode, openDiskStorage } from '../../../../src/raft/index.js';
import { waitUntil } from './helpers.js';

interface Member {
  node: RaftNode<TransactionResult>;
  store: ReplicatedStore;
}

interface Cluster {
  hub: LocalHub;
  dir: string;
  members: Map<string, Member>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const address = (id: string): string => `addr-${id}`;

async function startMember(
  c: Cluster,
  id: string,
  options: { bootstrap?: string[]; peers?: Record<string, string> } = {},
): Promise<Member> {
  const store = new ReplicatedStore();
  const node = new RaftNode<TransactionResult>({
    id,
    address: address(id),
    storage: await openDiskStorage(join(c.dir, id)),
    transport: c.hub.transport(id),
    stateMachine: store,
    bootstrap: options.bootstrap?.map((m) => ({ id: m, address: address(m) })),
    peers: options.peers,
    heartbeatMs: 10,
    electionMs: 100,
    // Small, so that snapshots (and the log compaction behind them) happen within a test.
    snapshotEntries: 20,
    snapshotRetainEntries: 5,
    requestTimeoutMs: 5000,
  });
  store.attach(node);
  await node.start();
  const member = { node, store };
  c.members.set(id, member);
  return member;
}

async function cluster(ids: string[]): Promise<Cluster> {
  const c: Cluster = {
    hub: new LocalHub(),
    dir: await mkdtemp(join(tmpdir(), 'flotilla-store-')),
    members: new Map(),
  };
  cleanups.push(async () => {
    for (const { node } of c.members.values()) await node.stop();
    await rm(c.dir, { recursive: true, force: true });
  });
  for (const id of ids) await startMember(c, id, { bootstrap: ids });
  return c;
}

async function leaderAndFollower(c: Cluster): Promise<{ leader: Member; follower: Member }> {
  const members = [...c.members.values()];
  await waitUntil('a leader', () => members.some((m) => m.node.isLeader()));
  const leader = members.find((m) => m.node.isLeader())!;
  const follower = members.find((m) => m !== leader)!;
  await waitUntil('the follower to know the leader', () => follower.node.leader().id === leader.node.id);
  return { leader, follower };
}

/** Waits until every member has applied the leader's version, then compares their snapshots. */
async function expectConverged(c: Cluster, leader: Member): Promise<Uint8Array> {
  const version = leader.store.version;
  const members = [...c.members.values()];
  await waitUntil(`all members at version ${version}`, () =>
    members.every((m) => m.store.version === version),
  );
  const reference = Buffer.from(leader.store.snapshot());
  for (const [id, m] of c.members) {
    expect(Buffer.from(m.store.snapshot()).equals(reference), `${id}'s store equals the leader's`).toBe(true);
  }
  return reference;
}

async function createTasks(store: ReplicatedStore, serviceId: string, count: number): Promise<void> {
  for (let slot = 1; slot <= count; slot++) {
    await store.update([
      {
        op: 'create',
        kind: 'task',
        object: { serviceId, slot, desiredState: 'RUNNING', status: { state: 'NEW' } },
      },
    ]);
  }
}

describe('the store replicated by Raft', () => {
  it('ends identical on every member after writes through a follower and the leader', async () => {
    const c = await cluster(['a', 'b', 'c']);
    const { leader, follower } = await leaderAndFollower(c);

    const created = await follower.store.update([
      { op: 'create', kind: 'service', object: { spec: { name: 'web', labels: { tier: 'front' } } } },
    ]);
    const web = created.objects[0]!;
    // The follower applied the write before its update() resolved.
    expect(follower.store.getByName('service', 'web')?.id).toBe(web.id);

    // Concurrent writers on both sides.
    await Promise.all([createTasks(follower.store, web.id, 10), createTasks(leader.store, web.id, 10)]);
    expect(leader.store.list('task', { serviceId: web.id })).toHaveLength(20);

    // Optimistic concurrency across members: the follower's copy of web is stale after this.
    const current = leader.store.get('service', web.id)!;
    await leader.store.update([
      {
        op: 'update',
        kind: 'service',
        object: { ...current, spec: { ...current.spec, labels: { tier: 'edge' } } },
        expectedVersion: current.meta.version.index,
      },
    ]);
    const stale = follower.store.update([
      { op: 'update', kind: 'service', object: web, expectedVersion: web.meta.version.index },
    ]);
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);

    // A linearizable read on the follower sees the leader's committed write.
    const seen = await follower.store.get('service', web.id, { linearizable: true });
    expect(seen?.spec?.labels).toEqual({ tier: 'edge' });

    await expectConverged(c, leader);
    for (const { store } of c.members.values()) {
      expect(store.list('service', { labels: { tier: 'edge' } }).map((s) => s.id)).toEqual([web.id]);
      expect(store.list('task', { desiredState: 'RUNNING' })).toHaveLength(20);
    }
  });

  it('brings a late joiner up to date from a snapshot plus the log', async () => {
    const c = await cluster(['a', 'b', 'c']);
    const { leader } = await leaderAndFollower(c);
    const { objects } = await leader.store.update([
      { op: 'create', kind: 'service', object: { spec: { name: 'api' } } },
    ]);
    await createTasks(leader.store, objects[0]!.id, 60);
    expect(leader.node.status().snapshotIndex).toBeGreaterThan(0);

    const late = await startMember(c, 'd', { peers: { a: address('a'), b: address('b'), c: address('c') } });
    await leader.node.addLearner('d', address('d'));
    // More writes while it catches up arrive through the log.
    await createTasks(leader.store, objects[0]!.id, 5);
    await expectConverged(c, leader);
    // It was sent a snapshot (so it cannot replay history before it), not the whole log.
    expect(late.store.oldestWatchableVersion).toBeGreaterThan(0);
    expect(late.store.list('task', { serviceId: objects[0]!.id })).toHaveLength(65);
    expect(late.store.getByName('service', 'api')?.id).toBe(objects[0]!.id);
  });

  it('restarts a member from its disk with an empty store and catches up', async () => {
    const c = await cluster(['a', 'b', 'c']);
    const { leader, follower } = await leaderAndFollower(c);
    const { objects } = await leader.store.update([
      { op: 'create', kind: 'service', object: { spec: { name: 'db' } } },
    ]);
    await createTasks(leader.store, objects[0]!.id, 30);
    const id = follower.node.id;
    await waitUntil(
      'the follower to apply everything',
      () => follower.store.version === leader.store.version,
    );
    await follower.node.stop();
    c.members.delete(id);
    await createTasks(leader.store, objects[0]!.id, 10);

    const restarted = await startMember(c, id);
    // It restored its own last snapshot before replaying the log after it.
    expect(restarted.store.oldestWatchableVersion).toBeGreaterThan(0);
    await expectConverged(c, leader);
    expect(restarted.store.list('task')).toHaveLength(40);
  });
});
