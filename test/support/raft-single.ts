// Helpers for tests that drive one Raft core by hand: build it from a membership snapshot and a
// log, step hand-built messages into it, and read what its ready() sends.

import { expect } from 'vitest';
import { Raft, defaultRaftConfig, type RaftConfig, type Ready } from '../../src/raft/core/raft.js';
import {
  EntryType,
  type AppendRequest,
  type AppendResponse,
  type Entry,
  type HeartbeatRequest,
  type MemberId,
  type Message,
  type Snapshot,
  type VoteRequest,
} from '../../src/raft/core/messages.js';

const enc = new TextEncoder();

/** A snapshot that only carries the membership; at index 0 (the default) a log can start at index 1. */
export function membership(voters: MemberId[], learners: MemberId[] = [], index = 0, term = 0): Snapshot {
  return {
    metadata: { index, term, confState: { voters, learners, addresses: {} } },
    data: new Uint8Array(),
  };
}

/** Entries at indexes first, first+1, … with the given terms. */
export function logOf(terms: number[], first = 1): Entry[] {
  return terms.map((term, i) => ({ term, index: first + i, type: EntryType.Normal, data: new Uint8Array() }));
}

export function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: EntryType.Normal, data: enc.encode(data) };
}

/** A normal proposal carrying `data` as UTF-8. */
export function text(data: string): { type: EntryType; data: Uint8Array } {
  return { type: EntryType.Normal, data: enc.encode(data) };
}

export interface NodeSetup {
  voters?: MemberId[];
  learners?: MemberId[];
  /** Terms of the entries after the snapshot (at indexes 1, 2, … without one). */
  terms?: number[];
  term?: number;
  vote?: MemberId;
  /** Defaults to the snapshot's index. */
  commit?: number;
  /** Defaults to membership(voters, learners) at index 0. */
  snapshot?: Snapshot;
  config?: Partial<RaftConfig>;
}

/** One Raft, PreVote and CheckQuorum off unless asked (the paper's algorithm), election timeout exactly electionTick. */
export function newRaft(id: MemberId, s: NodeSetup = {}): Raft {
  const snapshot = s.snapshot ?? membership(s.voters ?? ['a', 'b', 'c'], s.learners ?? []);
  const r = new Raft(
    { ...defaultRaftConfig, preVote: false, checkQuorum: false, random: () => 0, ...s.config, id },
    {
      hardState: { term: s.term ?? 1, vote: s.vote ?? '', commit: s.commit ?? snapshot.metadata.index },
      snapshot,
      entries: logOf(s.terms ?? [], snapshot.metadata.index + 1),
    },
  );
  flush(r); // the initial ready only announces the membership
  return r;
}

export function flush(r: Raft): Ready {
  const rd = r.ready();
  r.advance(rd);
  return rd;
}

export function sent(r: Raft): Message[] {
  return flush(r).messages;
}

export function ofType<T extends Message['type']>(msgs: Message[], type: T): Array<Message & { type: T }> {
  return msgs.filter((m): m is Message & { type: T } => m.type === type);
}

/** Campaigns and grants every vote asked for, until `r` leads. */
export function electLeader(r: Raft): void {
  r.campaignNow();
  for (let round = 0; round < 2 && r.role !== 'leader'; round++) {
    for (const m of sent(r)) {
      if (m.type !== 'Vote' && m.type !== 'PreVote') continue;
      const type = m.type === 'Vote' ? 'VoteResp' : 'PreVoteResp';
      r.step({ type, from: m.to, to: r.id, term: m.term, reject: false });
    }
  }
  expect(r.role).toBe('leader');
}

export function app(
  from: MemberId,
  to: MemberId,
  term: number,
  prev: { index: number; term: number },
  entries: Entry[] = [],
  commit = 0,
): AppendRequest {
  return { type: 'App', from, to, term, prevLogIndex: prev.index, prevLogTerm: prev.term, entries, commit };
}

/** An acceptance of everything up to `index`, or a rejection with the given hint. */
export function appResp(
  from: MemberId,
  to: MemberId,
  term: number,
  index: number,
  reject?: { hintIndex: number; hintTerm: number },
): AppendResponse {
  return {
    type: 'AppResp',
    from,
    to,
    term,
    reject: reject !== undefined,
    index,
    hintIndex: reject?.hintIndex ?? 0,
    hintTerm: reject?.hintTerm ?? 0,
  };
}

export function heartbeat(from: MemberId, to: MemberId, term: number, commit = 0): HeartbeatRequest {
  return { type: 'Heartbeat', from, to, term, commit, context: '' };
}

export function vote(
  from: MemberId,
  to: MemberId,
  term: number,
  last: { index: number; term: number },
  opts: { type?: 'Vote' | 'PreVote'; transfer?: boolean } = {},
): VoteRequest {
  return {
    type: opts.type ?? 'Vote',
    from,
    to,
    term,
    lastLogIndex: last.index,
    lastLogTerm: last.term,
    transfer: opts.transfer ?? false,
  };
}

/** The terms of every entry the log still holds, first to last. */
export function logTerms(r: Raft): number[] {
  const terms: number[] = [];
  for (let i = r.log.firstIndex(); i <= r.log.lastIndex(); i++) terms.push(r.log.term(i)!);
  return terms;
}
