// Quorum-loss recovery (etcd's --force-new-cluster, `docker swarm init --force-new-cluster`): turns
// one survivor's persisted state into that of a one-member cluster that keeps the whole log. Pure:
// RaftNode persists the result (fdatasync) before it starts the core from it.

import { applyConfChange, copyConfState, decodeConfChange, encodeConfChange } from './conf-change.js';
import type { InitialState } from './config.js';
import { NothingToRecoverError } from './errors.js';
import {
  ConfChangeType,
  EntryType,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type MemberId,
} from './messages.js';

export interface ForcedNewCluster {
  /** What the core starts from: the old log plus `entries`, everything committed. */
  state: InitialState;
  /** The membership changes appended after the old log; persist them with `hardState`. */
  entries: Entry[];
  hardState: HardState;
  /** The members of the old cluster (voters and learners) that `entries` remove. */
  removed: MemberId[];
  /** The membership as of the end of the old log, committed or not, before the changes. */
  previous: ConfState;
}

/**
 * The state of a one-member cluster made of `self` and everything `persisted` holds.
 *
 * Why this is the right state, and safe as far as anything can be once a majority is gone:
 * - The old cluster cannot commit anything any more (its majority is lost for good), so the
 *   survivor's log is the best record left. Like etcd we keep all of it, entries never seen
 *   committed included: they may have committed on the lost majority and been acknowledged, and
 *   a write that was not acknowledged may still take effect (its outcome was unknown).
 * - The membership is the one as of the END of the log, counting uncommitted changes: an
 *   uncommitted change may have committed elsewhere, and removing every member it names is right
 *   either way. Each member other than `self` gets a Remove entry, learners too, so the log itself
 *   says how the cluster shrank and a restart without the flag replays to the same membership.
 * - `self` ends as the only voter, with its address kept. If it is not a voter there (a learner,
 *   or removed by a change at the end of the log) it is added back first, before any removal, so
 *   no prefix of the new entries leaves the cluster without a voter (a snapshot may be taken at
 *   any of them).
 * - The new entries carry a term no one has used, one past both the hard state's term and the
 *   last entry's (a torn write may leave entries of a term the hard state never recorded): no
 *   leader of the old cluster can have an entry at those indexes with that term, so log matching
 *   never mistakes another log for ours, and they are not older than the entries before them.
 * - The hard state votes for `self` in that term, so this member never grants it to anyone else,
 *   and commits up to the last entry: with one voter, the log is committed by definition.
 */
export function forceNewCluster(
  persisted: InitialState,
  self: { id: MemberId; address: string },
): ForcedNewCluster {
  const { hardState, snapshot, entries } = persisted;
  if (snapshot === null && entries.length === 0) throw new NothingToRecoverError(self.id);

  let previous: ConfState = snapshot
    ? copyConfState(snapshot.metadata.confState)
    : { voters: [], learners: [], addresses: {} };
  for (const entry of entries)
    if (entry.type === EntryType.ConfChange)
      previous = applyConfChange(previous, decodeConfChange(entry.data));

  const lastEntry = entries.at(-1);
  const lastIndex = lastEntry?.index ?? snapshot!.metadata.index;
  const lastTerm = lastEntry?.term ?? snapshot!.metadata.term;
  const term = Math.max(hardState.term, lastTerm) + 1;

  const changes: ConfChange[] = [];
  const knownAddress = previous.addresses[self.id] ?? '';
  if (!previous.voters.includes(self.id) || (self.address !== '' && knownAddress !== self.address)) {
    changes.push({ type: ConfChangeType.AddVoter, member: self.id, address: self.address || knownAddress });
  }
  const removed = [...previous.voters, ...previous.learners].filter((id) => id !== self.id);
  for (const member of removed) changes.push({ type: ConfChangeType.Remove, member, address: '' });

  const appended: Entry[] = changes.map((cc, i) => ({
    term,
    index: lastIndex + 1 + i,
    type: EntryType.ConfChange,
    data: encodeConfChange(cc),
  }));
  const forcedHardState: HardState = { term, vote: self.id, commit: lastIndex + appended.length };
  return {
    state: { hardState: forcedHardState, snapshot, entries: [...entries, ...appended] },
    entries: appended,
    hardState: forcedHardState,
    removed,
    previous,
  };
}
