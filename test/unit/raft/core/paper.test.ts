// The rules of the Raft paper (§5.1–§5.4), ported from etcd's raft_paper_test.go: one node's
// reaction is checked by stepping hand-built messages into a single Raft, cluster behaviour
// (Figure 7, elections that overwrite newer logs) on the in-memory Network.

import { describe, expect, it } from 'vitest';
import { Raft, bootstrapEntries, defaultRaftConfig } from '../../../../src/raft/core/raft.js';
import type { Entry, MemberId } from '../../../../src/raft/core/messages.js';
import { Network, seededRandom } from '../../../support/raft-network.js';
import {
  app,
  appResp,
  electLeader,
  entry,
  flush,
  heartbeat,
  logOf,
  logTerms,
  membership,
  newRaft,
  ofType,
  sent,
  text,
  vote,
} from '../../../support/raft-single.js';

const dec = new TextDecoder();

// ---- §5.1 ------------------------------------------------------------------------------------

describe('§5.1 terms', () => {
  it('starts as a follower that knows no leader', () => {
    const r = newRaft('a', { term: 3, vote: 'b', terms: [1, 2] });
    expect(r.role).toBe('follower');
    expect(r.leader).toBe('');
    expect(r.term).toBe(3);
    expect(r.vote).toBe('b');
  });

  const roles = ['follower', 'pre-candidate', 'candidate', 'leader'] as const;
  const kinds = ['AppendEntries', 'heartbeat', 'RequestVote'] as const;
  const cases = roles.flatMap((role) => kinds.map((kind) => ({ role, kind })));

  for (const { role, kind } of cases) {
    it(`a ${role} that receives a ${kind} with a higher term adopts the term and becomes a follower`, () => {
      const r = newRaft('a', { config: { preVote: role === 'pre-candidate' } });
      if (role === 'leader') electLeader(r);
      else if (role !== 'follower') {
        r.campaignNow();
        sent(r);
      }
      expect(r.role).toBe(role);

      const m =
        kind === 'AppendEntries'
          ? app('b', 'a', 5, { index: 0, term: 0 })
          : kind === 'heartbeat'
            ? heartbeat('b', 'a', 5)
            : vote('b', 'a', 5, { index: 10, term: 4 });
      r.step(m);

      expect(r.term).toBe(5);
      expect(r.role).toBe('follower');
      // Only a message from a leader tells who leads; a vote request does not.
      expect(r.leader).toBe(kind === 'RequestVote' ? '' : 'b');
      // The new term is persisted before anything that depends on it is sent.
      expect(flush(r).hardState?.term).toBe(5);
    });
  }

  it('ignores AppendEntries and heartbeats of a stale term and keeps its log', () => {
    const r = newRaft('a', { term: 3, terms: [1, 2] });
    r.step(app('b', 'a', 2, { index: 2, term: 2 }, [entry(3, 2, 'stale')], 3));
    r.step(heartbeat('b', 'a', 2, 3));
    expect(sent(r)).toEqual([]);
    expect(r.term).toBe(3);
    expect(r.leader).toBe('');
    expect(logTerms(r)).toEqual([1, 2]);
    expect(r.log.committed).toBe(0);
  });

  it('answers a stale leader with its newer term when CheckQuorum is on, so that leader learns it is stale', () => {
    const r = newRaft('a', { term: 3, terms: [1, 2], config: { checkQuorum: true } });
    r.step(app('b', 'a', 2, { index: 2, term: 2 }, [entry(3, 2, 'stale')], 3));
    const out = sent(r);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'AppResp', to: 'b', term: 3 });
    expect(logTerms(r)).toEqual([1, 2]);
    expect(r.term).toBe(3);
  });

  it('refuses a stale pre-vote explicitly and drops a stale vote request', () => {
    const r = newRaft('a', { term: 3, config: { preVote: true } });
    r.step(vote('b', 'a', 2, { index: 10, term: 2 }, { type: 'PreVote' }));
    r.step(vote('c', 'a', 2, { index: 10, term: 2 }));
    const out = sent(r);
    expect(out).toEqual([{ type: 'PreVoteResp', from: 'a', to: 'b', term: 3, reject: true }]);
    expect(r.vote).toBe('');
  });
});

// ---- §5.2 ------------------------------------------------------------------------------------

describe('§5.2 leader election', () => {
  it('a follower that hears from no leader for an election timeout campaigns: new term, own vote, RequestVote to every voter', () => {
    const r = newRaft('a', { term: 1, terms: [1, 1] });
    for (let i = 0; i < defaultRaftConfig.electionTick - 1; i++) r.tick();
    expect(sent(r)).toEqual([]);
    r.tick();
    const rd = flush(r);
    expect(r.role).toBe('candidate');
    expect(rd.hardState).toEqual({ term: 2, vote: 'a', commit: 0 });
    expect(ofType(rd.messages, 'Vote')).toEqual([
      vote('a', 'b', 2, { index: 2, term: 1 }),
      vote('a', 'c', 2, { index: 2, term: 1 }),
    ]);
  });

  it('a candidate that neither wins nor loses starts a new election after another timeout', () => {
    const r = newRaft('a', { term: 1 });
    r.campaignNow();
    sent(r);
    expect(r.term).toBe(2);
    for (let i = 0; i < defaultRaftConfig.electionTick; i++) r.tick();
    const out = ofType(sent(r), 'Vote');
    expect(r.role).toBe('candidate');
    expect(r.term).toBe(3);
    expect(r.vote).toBe('a');
    expect(out.map((m) => [m.to, m.term])).toEqual([
      ['b', 3],
      ['c', 3],
    ]);
  });

  const rounds: Array<{ size: number; votes: Record<string, boolean>; want: string }> = [
    { size: 1, votes: {}, want: 'leader' },
    { size: 3, votes: { b: true, c: true }, want: 'leader' },
    { size: 3, votes: { b: true }, want: 'leader' },
    { size: 5, votes: { b: true, c: true, d: true, e: true }, want: 'leader' },
    { size: 5, votes: { b: true, c: true, d: true }, want: 'leader' },
    { size: 5, votes: { b: true, c: true }, want: 'leader' },
    // A majority of refusals ends the election.
    { size: 3, votes: { b: false, c: false }, want: 'follower' },
    { size: 5, votes: { b: false, c: false, d: false, e: false }, want: 'follower' },
    { size: 5, votes: { b: true, c: false, d: false, e: false }, want: 'follower' },
    // Neither a majority for nor against: it keeps waiting.
    { size: 3, votes: {}, want: 'candidate' },
    { size: 5, votes: { b: true }, want: 'candidate' },
    { size: 5, votes: { b: false, c: false }, want: 'candidate' },
    { size: 5, votes: {}, want: 'candidate' },
  ];
  const describeVotes = (votes: Record<string, boolean>) =>
    Object.entries(votes)
      .map(([id, granted]) => `${id} ${granted ? 'grants' : 'refuses'}`)
      .join(', ') || 'no answer';
  for (const { size, votes, want } of rounds) {
    it(`a candidate in a cluster of ${size} (${describeVotes(votes)}) ends the round as ${want}`, () => {
      const voters = ['a', 'b', 'c', 'd', 'e'].slice(0, size);
      const r = newRaft('a', { voters });
      r.campaignNow();
      for (const [from, granted] of Object.entries(votes)) {
        r.step({ type: 'VoteResp', from, to: 'a', term: 2, reject: !granted });
      }
      expect(r.role).toBe(want);
      expect(r.term).toBe(2);
    });
  }

  const ballots = [
    { voted: '', candidate: 'b', granted: true },
    { voted: '', candidate: 'c', granted: true },
    { voted: 'b', candidate: 'b', granted: true },
    { voted: 'c', candidate: 'c', granted: true },
    { voted: 'b', candidate: 'c', granted: false },
    { voted: 'c', candidate: 'b', granted: false },
  ];
  for (const { voted, candidate, granted } of ballots) {
    it(`a follower that voted for ${voted || 'nobody'} in this term ${granted ? 'grants' : 'refuses'} its vote to ${candidate}`, () => {
      const r = newRaft('a', { term: 1, vote: voted });
      r.step(vote(candidate, 'a', 1, { index: 0, term: 0 }));
      expect(sent(r)).toEqual([{ type: 'VoteResp', from: 'a', to: candidate, term: 1, reject: !granted }]);
      expect(r.vote).toBe(granted ? candidate : voted);
    });
  }

  const fallbacks = [
    { what: 'AppendEntries of its own term', m: app('b', 'a', 2, { index: 0, term: 0 }), term: 2 },
    { what: 'a heartbeat of its own term', m: heartbeat('b', 'a', 2), term: 2 },
    { what: 'AppendEntries of a newer term', m: app('b', 'a', 3, { index: 0, term: 0 }), term: 3 },
  ];
  for (const { what, m, term } of fallbacks) {
    it(`a candidate that receives ${what} from a leader returns to follower`, () => {
      const r = newRaft('a', { term: 1 });
      r.campaignNow();
      sent(r);
      expect(r.role).toBe('candidate');
      r.step(m);
      expect(r.role).toBe('follower');
      expect(r.term).toBe(term);
      expect(r.leader).toBe('b');
    });
  }

  it.each(['follower', 'candidate'] as const)(
    'randomizes a %s election timeout over [electionTick, 2·electionTick)',
    (role) => {
      const et = defaultRaftConfig.electionTick;
      const timeouts = new Set<number>();
      for (let k = 0; k < et; k++) {
        const r = newRaft('a', { config: { random: () => k / et } });
        if (role === 'candidate') {
          r.campaignNow();
          sent(r);
        }
        let ticks = 0;
        do {
          r.tick();
          ticks++;
        } while (ofType(sent(r), 'Vote').length === 0 && ticks < 3 * et);
        timeouts.add(ticks);
      }
      expect([...timeouts].sort((x, y) => x - y)).toEqual(Array.from({ length: et }, (_, i) => et + i));
    },
  );

  it.each(['follower', 'candidate'] as const)(
    'the election timeouts of five %ss rarely expire at the same tick',
    (role) => {
      const ids = ['a', 'b', 'c', 'd', 'e'];
      const random = seededRandom(2024);
      const rounds = 1000;
      let conflicts = 0;
      for (let round = 0; round < rounds; round++) {
        const rafts = ids.map((id) => newRaft(id, { voters: ids, config: { random } }));
        if (role === 'candidate') {
          for (const r of rafts) {
            r.campaignNow();
            sent(r);
          }
        }
        let timedOut = 0;
        for (let tick = 0; timedOut === 0 && tick < 100; tick++) {
          for (const r of rafts) {
            r.tick();
            if (sent(r).length > 0) timedOut++;
          }
        }
        expect(timedOut).toBeGreaterThan(0);
        if (timedOut > 1) conflicts++;
      }
      // Independent uniform timeouts over 10 ticks collide at the minimum ~23% of the time.
      expect(conflicts / rounds).toBeLessThanOrEqual(0.3);
    },
  );
});

// ---- §5.3 ------------------------------------------------------------------------------------

describe('§5.3 log replication', () => {
  /** Leader a of {a, b, c} in term 2 whose empty entry at index 1 is acknowledged by b and c. */
  function steadyLeader(): Raft {
    const r = newRaft('a');
    electLeader(r);
    sent(r);
    r.step(appResp('b', 'a', 2, 1));
    r.step(appResp('c', 'a', 2, 1));
    flush(r);
    expect(r.log.committed).toBe(1);
    return r;
  }

  it('the leader appends a proposal to its log and sends it to every follower with the preceding index and term', () => {
    const r = steadyLeader();
    r.propose([text('some data')]);
    const rd = flush(r);
    expect(rd.entries).toEqual([entry(2, 2, 'some data')]);
    const apps = ofType(rd.messages, 'App');
    expect(apps).toEqual([
      app('a', 'b', 2, { index: 1, term: 2 }, [entry(2, 2, 'some data')], 1),
      app('a', 'c', 2, { index: 1, term: 2 }, [entry(2, 2, 'some data')], 1),
    ]);
  });

  it('the leader commits an entry stored on a majority, applies it and tells the followers', () => {
    const r = steadyLeader();
    r.propose([text('some data')]);
    flush(r);
    r.step(appResp('b', 'a', 2, 2));
    expect(r.log.committed).toBe(2);
    const rd = flush(r);
    expect(rd.committedEntries).toEqual([entry(2, 2, 'some data')]);
    const apps = ofType(rd.messages, 'App');
    expect(apps.map((m) => [m.to, m.commit])).toEqual([
      ['b', 2],
      ['c', 2],
    ]);
  });

  it.each([
    { size: 1, acceptors: [], commits: true },
    { size: 3, acceptors: [], commits: false },
    { size: 3, acceptors: ['b'], commits: true },
    { size: 3, acceptors: ['b', 'c'], commits: true },
    { size: 5, acceptors: [], commits: false },
    { size: 5, acceptors: ['b'], commits: false },
    { size: 5, acceptors: ['b', 'c'], commits: true },
    { size: 5, acceptors: ['b', 'c', 'd'], commits: true },
    { size: 5, acceptors: ['b', 'c', 'd', 'e'], commits: true },
  ])(
    'in a cluster of $size, an entry acknowledged by $acceptors.length followers is committed: $commits',
    ({ size, acceptors, commits }) => {
      const voters = ['a', 'b', 'c', 'd', 'e'].slice(0, size);
      const r = newRaft('a', { voters });
      electLeader(r);
      sent(r);
      for (const id of voters.slice(1)) r.step(appResp(id, 'a', 2, 1));
      flush(r);
      expect(r.log.committed).toBe(1);
      const { index } = r.propose([text('x')]);
      flush(r);
      for (const id of acceptors) r.step(appResp(id, 'a', 2, index));
      expect(r.log.committed).toBe(commits ? index : 1);
    },
  );

  it.each([[[]], [[2]], [[1, 2]], [[1]]])(
    'committing an entry of the current term also commits the preceding entries %j',
    (previous) => {
      const r = newRaft('a', { term: 2, terms: previous });
      electLeader(r); // term 3
      r.propose([text('some data')]);
      for (const m of ofType(sent(r), 'App')) {
        r.step(appResp(m.to, 'a', 3, m.prevLogIndex + m.entries.length));
      }
      const li = previous.length;
      const want = [...logOf(previous), entry(li + 1, 3), entry(li + 2, 3, 'some data')];
      expect(flush(r).committedEntries).toEqual(want);
    },
  );

  it.each([
    { entries: [entry(1, 1, 'some data')], commit: 1 },
    { entries: [entry(1, 1, 'some data'), entry(2, 1, 'some data2')], commit: 2 },
    { entries: [entry(1, 1, 'some data2'), entry(2, 1, 'some data')], commit: 2 },
    { entries: [entry(1, 1, 'some data'), entry(2, 1, 'some data2')], commit: 1 },
  ])(
    'a follower applies exactly the entries up to the commit index $commit the leader sends',
    ({ entries, commit }) => {
      const r = newRaft('a', { term: 1 });
      r.step(app('b', 'a', 1, { index: 0, term: 0 }, entries, commit));
      expect(r.log.committed).toBe(commit);
      expect(flush(r).committedEntries).toEqual(entries.slice(0, commit));
    },
  );

  it.each([
    // Matches a committed entry: answers with its commit index.
    { prev: { index: 0, term: 0 }, reject: false, index: 1, hintIndex: 0, hintTerm: 0 },
    { prev: { index: 1, term: 1 }, reject: false, index: 1, hintIndex: 0, hintTerm: 0 },
    // Matches an uncommitted entry.
    { prev: { index: 2, term: 2 }, reject: false, index: 2, hintIndex: 0, hintTerm: 0 },
    // The entry exists with another term: rejected, hinting at the last entry of a term <= 1.
    { prev: { index: 2, term: 1 }, reject: true, index: 2, hintIndex: 1, hintTerm: 1 },
    // The entry does not exist: rejected, hinting at its last entry.
    { prev: { index: 3, term: 3 }, reject: true, index: 3, hintIndex: 2, hintTerm: 2 },
  ])(
    'a follower with log [1:1 2:2] checks AppendEntries after ($prev.index, $prev.term): reject=$reject',
    ({ prev, reject, index, hintIndex, hintTerm }) => {
      const r = newRaft('a', { term: 2, terms: [1, 2], commit: 1 });
      r.step(app('b', 'a', 2, prev, [], 1));
      expect(sent(r)).toEqual([
        { type: 'AppResp', from: 'a', to: 'b', term: 2, reject, index, hintIndex, hintTerm },
      ]);
    },
  );

  it.each([
    { prev: { index: 2, term: 2 }, entries: [entry(3, 3)], log: [1, 2, 3], unstable: [entry(3, 3)] },
    {
      prev: { index: 1, term: 1 },
      entries: [entry(2, 3), entry(3, 4)],
      log: [1, 3, 4],
      unstable: [entry(2, 3), entry(3, 4)],
    },
    { prev: { index: 0, term: 0 }, entries: [entry(1, 1)], log: [1, 2], unstable: [] },
    { prev: { index: 0, term: 0 }, entries: [entry(1, 3)], log: [3], unstable: [entry(1, 3)] },
  ])(
    'a follower with log [1:1 2:2] appends new entries after ($prev.index, $prev.term), replacing conflicts, to get $log',
    ({ prev, entries, log, unstable }) => {
      const r = newRaft('a', { term: 2, terms: [1, 2] });
      r.step(app('b', 'a', 4, prev, entries));
      expect(logTerms(r)).toEqual(log);
      expect(flush(r).entries).toEqual(unstable);
    },
  );

  // Figure 7: the leader of term 8 and the possible follower logs (a)–(f).
  const figure7Leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const figure7Followers = [
    { name: '(a) missing an entry', follower: [1, 1, 1, 4, 4, 5, 5, 6, 6] },
    { name: '(b) missing many entries', follower: [1, 1, 1, 4] },
    { name: '(c) with an extra entry of term 6', follower: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6] },
    { name: '(d) with extra entries of term 7', follower: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7] },
    { name: '(e) with extra entries of term 4', follower: [1, 1, 1, 4, 4, 4, 4] },
    { name: '(f) with a long suffix of terms 2 and 3', follower: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3] },
  ];
  for (const { name, follower } of figure7Followers) {
    it(`a new leader makes the follower log of figure 7 ${name} identical to its own`, () => {
      const net = new Network([]);
      const conf = membership(['a', 'b', 'c']);
      net.addMember('a', {
        hardState: { term: 8, vote: '', commit: 10 },
        snapshot: conf,
        entries: logOf(figure7Leader),
      });
      net.addMember('b', {
        hardState: { term: 7, vote: '', commit: 0 },
        snapshot: conf,
        entries: logOf(follower),
      });
      net.elect('a');
      // c exists only to give a its vote: b refuses when its own log is more up to date (d).
      net.raft('a').step({ type: 'VoteResp', from: 'c', to: 'a', term: 9, reject: false });
      net.drain('a');
      expect(net.raft('a').role).toBe('leader');
      net.tick('a');
      const want = [...figure7Leader, 9];
      expect(logTerms(net.raft('a'))).toEqual(want);
      expect(logTerms(net.raft('b'))).toEqual(want);
      expect(net.raft('b').log.committed).toBe(11);
    });
  }
});

// ---- §5.4 ------------------------------------------------------------------------------------

describe('§5.4 safety', () => {
  it.each([
    // Same last term: the longer-or-equal log wins.
    { log: [1], lastTerm: 1, lastIndex: 1, granted: true },
    { log: [1], lastTerm: 1, lastIndex: 2, granted: true },
    { log: [1, 1], lastTerm: 1, lastIndex: 1, granted: false },
    // The candidate's last term is higher: granted whatever the lengths.
    { log: [1], lastTerm: 2, lastIndex: 1, granted: true },
    { log: [1], lastTerm: 2, lastIndex: 2, granted: true },
    { log: [1, 1], lastTerm: 2, lastIndex: 1, granted: true },
    // The voter's last term is higher: refused whatever the lengths.
    { log: [2], lastTerm: 1, lastIndex: 1, granted: false },
    { log: [2], lastTerm: 1, lastIndex: 2, granted: false },
    // Only the last entry's term counts: [2 1] ends in term 1, and is the longer log.
    { log: [2, 1], lastTerm: 1, lastIndex: 1, granted: false },
  ])(
    'a voter with log terms $log asked by a candidate whose log ends at ($lastIndex, $lastTerm) grants: $granted',
    ({ log, lastTerm, lastIndex, granted }) => {
      const r = newRaft('a', { voters: ['a', 'b'], term: 2, terms: log });
      r.step(vote('b', 'a', 3, { index: lastIndex, term: lastTerm }));
      expect(sent(r)).toEqual([{ type: 'VoteResp', from: 'a', to: 'b', term: 3, reject: !granted }]);
    },
  );

  it.each([
    { acked: 1, commit: 0 },
    { acked: 2, commit: 0 },
    { acked: 3, commit: 3 },
  ])(
    'a leader of term 3 with log [1:1 2:2] does not commit by counting replicas of older terms (follower acks $acked → commit $commit)',
    ({ acked, commit }) => {
      const r = newRaft('a', { voters: ['a', 'b'], term: 2, terms: [1, 2] });
      electLeader(r); // term 3, appends 3:3
      r.propose([text('x')]);
      sent(r);
      r.step(appResp('b', 'a', 3, acked));
      expect(r.log.committed).toBe(commit);
    },
  );

  it('a leader elected without the newest uncommitted entries overwrites them on the members that hold them', () => {
    // a won term 1 and replicated index 6 to b only; c won term 2 and wrote index 6 alone;
    // d and e voted for c in term 2 but received nothing.
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const base = bootstrapEntries(ids.map((id) => ({ id, address: '' })));
    const net = new Network([]);
    const disk = (term: number, voted: MemberId, extra: Entry[]) => ({
      hardState: { term, vote: voted, commit: base.length },
      snapshot: null,
      entries: [...base, ...extra],
    });
    net.addMember('a', disk(1, '', [entry(6, 1, 'from a')]));
    net.addMember('b', disk(1, '', [entry(6, 1, 'from a')]));
    net.addMember('c', disk(2, 'c', [entry(6, 2, 'from c')]));
    net.addMember('d', disk(2, 'c', []));
    net.addMember('e', disk(2, 'c', []));

    // A majority already knows term 2: a's first campaign fails but teaches it the term.
    net.elect('a');
    expect(net.raft('a').role).toBe('follower');
    expect(net.raft('a').term).toBe(2);
    // Its next campaign, in term 3, wins; c refuses (its own log is newer) but is outvoted.
    net.elect('a');
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('a').term).toBe(3);
    for (const id of ids) {
      expect(logTerms(net.raft(id)).slice(5), id).toEqual([1, 3]);
      expect(dec.decode(net.raft(id).log.entryAt(6)!.data), id).toBe('from a');
    }
  });
});
