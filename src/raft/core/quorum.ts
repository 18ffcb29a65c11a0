// Majority arithmetic as pure functions (etcd's quorum/majority.go).

import type { MemberId } from './messages.js';

/**
 * The highest index replicated on a majority of `voters`: sort the match indexes in descending
 * order and take the one at position floor(n/2). An empty voter set commits nothing.
 */
export function majorityCommitted(voters: readonly MemberId[], matchOf: (id: MemberId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[Math.floor(voters.length / 2)]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Whether the granted/rejected votes so far decide an election among `voters`. */
export function voteResult(voters: readonly MemberId[], votes: ReadonlyMap<MemberId, boolean>): VoteResult {
  const quorum = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= quorum) return 'won';
  if (rejected > voters.length - quorum) return 'lost';
  return 'pending';
}

/** Whether the members in `acked` form a majority of `voters`. */
export function hasQuorum(voters: readonly MemberId[], acked: (id: MemberId) => boolean): boolean {
  let n = 0;
  for (const id of voters) if (acked(id)) n++;
  return n >= Math.floor(voters.length / 2) + 1;
}
