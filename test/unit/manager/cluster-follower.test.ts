// ClusterFollower (src/manager/cluster-follower.ts): a step on start and after every change of the
// cluster object, also once a snapshot has replaced the store under it (a lagging manager
// catching up), which ends every open watch. The store is fed entries directly, as Raft would.

import { afterEach, describe, expect, it } from 'vitest';
import type { ApiObjectTypes } from '../../../src/manager/control/index.js';
import { ClusterFollower } from '../../../src/manager/cluster-follower.js';
import { encodeTransaction, ReplicatedStore } from '../../../src/manager/store/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { waitUntil } from '../../support/wait.js';

const cluster = (subnetSize: number) => ({
  id: 'cluster1',
  spec: {},
  joinTokens: { worker: '', manager: '' },
  rootRotationInProgress: false,
  defaultAddrPool: [],
  subnetSize,
  dataPathPort: 4789,
});

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

describe('ClusterFollower', () => {
  it('steps again on changes after a snapshot replaced the store under its watch', async () => {
    const store = new ReplicatedStore<ApiObjectTypes>();
    let index = 0;
    const apply = (op: 'create' | 'update', subnetSize: number): void => {
      index++;
      const data = encodeTransaction({
        at: new Date().toISOString(),
        ops: [{ op, kind: 'cluster', object: cluster(subnetSize) }],
      });
      store.apply({ index, term: 1, data });
    };
    apply('create', 24);
    const seen: number[] = [];
    const follower = new ClusterFollower(store, silentLogger, async () => {
      seen.push(store.list('cluster')[0]!.subnetSize);
    });
    follower.start();
    stops.push(() => follower.stop());
    await follower.settled();
    apply('update', 25);
    await waitUntil('a step for the update', () => seen.includes(25), 2_000);

    store.restore(store.snapshot());
    apply('update', 26);
    await waitUntil('a step for the update after the snapshot', () => seen.includes(26), 2_000);
    expect(seen.at(-1)).toBe(26);
  });
});
