// Quorum-loss recovery with RaftNode in one process: real storage files, an in-process transport,
// real timers. A survivor restarted with forceNewCluster leads a one-member cluster on its state.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry, HardState, Snapshot } from '../../../src/raft/core/messages.js';
import { RaftNode, type StateMachine } from '../../../src/raft/node.js';
import {
  MemoryStorage,
  openDiskStorage,
  type PersistedState,
  type RaftStorage,
  type SaveSnapshotOptions,
} from '../../../src/raft/storage/index.js';
import { LocalHub } from '../../../src/raft/transport/local-transport.js';
import { waitUntil } from '../../support/wait.js';

class Journal implements StateMachine<number> {
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

/** Disk storage that tells the test how far the log is durable. */
class WatchedStorage implements RaftStorage {
  savedThrough = 0;
  constructor(private readonly inner: RaftStorage) {}
  load(): Promise<PersistedState> {
    return this.inner.load();
  }
  async save(hardState: HardState | null, entries: Entry[]): Promise<void> {
    await this.inner.save(hardState, entries);
    this.savedThrough = Math.max(this.savedThrough, entries.at(-1)?.index ?? 0);
  }
  saveSnapshot(snapshot: Snapshot, options?: SaveSnapshotOptions): Promise<void> {
    return this.inner.saveSnapshot(snapshot, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const ELECTION_MS = 300;

interface Member {
  node: RaftNode<number>;
  journal: Journal;
  storage: WatchedStorage;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-force-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startMember(
  hub: LocalHub,
  dir: string,
  id: string,
  opts: { bootstrap?: string[]; peers?: Record<string, string>; forceNewCluster?: boolean } = {},
): Promise<Member> {
  const journal = new Journal();
  const storage = new WatchedStorage(await openDiskStorage(join(dir, id)));
  const node = new RaftNode<number>({
    id,
    address: `addr-${id}`,
    storage,
    transport: hub.transport(id),
    stateMachine: journal,
    bootstrap: opts.bootstrap?.map((m) => ({ id: m, address: `addr-${m}` })),
    peers: opts.peers,
    forceNewCluster: opts.forceNewCluster,
    heartbeatMs: 30,
    electionMs: ELECTION_MS,
    requestTimeoutMs: 3000,
  });
  cleanups.push(() => node.stop());
  await node.start();
  return { node, journal, storage };
}

const bytes = (s: string) => Buffer.from(s);

describe('RaftNode forceNewCluster (quorum-loss recovery)', () => {
  it('restarts a survivor as a one-member cluster that keeps every write, even one never seen committed, and grows again', async () => {
    const hub = new LocalHub();
    const dir = await tempDir();
    const ids = ['a', 'b', 'c'];
    const members = new Map<string, Member>();
    for (const id of ids) members.set(id, await startMember(hub, dir, id, { bootstrap: ids }));
    await waitUntil('a leader', () => ids.some((id) => members.get(id)!.node.isLeader()));
    const survivorId = ids.find((id) => members.get(id)!.node.isLeader())!;
    const survivor = members.get(survivorId)!;
    const written = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const value of written) await survivor.node.propose(bytes(value));

    // The majority is lost for good.
    for (const id of ids) if (id !== survivorId) await members.get(id)!.node.stop();
    // The leader still holds its lease: it appends and persists this entry, which can never commit.
    const unseen = survivor.node.propose(bytes('unseen')).catch((err: unknown) => err);
    const unseenIndex = survivor.node.status().lastIndex;
    await waitUntil(
      'the uncommitted entry to be durable',
      () => survivor.storage.savedThrough >= unseenIndex,
    );
    expect(survivor.node.status().commit).toBeLessThan(unseenIndex);
    await survivor.node.stop();
    expect(await unseen).toMatchObject({ code: 'STOPPED' });

    const forced = await startMember(hub, dir, survivorId, { forceNewCluster: true });
    // It campaigns at once: nobody else votes, so there is no election timeout to wait out.
    expect(forced.node.isLeader()).toBe(true);
    expect(forced.journal.values).toEqual([...written, 'unseen']);
    expect(forced.node.membership()).toEqual({
      voters: [survivorId],
      learners: [],
      addresses: { [survivorId]: `addr-${survivorId}` },
    });
    await forced.node.propose(bytes('after-recovery'));

    // The data directory restarts normally, without the flag, as the one-member cluster.
    await forced.node.stop();
    const restarted = await startMember(hub, dir, survivorId);
    expect(restarted.node.membership().voters).toEqual([survivorId]);
    await waitUntil('the restarted member to lead', () => restarted.node.isLeader(), 4 * ELECTION_MS);
    expect(restarted.journal.values).toEqual([...written, 'unseen', 'after-recovery']);
    await restarted.node.propose(bytes('after-restart'));

    // New members join the usual way.
    const d = await startMember(hub, dir, 'd', { peers: { [survivorId]: `addr-${survivorId}` } });
    await restarted.node.addLearner('d', 'addr-d');
    await waitUntil('the learner to catch up', () => d.journal.values.length === written.length + 3);
    await restarted.node.promote('d');
    await waitUntil('d to be a voter on d', () => d.node.membership().voters.includes('d'));
    expect(restarted.node.membership().voters).toEqual([survivorId, 'd'].sort());
    await restarted.node.propose(bytes('with-d'));
    await waitUntil('d to apply the new write', () => d.journal.values.at(-1) === 'with-d');
    expect(d.journal.values).toEqual(restarted.journal.values);
  });

  it('recovers from storage holding only a snapshot', async () => {
    const storage = new MemoryStorage();
    await storage.saveSnapshot({
      metadata: {
        index: 10,
        term: 3,
        confState: {
          voters: ['a', 'b', 'c'],
          learners: [],
          addresses: { a: 'addr-a', b: 'addr-b', c: 'addr-c' },
        },
      },
      data: Buffer.from(JSON.stringify(['s1', 's2'])),
    });
    await storage.save({ term: 3, vote: '', commit: 10 }, []);
    const journal = new Journal();
    const node = new RaftNode<number>({
      id: 'a',
      address: 'addr-a',
      storage,
      transport: new LocalHub().transport('a'),
      stateMachine: journal,
      forceNewCluster: true,
      heartbeatMs: 30,
      electionMs: ELECTION_MS,
    });
    cleanups.push(() => node.stop());
    await node.start();
    expect(node.isLeader()).toBe(true);
    expect(node.membership().voters).toEqual(['a']);
    expect((await node.propose(bytes('s3'))).result).toBe(3);
    expect(journal.values).toEqual(['s1', 's2', 's3']);
  });

  it('refuses to start on an empty data directory, and founds no cluster there', async () => {
    const dir = await tempDir();
    const node = new RaftNode<number>({
      id: 'a',
      address: 'addr-a',
      storage: await openDiskStorage(join(dir, 'a')),
      transport: new LocalHub().transport('a'),
      stateMachine: new Journal(),
      bootstrap: [{ id: 'a', address: 'addr-a' }],
      forceNewCluster: true,
    });
    await expect(node.start()).rejects.toMatchObject({
      code: 'NOTHING_TO_RECOVER',
      message: expect.stringMatching(/nothing to recover/) as unknown,
    });
    await node.stop();
    const reopened = await openDiskStorage(join(dir, 'a'));
    const persisted = await reopened.load();
    await reopened.close();
    expect(persisted).toMatchObject({ snapshot: null, entries: [], hardState: { term: 0 } });
  });
});
