// A ReplicatedStore without Raft, for deterministic tests of the manager's loops: every proposal
// is applied at once, in call order, at the next index, as a one-member Raft log would. What the
// loops see (versions, watch events, refusals) is what they see over Raft, minus the timing.

import type { ApiObjectTypes, ApiStore } from '../../src/manager/control/index.js';
import { ReplicatedStore, type TransactionResult } from '../../src/manager/store/index.js';

export interface LocalStore {
  store: ApiStore;
  /** Proposals applied so far. */
  readonly proposals: number;
}

export function localStore(options: { now?: () => Date; maxEvents?: number } = {}): LocalStore {
  const store = new ReplicatedStore<ApiObjectTypes>(options);
  let index = 0;
  let proposals = 0;
  store.attach({
    propose: (data: Uint8Array) => {
      proposals++;
      index++;
      const result: TransactionResult = store.apply({ index, term: 1, data });
      return Promise.resolve({ index, term: 1, result });
    },
    readIndex: () => Promise.resolve(index),
  });
  return {
    store,
    get proposals() {
      return proposals;
    },
  };
}
