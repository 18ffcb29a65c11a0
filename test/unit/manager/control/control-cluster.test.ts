// The control API on a three-manager cluster in one process (LocalHub, memory storage, fast
// Raft timing), each manager with its own gRPC server: a client of any manager can write (a
// follower forwards to the leader), and a manager cut off from the others fails writes with a
// retryable UNAVAILABLE within the bounded write time instead of hanging.

import * as grpc from '@grpc/grpc-js';
import { startTestManager } from '../../../support/control-harness.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../../src/api/index.js';
import { FlotillaClient, UnavailableError } from '../../../../src/index.js';
import {
  CONTROL_METHODS,
  methodPath,
  serializer,
  type ApiStore,
} from '../../../../src/manager/control/index.js';
import { type TransactionResult } from '../../../../src/manager/store/index.js';
import { LocalHub, RaftNode } from '../../../../src/raft/index.js';
import { waitUntil } from '../../../support/wait.js';

interface Manager {
  id: string;
  node: RaftNode<TransactionResult>;
  store: ApiStore;
  client: FlotillaClient;
  address: string;
}

const WRITE_TIMEOUT_MS = 1_000;
const IDS = ['m1', 'm2', 'm3'];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startCluster(): Promise<{ hub: LocalHub; managers: Manager[] }> {
  const hub = new LocalHub();
  const managers: Manager[] = [];
  for (const id of IDS) {
    const m = await startTestManager(id, cleanups, { hub, members: IDS, writeTimeoutMs: WRITE_TIMEOUT_MS });
    managers.push({ id, node: m.node, store: m.store, client: m.client, address: m.address });
  }
  return { hub, managers };
}

/** The leader and a follower that knows it. */
async function roles(managers: Manager[]): Promise<{ leader: Manager; follower: Manager }> {
  await waitUntil('a leader', () => managers.some((m) => m.node.isLeader()));
  const leader = managers.find((m) => m.node.isLeader())!;
  const follower = managers.find((m) => m !== leader)!;
  await waitUntil('the follower to know the leader', () => follower.node.leader().id === leader.id);
  return { leader, follower };
}

const spec = (name: string): ServiceSpec => ({ name, taskTemplate: { containerSpec: { image: 'redis:7' } } });

describe('the control API on a three-manager cluster', () => {
  it('accepts writes through a follower, which forwards them to the leader', async () => {
    const { managers } = await startCluster();
    const { leader, follower } = await roles(managers);

    const created = await follower.client.createService(spec('cache'));
    // The follower applied the write before answering: its own reads see it at once.
    expect((await follower.client.getService('cache')).id).toBe(created.id);
    const updated = await follower.client.updateService('cache', created.version, {
      ...spec('cache'),
      labels: { tier: 'back' },
    });
    await waitUntil('every manager to apply the update', () =>
      managers.every((m) => m.store.get('service', created.id)?.meta.version.index === updated.version),
    );
    expect((await leader.client.getService(created.id)).spec.labels).toEqual({ tier: 'back' });
    // A linearizable read through another manager sees it whatever that manager has applied.
    const third = managers.find((m) => m !== leader && m !== follower)!;
    expect((await third.client.listServices({}, { linearizable: true })).map((s) => s.spec.name)).toEqual([
      'cache',
    ]);
  });

  it('fails writes with UNAVAILABLE within the bounded time when a manager is cut off, then recovers', async () => {
    const { hub, managers } = await startCluster();
    const { leader, follower } = await roles(managers);
    await follower.client.createService(spec('before'));
    const versionBefore = leader.store.version;

    hub.isolate(follower.id);
    // At first the follower still believes in the leader: the write is forwarded into the void.
    let started = Date.now();
    const lost = await follower.client.createService(spec('lost')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(lost).toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(WRITE_TIMEOUT_MS * 3);

    // Once its election timer fired it knows nobody leads: the refusal says so.
    await waitUntil('the follower to lose the leader', () => follower.node.leader().id === '');
    started = Date.now();
    const err = await follower.client.createService(spec('lost')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({
      reason: 'no-leader',
      retryable: true,
      message: 'no leader elected yet; retry',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WRITE_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(WRITE_TIMEOUT_MS * 3);

    // Any gRPC client sees the status code itself.
    const raw = new grpc.Client(follower.address, grpc.credentials.createInsecure());
    const status = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.makeUnaryRequest(
        methodPath('RemoveService'),
        serializer(CONTROL_METHODS.RemoveService.request),
        (b: Buffer) => b,
        { id: 'before' },
        (e) => resolve(e),
      ),
    );
    raw.close();
    expect(status?.code).toBe(grpc.status.UNAVAILABLE);
    expect(status?.details).toBe('no leader elected yet; retry');

    // Reads are still served from the cut-off manager's own store.
    expect((await follower.client.getService('before')).spec.name).toBe('before');
    // The majority went on without it, and nothing of the refused writes reached it.
    expect(leader.store.version).toBe(versionBefore);
    expect(leader.store.getByName('service', 'lost')).toBeUndefined();

    // A write that waits for the election succeeds when the manager rejoins within the bound.
    const writing = follower.client.createService(spec('after'));
    hub.heal();
    const after = await writing;
    await waitUntil(
      'the leader to apply the write',
      () => leader.store.get('service', after.id) !== undefined,
    );
  });
});
