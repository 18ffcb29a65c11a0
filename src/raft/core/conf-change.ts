// Membership changes, one member at a time. A change is an ordinary log entry whose data is an
// encoded ConfChange; it takes effect on every member when the entry commits, so the membership
// is a pure function of (snapshot membership, committed entries). Safety of single-member
// changes relies on two leader rules enforced in raft.ts and proposals.ts: at most one uncommitted
// change in the log, and none before the leader has committed an entry of its own term.

import { ConfChangeType, type ConfChange, type ConfState, type MemberId } from './messages.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Encodes a ConfChange as JSON: it is tiny, rare, and readable in a WAL dump. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return textEncoder.encode(JSON.stringify({ type: cc.type, member: cc.member, address: cc.address }));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const v: unknown = JSON.parse(textDecoder.decode(data));
  if (typeof v !== 'object' || v === null) throw new Error('conf change: not an object');
  const { type, member, address } = v as Record<string, unknown>;
  if (typeof type !== 'number' || !Object.values(ConfChangeType).includes(type as ConfChangeType)) {
    throw new Error(`conf change: unknown type ${String(type)}`);
  }
  if (typeof member !== 'string' || member === '')
    throw new Error('conf change: member must be a non-empty string');
  if (typeof address !== 'string') throw new Error('conf change: address must be a string');
  return { type: type as ConfChangeType, member, address };
}

export function copyConfState(cs: ConfState): ConfState {
  return { voters: cs.voters.slice(), learners: cs.learners.slice(), addresses: { ...cs.addresses } };
}

/** The membership after `cc`. Pure; a change that changes nothing returns an equal copy. */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const voters = cs.voters.filter((id) => id !== cc.member);
  const learners = cs.learners.filter((id) => id !== cc.member);
  const addresses = { ...cs.addresses };
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      voters.push(cc.member);
      break;
    case ConfChangeType.AddLearner:
    case ConfChangeType.DemoteToLearner:
      learners.push(cc.member);
      break;
    case ConfChangeType.Remove:
      delete addresses[cc.member];
      return { voters, learners, addresses };
  }
  if (cc.address !== '') addresses[cc.member] = cc.address;
  else if (!(cc.member in addresses)) addresses[cc.member] = '';
  return { voters: voters.sort(), learners: learners.sort(), addresses };
}

/** A reason the change cannot be proposed against the current membership, or undefined. */
export function checkConfChange(cs: ConfState, cc: ConfChange): string | undefined {
  const isVoter = cs.voters.includes(cc.member);
  const isLearner = cs.learners.includes(cc.member);
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      return isVoter ? `${cc.member} is already a voter` : undefined;
    case ConfChangeType.AddLearner:
      if (isVoter) return `${cc.member} is a voter; demote it instead`;
      return isLearner ? `${cc.member} is already a learner` : undefined;
    case ConfChangeType.DemoteToLearner:
      if (!isVoter) return `${cc.member} is not a voter`;
      return cs.voters.length === 1 ? 'cannot demote the only voter' : undefined;
    case ConfChangeType.Remove:
      if (!isVoter && !isLearner) return `${cc.member} is not a member`;
      return isVoter && cs.voters.length === 1 ? 'cannot remove the only voter' : undefined;
  }
}

export function isMember(cs: ConfState, id: MemberId): boolean {
  return cs.voters.includes(id) || cs.learners.includes(id);
}
