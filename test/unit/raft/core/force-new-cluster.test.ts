// forceNewCluster as a pure function: which entries, term, hard state and membership a survivor of
// a lost majority starts from, checked by starting a Raft core from the result.

import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from '../../../../src/raft/core/conf-change.js';
import { bootstrapEntries } from '../../../../src/raft/core/config.js';
import { forceNewCluster } from '../../../../src/raft/core/force-new-cluster.js';
import {
  ConfChangeType,
  EntryType,
  type ConfChange,
  type Entry,
  type Snapshot,
} from '../../../../src/raft/core/messages.js';
import { Raft, defaultRaftConfig } from '../../../../src/raft/core/raft.js';
import { entry } from '../../../support/raft-single.js';

const founders = ['a', 'b', 'c'].map((id) => ({ id, address: `addr-${id}` }));
const self = { id: 'a', address: 'addr-a' };

function confChange(index: number, term: number, cc: ConfChange): Entry {
  return { index, term, type: EntryType.ConfChange, data: encodeConfChange(cc) };
}

function startCore(state: ReturnType<typeof forceNewCluster>['state']): Raft {
  return new Raft({ ...defaultRaftConfig, id: 'a', random: () => 0 }, state);
}

describe('forceNewCluster', () => {
  it('removes every other member named anywhere in the log, uncommitted changes included, at a new term', () => {
    const entries = [
      ...bootstrapEntries(founders),
      entry(4, 2, 'committed'),
      confChange(5, 3, { type: ConfChangeType.AddLearner, member: 'd', address: 'addr-d' }),
      entry(6, 3, 'never seen committed'),
    ];
    const forced = forceNewCluster(
      { hardState: { term: 3, vote: 'b', commit: 4 }, snapshot: null, entries },
      self,
    );

    expect(forced.removed).toEqual(['b', 'c', 'd']);
    expect(forced.entries.map((e) => [e.index, e.term, decodeConfChange(e.data)])).toEqual([
      [7, 4, { type: ConfChangeType.Remove, member: 'b', address: '' }],
      [8, 4, { type: ConfChangeType.Remove, member: 'c', address: '' }],
      [9, 4, { type: ConfChangeType.Remove, member: 'd', address: '' }],
    ]);
    expect(forced.hardState).toEqual({ term: 4, vote: 'a', commit: 9 });

    const core = startCore(forced.state);
    expect(core.log.committed).toBe(9); // the uncommitted write at 6 is committed too
    expect(core.confState()).toEqual({ voters: ['a'], learners: [], addresses: { a: 'addr-a' } });
    core.campaignNow();
    expect(core.role).toBe('leader');
  });

  it('recovers from a snapshot with an empty log after it', () => {
    const snapshot: Snapshot = {
      metadata: {
        index: 10,
        term: 5,
        confState: {
          voters: ['a', 'b', 'c'],
          learners: [],
          addresses: { a: 'addr-a', b: 'addr-b', c: 'addr-c' },
        },
      },
      data: new Uint8Array([1, 2, 3]),
    };
    const forced = forceNewCluster(
      { hardState: { term: 6, vote: '', commit: 10 }, snapshot, entries: [] },
      self,
    );
    expect(forced.entries.map((e) => [e.index, e.term])).toEqual([
      [11, 7],
      [12, 7],
    ]);
    expect(forced.hardState).toEqual({ term: 7, vote: 'a', commit: 12 });
    expect(forced.state.snapshot).toBe(snapshot);
    expect(startCore(forced.state).confState().voters).toEqual(['a']);
  });

  it('uses a term above the last entry even when the hard state lags behind it (a torn write)', () => {
    const entries = [...bootstrapEntries(founders), entry(4, 7, 'x')];
    const forced = forceNewCluster(
      { hardState: { term: 5, vote: '', commit: 3 }, snapshot: null, entries },
      self,
    );
    expect(forced.hardState.term).toBe(8);
    expect(forced.entries.every((e) => e.term === 8)).toBe(true);
  });

  it('makes a survivor that is a learner, or was being removed, the only voter before removing anyone', () => {
    const entries = [
      ...bootstrapEntries(founders),
      confChange(4, 2, { type: ConfChangeType.DemoteToLearner, member: 'a', address: '' }),
    ];
    const forced = forceNewCluster(
      { hardState: { term: 2, vote: '', commit: 4 }, snapshot: null, entries },
      self,
    );
    expect(forced.entries.map((e) => decodeConfChange(e.data))).toEqual([
      { type: ConfChangeType.AddVoter, member: 'a', address: 'addr-a' },
      { type: ConfChangeType.Remove, member: 'b', address: '' },
      { type: ConfChangeType.Remove, member: 'c', address: '' },
    ]);
    expect(startCore(forced.state).confState()).toEqual({
      voters: ['a'],
      learners: [],
      addresses: { a: 'addr-a' },
    });

    const removed = [
      ...bootstrapEntries(founders),
      confChange(4, 2, { type: ConfChangeType.Remove, member: 'a', address: '' }),
    ];
    const again = forceNewCluster(
      { hardState: { term: 2, vote: '', commit: 3 }, snapshot: null, entries: removed },
      self,
    );
    expect(startCore(again.state).confState()).toEqual({
      voters: ['a'],
      learners: [],
      addresses: { a: 'addr-a' },
    });
  });

  it('changes no membership when run again on its own result, but still commits at a new term', () => {
    const first = forceNewCluster(
      { hardState: { term: 1, vote: '', commit: 3 }, snapshot: null, entries: bootstrapEntries(founders) },
      self,
    );
    const second = forceNewCluster(first.state, self);
    expect(second.entries).toEqual([]);
    expect(second.removed).toEqual([]);
    expect(second.hardState).toEqual({ term: first.hardState.term + 1, vote: 'a', commit: 5 });
  });

  it('refuses storage that holds no log and no snapshot: there is nothing to recover', () => {
    expect(() =>
      forceNewCluster({ hardState: { term: 4, vote: '', commit: 0 }, snapshot: null, entries: [] }, self),
    ).toThrow(expect.objectContaining({ code: 'NOTHING_TO_RECOVER', member: 'a' }));
  });
});
