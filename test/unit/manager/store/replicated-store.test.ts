// ReplicatedStore on its own: proposing, typed errors, the proposer's clock and ids, reads behind
// a ReadIndex barrier, malformed log entries, and the typed object map. Raft is replaced by a
// stand-in that applies each proposal at the next index (the real thing: cluster.test.ts).

import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  InvalidTransactionError,
  NotFoundError,
  VersionConflictError,
} from '../../../../src/manager/store/errors.js';
import {
  changeOperation,
  ReplicatedStore,
  type StoreConsensus,
} from '../../../../src/manager/store/store.js';
import type { TransactionResult } from '../../../../src/manager/store/transaction.js';
import type { DefaultObjectTypes, ObjectMeta } from '../../../../src/manager/store/types.js';
import type { Applied, StateMachine } from '../../../../src/raft/index.js';

/** Applies each proposal at once at the next index, as a single-member Raft would. */
class DirectConsensus implements StoreConsensus {
  index = 0;
  proposals = 0;
  reads = 0;
  constructor(private readonly machine: StateMachine<TransactionResult>) {}

  async propose(data: Uint8Array): Promise<Applied<TransactionResult>> {
    this.proposals++;
    const index = ++this.index;
    return { index, term: 1, result: this.machine.apply({ index, term: 1, data }) };
  }

  async readIndex(): Promise<number> {
    this.reads++;
    return this.index;
  }
}

function setup(): { store: ReplicatedStore; raft: DirectConsensus } {
  let seconds = 0;
  let seed = 0;
  const store = new ReplicatedStore({
    now: () => new Date(Date.UTC(2030, 0, 1, 0, 0, ++seconds)),
    randomBytes: (n) => new Uint8Array(n).fill(++seed),
  });
  const raft = new DirectConsensus(store);
  store.attach(raft);
  return { store, raft };
}

describe('ReplicatedStore', () => {
  it('creates objects with generated ids and the proposer clock', async () => {
    const { store } = setup();
    const { version, objects } = await store.update([
      { op: 'create', kind: 'service', object: { spec: { name: 'web' } } },
      { op: 'create', kind: 'task', object: { id: 'explicit', serviceId: 'x', desiredState: 'RUNNING' } },
    ]);
    expect(version).toBe(1);
    const serviceId = objects[0]!.id;
    // The injected random source gives bytes of 1: every base36 digit is '1'.
    expect(serviceId).toBe('1'.repeat(25));
    expect(objects[1]!.id).toBe('explicit');
    expect(store.getByName('service', 'web')).toEqual({
      id: serviceId,
      spec: { name: 'web' },
      meta: {
        version: { index: 1 },
        createdAt: '2030-01-01T00:00:01.000Z',
        updatedAt: '2030-01-01T00:00:01.000Z',
      },
    });
  });

  it('updates a read object with its version, and refuses a stale one with VersionConflictError', async () => {
    const { store } = setup();
    await store.update([{ op: 'create', kind: 'service', object: { id: 's1', spec: { name: 'web' } } }]);
    const read = store.get('service', 's1')!;
    const next = { ...read, spec: { ...read.spec, labels: { a: 'b' } } };
    await store.update([
      { op: 'update', kind: 'service', object: next, expectedVersion: read.meta.version.index },
    ]);
    expect(store.get('service', 's1')?.meta.version.index).toBe(2);
    const stale = store.update([{ op: 'update', kind: 'service', object: next, expectedVersion: 1 }]);
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    await expect(stale).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      current: 2,
      expected: 1,
      id: 's1',
    });
  });

  it('turns every refusal into its typed error', async () => {
    const { store } = setup();
    await store.update([{ op: 'create', kind: 'node', object: { id: 'n1', spec: { name: 'a' } } }]);
    await expect(
      store.update([{ op: 'create', kind: 'node', object: { id: 'n2', spec: { name: 'a' } } }]),
    ).rejects.toEqual(expect.objectContaining({ code: 'ALREADY_EXISTS', objectName: 'a', existingId: 'n1' }));
    await expect(store.update([{ op: 'create', kind: 'node', object: { id: 'n1' } }])).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    await expect(store.update([{ op: 'delete', kind: 'task', id: 'nope' }])).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('refuses a malformed operation before proposing it', async () => {
    const { store, raft } = setup();
    const bad = { op: 'delete', kind: 'task', id: '' } as const;
    await expect(store.update([bad])).rejects.toBeInstanceOf(InvalidTransactionError);
    expect(raft.proposals).toBe(0);
  });

  it('refuses a malformed log entry deterministically instead of failing the apply loop', () => {
    const { store } = setup();
    const result = store.apply({ index: 1, term: 1, data: pack({ at: 'x', ops: [{ op: 'nuke' }] }) });
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSACTION', opIndex: 0 } });
    expect(store.apply({ index: 2, term: 1, data: Uint8Array.from([0x92]) })).toMatchObject({ ok: false });
  });

  it('does not send meta over the wire: the applier owns it', async () => {
    const { store, raft } = setup();
    let sent: Uint8Array | undefined;
    const propose = raft.propose.bind(raft);
    raft.propose = (data) => ((sent = data), propose(data));
    const meta: ObjectMeta = { version: { index: 77 }, createdAt: 'a', updatedAt: 'b' };
    await store.update([{ op: 'create', kind: 'config', object: { id: 'g', meta, spec: { name: 'x' } } }]);
    expect(Buffer.from(sent!).includes(Buffer.from('createdAt'))).toBe(false);
    expect(store.get('config', 'g')?.meta.version.index).toBe(1);
  });

  it('waits for the read index before a linearizable read, and not for a local one', async () => {
    const { store, raft } = setup();
    await store.update([{ op: 'create', kind: 'secret', object: { id: 'x', spec: { name: 'pw' } } }]);
    expect(store.get('secret', 'x')?.id).toBe('x');
    expect(raft.reads).toBe(0);
    expect((await store.get('secret', 'x', { linearizable: true }))?.id).toBe('x');
    expect(await store.list('secret', {}, { linearizable: true })).toHaveLength(1);
    expect((await store.getByName('secret', 'pw', { linearizable: true }))?.id).toBe('x');
    expect(raft.reads).toBe(3);
  });

  it('fails writes clearly when no Raft node is attached', async () => {
    const store = new ReplicatedStore();
    await expect(store.update([{ op: 'delete', kind: 'task', id: 'x' }])).rejects.toThrow(/attach/);
  });

  it('types reads, writes and events by kind with the object types src/api plugs in', async () => {
    interface ServiceObject {
      id: string;
      meta: ObjectMeta;
      spec: { name: string; labels?: Record<string, string>; mode: { replicated: { replicas: number } } };
      endpoint?: { ports: Array<{ targetPort: number }> };
    }
    interface ApiTypes extends Omit<DefaultObjectTypes, 'service'> {
      service: ServiceObject;
    }
    const store = new ReplicatedStore<ApiTypes>();
    const raft = new DirectConsensus(store);
    store.attach(raft);
    const watch = store.watch({ kinds: ['service'] });
    await store.update([
      {
        op: 'create',
        kind: 'service',
        object: { spec: { name: 'web', mode: { replicated: { replicas: 1 } } } },
      },
    ]);
    const web = store.getByName('service', 'web')!;
    const replicas: number = web.spec.mode.replicated.replicas;
    expect(replicas).toBe(1);
    await store.update([
      {
        op: 'update',
        kind: 'service',
        object: { ...web, spec: { ...web.spec, mode: { replicated: { replicas: 3 } } } },
        expectedVersion: web.meta.version.index,
      },
    ]);
    const events = [(await watch.next()).value, (await watch.next()).value];
    const last = events[1]!;
    expect(last.kind === 'service' && last.object.spec.mode.replicated.replicas).toBe(3);
    watch.close();
  });
});

describe('changeOperation', () => {
  async function storedTask(store: ReplicatedStore) {
    await store.update([
      {
        op: 'create',
        kind: 'task',
        object: { id: 't1', serviceId: 's', desiredState: 'running', spec: { labels: { tier: 'app' } } },
      },
    ]);
    return store.get('task', 't1')!;
  }

  it('patches only the top-level fields the writer replaced, naming the version read', async () => {
    const { store } = setup();
    const task = await storedTask(store);
    const op = changeOperation<DefaultObjectTypes, 'task'>('task', task, { ...task, nodeId: 'n1' });
    expect(op).toEqual({ op: 'patch', kind: 'task', id: 't1', fields: { nodeId: 'n1' }, expectedVersion: 1 });
    const { objects } = await store.update([op]);
    const { meta, ...written } = objects[0]!;
    expect(written).toEqual({ ...task, nodeId: 'n1', meta: undefined });
    expect(meta.version.index).toBe(2);
  });

  it('writes the whole object when a field was dropped (a patch cannot remove one)', async () => {
    const { store } = setup();
    const task = await storedTask(store);
    const { spec: _spec, ...withoutSpec } = task;
    const op = changeOperation<DefaultObjectTypes, 'task'>('task', task, withoutSpec);
    expect(op).toMatchObject({ op: 'update', kind: 'task', expectedVersion: 1 });
    const { objects } = await store.update([op]);
    expect(objects[0]).not.toHaveProperty('spec');
  });

  it('guards an unchanged object with an empty patch: it commits only if nobody wrote meanwhile', async () => {
    const { store } = setup();
    const task = await storedTask(store);
    const op = changeOperation<DefaultObjectTypes, 'task'>('task', task, task);
    expect(op).toEqual({ op: 'patch', kind: 'task', id: 't1', fields: {}, expectedVersion: 1 });
    await store.update([{ op: 'patch', kind: 'task', id: 't1', fields: { nodeId: 'n2' } }]);
    await expect(store.update([op])).rejects.toBeInstanceOf(VersionConflictError);
  });
});
