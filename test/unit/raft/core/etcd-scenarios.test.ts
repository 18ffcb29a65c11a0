// Scenarios from etcd's raft tests (raft_test.go, raft_snap_test.go, raft_flow_control_test.go)
// ported to this core: cluster behaviour on the in-memory Network, one node's reaction by
// stepping hand-built messages into a single Raft and reading ready().messages.

import { describe, expect, it } from 'vitest';
import { encodeConfChange } from '../../../../src/raft/core/conf-change.js';
import {
  InvalidConfChangeError,
  NotLeaderError,
  ProposalDroppedError,
} from '../../../../src/raft/core/errors.js';
import {
  ConfChangeType,
  EntryType,
  type HeartbeatResponse,
  type MemberId,
  type ProposeRequest,
  type Snapshot,
  type SnapshotChunk,
  type SnapshotResponse,
} from '../../../../src/raft/core/messages.js';
import { Raft, defaultRaftConfig, type RaftConfig } from '../../../../src/raft/core/raft.js';
import { Network } from '../../../support/raft-network.js';
import {
  app,
  appResp,
  electLeader,
  entry,
  flush,
  heartbeat,
  logTerms,
  membership,
  newRaft,
  ofType,
  sent,
  text,
  vote,
} from '../../../support/raft-single.js';

// ---- Helpers ---------------------------------------------------------------------------------

const enc = new TextEncoder();
const electionTick = defaultRaftConfig.electionTick;

function confChange(type: ConfChangeType, member: MemberId): { type: EntryType; data: Uint8Array } {
  return { type: EntryType.ConfChange, data: encodeConfChange({ type, member, address: '' }) };
}

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

function heartbeatResp(from: MemberId, to: MemberId, term: number): HeartbeatResponse {
  return { type: 'HeartbeatResp', from, to, term, context: '' };
}

function snapChunk(
  from: MemberId,
  to: MemberId,
  term: number,
  meta: { index: number; term: number; voters?: MemberId[] },
  data: Uint8Array,
  offset = 0,
  totalSize = data.length,
): SnapshotChunk {
  return {
    type: 'Snap',
    from,
    to,
    term,
    metadata: {
      index: meta.index,
      term: meta.term,
      confState: { voters: meta.voters ?? ['a', 'b', 'c'], learners: [], addresses: {} },
    },
    totalSize,
    offset,
    data,
  };
}

function snapResp(
  from: MemberId,
  to: MemberId,
  term: number,
  snap: { index: number; term: number },
  fields: Pick<SnapshotResponse, 'received' | 'done' | 'reject'>,
): SnapshotResponse {
  return { type: 'SnapResp', from, to, term, snapshotIndex: snap.index, snapshotTerm: snap.term, ...fields };
}

/** A member's disk that only holds a membership: voters and learners known from the start. */
function membershipDisk(voters: MemberId[], learners: MemberId[] = []) {
  return { hardState: { term: 1, vote: '', commit: 0 }, snapshot: membership(voters, learners), entries: [] };
}

const emptyDisk = { hardState: { term: 0, vote: '', commit: 0 }, snapshot: null, entries: [] };

/** The member snapshots everything it applied (keeping `retain` entries) and persists the snapshot. */
function compactTo(net: Network, id: MemberId, data: Uint8Array, retain = 0): Snapshot {
  const r = net.raft(id);
  const snap = r.compact(r.log.applied, data, retain);
  net.member(id).disk.snapshot = snap;
  return snap;
}

function leaderOf(net: Network, ids: MemberId[]): MemberId | undefined {
  return ids.find((id) => net.raft(id).role === 'leader');
}

// ---- Elections -------------------------------------------------------------------------------

describe('elections', () => {
  it('dueling candidates: the one with the shorter log deposes the leader but cannot win, and all settle on its term', () => {
    const net = new Network(['a', 'b', 'c']);
    net.cut('a', 'c');
    net.elect('a');
    net.elect('c');
    expect(net.raft('a').role).toBe('leader');
    // c got its own vote and b's refusal (b already voted for a in term 2).
    expect(net.raft('c').role).toBe('candidate');

    net.recover();
    net.elect('c');
    for (const id of ['a', 'b', 'c']) {
      expect(net.raft(id).role, id).toBe('follower');
      expect(net.raft(id).term, id).toBe(3);
    }
    expect(logTerms(net.raft('a'))).toEqual([1, 1, 1, 2]);
    expect(logTerms(net.raft('b'))).toEqual([1, 1, 1, 2]);
    expect(net.raft('b').log.committed).toBe(4);
    expect(logTerms(net.raft('c'))).toEqual([1, 1, 1]);
  });

  it('dueling pre-candidates: a pre-candidate with the shorter log raises no term and the leader stays', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true });
    net.cut('a', 'c');
    net.elect('a');
    net.elect('c');
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('c').role).toBe('follower'); // b refused its pre-vote

    net.recover();
    net.elect('c');
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('a').term).toBe(2);
    expect(net.raft('b').leader).toBe('a');
    expect(net.raft('b').term).toBe(2);
    expect(net.raft('c').role).toBe('follower');
    expect(net.raft('c').term).toBe(2);
  });

  it('a candidate concedes to the leader of its term and takes its log', () => {
    const net = new Network(['a', 'b', 'c']);
    net.isolate('a');
    net.elect('a');
    net.elect('c');
    expect(net.raft('a').role).toBe('candidate');
    expect(net.raft('c').role).toBe('leader');
    expect(net.raft('a').term).toBe(net.raft('c').term);

    net.recover();
    net.tick('c'); // c's heartbeat reaches the candidate of the same term
    expect(net.raft('a').role).toBe('follower');
    expect(net.raft('a').leader).toBe('c');
    net.propose('c', 'force follower');
    net.tick('c');
    for (const id of ['a', 'b', 'c']) {
      expect(logTerms(net.raft(id)), id).toEqual([1, 1, 1, 2, 2]);
      expect(net.appliedTexts(id), id).toEqual(['force follower']);
    }
  });

  it.each([false, true])('a single member (preVote=%s) elects itself and commits alone', (preVote) => {
    const net = new Network(['a'], { preVote });
    net.elect('a');
    expect(net.raft('a').role).toBe('leader');
    net.propose('a', 'x');
    net.propose('a', 'y');
    expect(net.raft('a').log.committed).toBe(4);
    expect(net.appliedTexts('a')).toEqual(['x', 'y']);
  });

  it('ignores AppendEntries from a leader of an older term', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.elect('b');
    net.elect('a');
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('a').term).toBe(4);
    // b, the leader of term 3, tries to make progress.
    net.send(app('b', 'a', 3, { index: 5, term: 3 }, [entry(6, 3, 'stale')], 6));
    net.propose('a', 'somedata');
    for (const id of ['a', 'b', 'c']) {
      expect(logTerms(net.raft(id)), id).toEqual([1, 1, 1, 2, 3, 4, 4]);
      expect(net.appliedTexts(id), id).toEqual(['somedata']);
    }
  });

  it('a member partitioned with an old term learns the current term from pre-vote refusals, and a leader is still elected', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true });
    net.cut('a', 'c');
    net.cut('b', 'c');
    net.elect('a');
    net.elect('c');
    net.elect('b');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('a').term).toBe(3);
    expect(net.raft('c').role).toBe('pre-candidate');
    expect(net.raft('c').term).toBe(1);

    // b crashes while c comes back.
    net.recover();
    net.cut('b', 'a');
    net.cut('b', 'c');
    net.elect('c');
    expect(net.raft('c').term).toBe(3);
    net.elect('a');
    expect(leaderOf(net, ['a', 'c'])).toBe('a');
  });
});

// ---- Proposals -------------------------------------------------------------------------------

describe('proposals', () => {
  it.each([
    { size: 3, reachable: 3, commits: true },
    { size: 3, reachable: 2, commits: true },
    { size: 3, reachable: 1, commits: false },
    { size: 4, reachable: 2, commits: false },
    { size: 5, reachable: 3, commits: true },
  ])(
    'a proposal in a cluster of $size with $reachable reachable members commits: $commits',
    ({ size, reachable, commits }) => {
      const ids = ['a', 'b', 'c', 'd', 'e'].slice(0, size);
      const net = new Network(ids);
      for (const id of ids.slice(reachable)) net.isolate(id);
      net.elect('a');
      if (commits) {
        net.propose('a', 'somedata');
        for (const id of ids.slice(0, reachable)) expect(net.appliedTexts(id), id).toEqual(['somedata']);
      } else {
        expect(net.raft('a').role).toBe('candidate');
        const last = net.raft('a').log.lastIndex();
        expect(() => net.propose('a', 'somedata')).toThrowError(NotLeaderError);
        expect(net.raft('a').log.lastIndex()).toBe(last);
      }
    },
  );

  it('refuses proposals and reads on a member that knows no leader', () => {
    const r = newRaft('b');
    const noLeader = expect.objectContaining({ code: 'NOT_LEADER', leaderId: '' }) as Error;
    expect(() => r.propose([text('x')])).toThrowError(noLeader);
    expect(() => r.forwardProposal([text('x')], ['p'])).toThrowError(noLeader);
    expect(() => r.readIndex('r')).toThrowError(noLeader);
    expect(sent(r)).toEqual([]);
    expect(r.log.lastIndex()).toBe(0);
  });

  it('a follower forwards a proposal to the leader, which commits it and says where it went (proposal by proxy)', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.raft('b').forwardProposal([text('somedata')], ['p1']);
    net.drain('b');
    for (const id of ['a', 'b', 'c']) expect(net.appliedTexts(id), id).toEqual(['somedata']);
    expect(net.member('b').proposalResults).toEqual([
      { contexts: ['p1'], index: 5, term: 2, rejectReason: '' },
    ]);
  });

  it('appends a duplicated forwarded proposal once and answers both copies with the same place', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    const prop: ProposeRequest = {
      type: 'Prop',
      from: 'b',
      to: 'a',
      term: 0,
      entries: [text('once')],
      contexts: ['dup'],
    };
    net.send(prop, prop);
    expect(net.member('b').proposalResults.map((r) => [r.index, r.rejectReason])).toEqual([
      [5, ''],
      [5, ''],
    ]);
    expect(net.appliedTexts('c')).toEqual(['once']);
  });

  it('answers forwarded proposals it cannot take with the reason', () => {
    const prop = (items: Array<{ type: EntryType; data: Uint8Array }>, ctx: string): ProposeRequest => ({
      type: 'Prop',
      from: 'b',
      to: 'a',
      term: 0,
      entries: items,
      contexts: [ctx],
    });
    const reasons = (r: Raft) =>
      ofType(sent(r), 'PropResp').map((m) => [m.contexts[0], m.index, m.rejectReason]);

    const follower = newRaft('a');
    follower.step(prop([text('x')], 'p1'));
    expect(reasons(follower)).toEqual([['p1', 0, 'not-leader']]);

    const leader = newRaft('a');
    electLeader(leader);
    // A new leader takes no membership change before its first entry commits.
    leader.step(prop([confChange(ConfChangeType.AddLearner, 'd')], 'p2'));
    expect(reasons(leader)).toEqual([['p2', 0, 'conf-change-pending']]);
    leader.step(appResp('b', 'a', 2, 1));
    flush(leader);
    leader.step(prop([confChange(ConfChangeType.Remove, 'zz')], 'p3'));
    expect(reasons(leader)).toEqual([['p3', 0, 'invalid-conf-change']]);
    leader.transferLeadership('c');
    leader.step(prop([text('x')], 'p4'));
    expect(reasons(leader)).toEqual([['p4', 0, 'transferring']]);
    expect(leader.log.lastIndex()).toBe(1);
  });

  it('commits entries of an earlier term once the next leader commits an entry of its own', () => {
    const net = new Network(['a', 'b', 'c', 'd', 'e']);
    net.elect('a');
    net.cut('a', 'c');
    net.cut('a', 'd');
    net.cut('a', 'e');
    net.propose('a', 'x');
    net.propose('a', 'y');
    expect(net.raft('a').log.committed).toBe(6); // only a and b hold x and y
    expect(net.appliedTexts('a')).toEqual([]);

    net.recover();
    net.elect('b');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('a').log.committed).toBe(9);
    expect(net.appliedTexts('a')).toEqual(['x', 'y']);
    net.tick('b');
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      expect(net.raft(id).log.committed, id).toBe(9);
      expect(net.appliedTexts(id), id).toEqual(['x', 'y']);
    }
  });
});

// ---- Replication: AppendEntries responses and heartbeats ---------------------------------------

describe('leader handling of AppendEntries responses', () => {
  /** Leader a of {a, b, c} in term 2 with log [1:1 2:1 3:2]; b is probed at next 3. */
  function probingLeader(): Raft {
    const r = newRaft('a', { terms: [1, 1], commit: 0 });
    electLeader(r);
    sent(r);
    return r;
  }

  const responses = [
    {
      name: 'a rejection of an index it did not probe is stale and ignored',
      resp: appResp('b', 'a', 2, 3, { hintIndex: 2, hintTerm: 1 }),
      progress: { match: 0, next: 3, state: 'probe' },
      apps: [],
      commit: 0,
    },
    {
      name: 'a rejection moves next back to the hint and probes there',
      resp: appResp('b', 'a', 2, 2, { hintIndex: 1, hintTerm: 1 }),
      progress: { match: 0, next: 2, state: 'probe' },
      apps: [{ to: 'b', prevLogIndex: 1, entries: 2, commit: 0 }],
      commit: 0,
    },
    {
      name: 'an acceptance moves match and next, commits, and tells the follower (the other is still probed)',
      resp: appResp('b', 'a', 2, 3),
      progress: { match: 3, next: 4, state: 'replicate' },
      apps: [{ to: 'b', prevLogIndex: 3, entries: 0, commit: 3 }],
      commit: 3,
    },
    {
      name: 'an acceptance at the match index ends probing and sends everything after it',
      resp: appResp('b', 'a', 2, 0),
      progress: { match: 0, next: 4, state: 'replicate' },
      apps: [{ to: 'b', prevLogIndex: 0, entries: 3, commit: 0 }],
      commit: 0,
    },
  ];
  for (const { name, resp, progress, apps, commit } of responses) {
    it(name, () => {
      const r = probingLeader();
      r.step(resp);
      const out = ofType(sent(r), 'App').map((m) => ({
        to: m.to,
        prevLogIndex: m.prevLogIndex,
        entries: m.entries.length,
        commit: m.commit,
      }));
      expect(out).toEqual(apps);
      expect(r.status().progress.b).toMatchObject(progress);
      expect(r.log.committed).toBe(commit);
    });
  }

  it('tells a follower that was paused the commit index as soon as it answers, not at the next heartbeat', () => {
    const r = newRaft('a');
    electLeader(r);
    sent(r); // [1] to b and c, which are then paused until they answer
    r.step(appResp('b', 'a', 2, 1)); // commits 1; c is paused and is not told
    expect(r.log.committed).toBe(1);
    expect(ofType(sent(r), 'App').map((m) => [m.to, m.commit])).toEqual([['b', 1]]);
    r.step(appResp('c', 'a', 2, 1));
    // etcd: "If we were paused before, this node may be missing the latest commit index, so send it."
    expect(ofType(sent(r), 'App').map((m) => [m.to, m.commit])).toEqual([['c', 1]]);
  });

  it('ignores late acknowledgements and rejections of indexes already known to match', () => {
    const r = probingLeader();
    r.step(appResp('b', 'a', 2, 3));
    r.propose([text('x')]);
    sent(r);
    expect(r.status().progress.b).toMatchObject({ match: 3, next: 5, state: 'replicate' });
    r.step(appResp('b', 'a', 2, 1));
    r.step(appResp('b', 'a', 2, 2, { hintIndex: 1, hintTerm: 1 }));
    expect(sent(r)).toEqual([]);
    expect(r.status().progress.b).toMatchObject({ match: 3, next: 5, state: 'replicate' });
  });

  it('ignores acknowledgements from an older term', () => {
    const r = probingLeader();
    r.step(appResp('b', 'a', 1, 3));
    expect(sent(r)).toEqual([]);
    expect(r.status().progress.b).toMatchObject({ match: 0, state: 'probe' });
    expect(r.log.committed).toBe(0);
  });

  it('falls back from replicate to probing after the match index when a pipelined append is rejected', () => {
    const r = probingLeader();
    r.step(appResp('b', 'a', 2, 3));
    sent(r);
    r.propose([text('x')]);
    sent(r); // prev 3, [4]: lost
    r.propose([text('y')]);
    sent(r); // prev 4, [5]: rejected
    r.step(appResp('b', 'a', 2, 4, { hintIndex: 3, hintTerm: 2 }));
    const apps = ofType(sent(r), 'App').filter((m) => m.to === 'b');
    expect(apps.map((m) => [m.prevLogIndex, m.entries.map((e) => e.index)])).toEqual([[3, [4, 5]]]);
    expect(r.status().progress.b?.state).toBe('probe');
  });

  it("uses the follower's hint to skip a whole conflicting term in one round trip", () => {
    // Figure 7 (e): the follower's log ends 5:4 6:4 7:4; the leader's has 5:4 6:5 7:5.
    const r = newRaft('a', { term: 8, terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6], commit: 0 });
    electLeader(r);
    sent(r);
    r.step(appResp('b', 'a', 9, 10, { hintIndex: 7, hintTerm: 4 }));
    const apps = ofType(sent(r), 'App');
    expect(apps.map((m) => [m.to, m.prevLogIndex, m.prevLogTerm])).toEqual([['b', 5, 4]]);
  });
});

describe('heartbeats', () => {
  it('carry to each follower the commit index capped at what that follower is known to hold', () => {
    const r = newRaft('a', { snapshot: membership(['a', 'b', 'c'], [], 1000, 1) });
    electLeader(r); // 1001
    r.propose(Array.from({ length: 10 }, (_, i) => text(`e${i}`))); // 1002..1011
    sent(r);
    r.step(appResp('c', 'a', 2, 1011));
    r.step(appResp('b', 'a', 2, 1005));
    expect(r.log.committed).toBe(1011);
    sent(r);
    r.tick();
    const beats = ofType(sent(r), 'Heartbeat');
    expect(beats.map((m) => [m.to, m.commit])).toEqual([
      ['b', 1005],
      ['c', 1011],
    ]);
  });

  it.each([
    { commit: 3, want: 3 },
    { commit: 1, want: 2 },
  ])(
    'a follower at commit 2 that gets a heartbeat with commit $commit commits $want and answers',
    ({ commit, want }) => {
      const r = newRaft('a', { term: 2, terms: [1, 1, 2], commit: 2 });
      r.step(heartbeat('b', 'a', 2, commit));
      expect(r.log.committed).toBe(want);
      expect(sent(r)).toEqual([heartbeatResp('a', 'b', 2)]);
    },
  );

  it('are sent by a leader only', () => {
    const r = newRaft('a');
    for (let i = 0; i < electionTick - 1; i++) r.tick();
    expect(ofType(sent(r), 'Heartbeat')).toEqual([]);
    r.campaignNow();
    for (let i = 0; i < electionTick - 1; i++) r.tick();
    expect(ofType(sent(r), 'Heartbeat')).toEqual([]);
    electLeader(r);
    sent(r);
    r.tick();
    expect(ofType(sent(r), 'Heartbeat').map((m) => m.to)).toEqual(['b', 'c']);
  });
});

// ---- Flow control ----------------------------------------------------------------------------

describe('flow control', () => {
  /** Leader a of {a, b}: elected in term 2 with its empty entry at index 1 sent to b. */
  function pairLeader(config: Partial<RaftConfig> = {}): Raft {
    const r = newRaft('a', { voters: ['a', 'b'], config });
    electLeader(r);
    return r;
  }

  it('sends a probed follower one AppendEntries until it answers, whatever the proposals and heartbeats', () => {
    const r = pairLeader();
    expect(ofType(sent(r), 'App').map((m) => m.prevLogIndex)).toEqual([0]);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) r.propose([text(`r${round}-${i}`)]);
      expect(ofType(sent(r), 'App')).toEqual([]);
      r.tick();
      expect(sent(r).map((m) => m.type)).toEqual(['Heartbeat']);
    }
    // A heartbeat response lets one more probe through, with everything b may lack.
    r.step(heartbeatResp('b', 'a', 2));
    const probe = ofType(sent(r), 'App');
    expect(probe.map((m) => [m.prevLogIndex, m.entries.length])).toEqual([[0, 31]]);
    r.propose([text('more')]);
    expect(ofType(sent(r), 'App')).toEqual([]);
  });

  it('sends new entries only to followers that are not waiting for a probe answer, and catches up the others when they answer', () => {
    const r = newRaft('a');
    electLeader(r);
    sent(r);
    r.step(appResp('b', 'a', 2, 1));
    expect(r.log.committed).toBe(1);
    sent(r);
    r.propose([text('x')]);
    let apps = ofType(sent(r), 'App');
    expect(apps.map((m) => [m.to, m.entries.map((e) => e.index)])).toEqual([['b', [2]]]);
    r.step(appResp('c', 'a', 2, 1));
    apps = ofType(sent(r), 'App');
    expect(apps.map((m) => [m.to, m.entries.map((e) => e.index)])).toEqual([['c', [2]]]);
  });

  /** A pair leader replicating to b with a window of 3 messages of one entry each, the window full. */
  function fullWindowLeader(): Raft {
    const r = pairLeader({ maxInflightMsgs: 3, maxSizePerMsg: 1 });
    sent(r);
    r.step(appResp('b', 'a', 2, 1));
    sent(r);
    expect(r.status().progress.b?.state).toBe('replicate');
    for (let i = 0; i < 3; i++) {
      r.propose([text(`w${i}`)]);
      const apps = ofType(sent(r), 'App');
      expect(apps.map((m) => m.entries.map((e) => e.index))).toEqual([[i + 2]]);
    }
    return r;
  }

  it('pipelines AppendEntries in replicate state until the in-flight window is full, then pauses', () => {
    const r = fullWindowLeader();
    for (let i = 0; i < 10; i++) {
      r.propose([text(`p${i}`)]);
      expect(ofType(sent(r), 'App')).toEqual([]);
    }
    expect(r.log.lastIndex()).toBe(14);
  });

  it('sends one more AppendEntries for each acknowledgement that frees a slot of the window', () => {
    const r = fullWindowLeader();
    for (let i = 0; i < 10; i++) r.propose([text(`p${i}`)]);
    sent(r);
    // In flight: 2, 3, 4. Waiting: 5..14.
    for (let acked = 2; acked <= 11; acked++) {
      r.step(appResp('b', 'a', 2, acked));
      const apps = ofType(sent(r), 'App');
      expect(apps.map((m) => m.entries.map((e) => e.index))).toEqual([[acked + 3]]);
    }
    // A duplicate of an old acknowledgement frees nothing.
    r.step(appResp('b', 'a', 2, 5));
    expect(ofType(sent(r), 'App')).toEqual([]);
  });

  it('lets one AppendEntries through per heartbeat response while the window stays full', () => {
    const r = fullWindowLeader();
    for (let i = 0; i < 10; i++) r.propose([text(`p${i}`)]);
    sent(r);
    for (let round = 0; round < 4; round++) {
      r.step(heartbeatResp('b', 'a', 2));
      const apps = ofType(sent(r), 'App');
      expect(apps.map((m) => m.entries.map((e) => e.index))).toEqual([[5 + round]]);
      r.propose([text(`q${round}`)]);
      expect(ofType(sent(r), 'App')).toEqual([]);
    }
  });
});

// ---- Snapshots -------------------------------------------------------------------------------

describe('snapshots', () => {
  /** Leader a of {a, b, c} in term 2 whose log [1..5] of term 1 is compacted into a snapshot at 5. */
  function compactedLeader(): Raft {
    const r = newRaft('a', { terms: [1, 1, 1, 1, 1], commit: 5 }); // applied up to 5 by newRaft
    r.compact(5, enc.encode('state at 5'));
    electLeader(r); // 6:2
    sent(r);
    r.step(appResp('c', 'a', 2, 6));
    sent(r);
    return r;
  }

  it('switches a follower that needs compacted entries to snapshot state and sends no entries while it lasts', () => {
    const r = compactedLeader();
    r.step(appResp('b', 'a', 2, 5, { hintIndex: 0, hintTerm: 0 }));
    const out = sent(r);
    expect(ofType(out, 'App')).toEqual([]);
    const snaps = ofType(out, 'Snap');
    expect(snaps.map((m) => [m.to, m.metadata.index, m.metadata.term, m.offset, m.totalSize])).toEqual([
      ['b', 5, 1, 0, 10],
    ]);
    expect(r.status().progress.b?.state).toBe('snapshot');
    r.propose([text('x')]);
    expect(ofType(sent(r), 'App').map((m) => m.to)).toEqual(['c']);
  });

  it('returns the follower to probing right after the snapshot once it is installed, and then replicates', () => {
    const r = compactedLeader();
    r.step(appResp('b', 'a', 2, 5, { hintIndex: 0, hintTerm: 0 }));
    sent(r);
    r.propose([text('x')]); // 7
    sent(r);
    // An answer about another snapshot changes nothing.
    r.step(snapResp('b', 'a', 2, { index: 4, term: 1 }, { received: 10, done: true, reject: false }));
    expect(sent(r)).toEqual([]);
    expect(r.status().progress.b?.state).toBe('snapshot');

    r.step(snapResp('b', 'a', 2, { index: 5, term: 1 }, { received: 10, done: true, reject: false }));
    const apps = ofType(sent(r), 'App');
    expect(apps.map((m) => [m.to, m.prevLogIndex, m.prevLogTerm, m.entries.length])).toEqual([
      ['b', 5, 1, 2],
    ]);
    expect(r.status().progress.b).toMatchObject({ state: 'probe', match: 5 });
    r.step(appResp('b', 'a', 2, 7));
    expect(r.status().progress.b).toMatchObject({ state: 'replicate', match: 7, next: 8 });
  });

  it('a follower restores its log, commit index and membership from a snapshot', () => {
    const r = newRaft('b', { term: 1, terms: [1, 1, 1], commit: 1 });
    r.step(snapChunk('a', 'b', 2, { index: 11, term: 2, voters: ['a', 'b', 'c', 'd'] }, bytes(3, 7)));
    const rd = flush(r);
    expect(rd.snapshot?.metadata.index).toBe(11);
    expect(rd.snapshot?.data).toEqual(bytes(3, 7));
    expect(rd.messages).toEqual([
      snapResp('b', 'a', 2, { index: 11, term: 2 }, { received: 3, done: true, reject: false }),
    ]);
    expect(rd.confState?.voters).toEqual(['a', 'b', 'c', 'd']);
    expect(r.log.snapshotIndex).toBe(11);
    expect(r.log.lastIndex()).toBe(11);
    expect(r.log.committed).toBe(11);
    expect(r.leader).toBe('a');
  });

  it('ignores a snapshot that is not newer than its commit index', () => {
    const r = newRaft('b', { term: 1, terms: [1, 1, 1], commit: 3 });
    r.step(snapChunk('a', 'b', 1, { index: 2, term: 1 }, bytes(3, 7)));
    const rd = flush(r);
    expect(rd.snapshot).toBeNull();
    expect(rd.messages).toEqual([
      snapResp('b', 'a', 1, { index: 2, term: 1 }, { received: 3, done: true, reject: false }),
    ]);
    expect(r.log.snapshotIndex).toBe(0);
    expect(logTerms(r)).toEqual([1, 1, 1]);
  });

  it("only fast-forwards its commit index when its log already holds the snapshot's last entry", () => {
    const r = newRaft('b', { term: 1, terms: [1, 1, 1, 1], commit: 1 });
    r.step(snapChunk('a', 'b', 1, { index: 3, term: 1 }, bytes(3, 7)));
    const rd = flush(r);
    expect(rd.snapshot).toBeNull();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2, 3]);
    expect(r.log.committed).toBe(3);
    expect(r.log.snapshotIndex).toBe(0);
    expect(r.log.lastIndex()).toBe(4);
  });

  it('a follower abandons a partly received snapshot when a newer one starts, and ignores the rest of the old one', () => {
    const r = newRaft('b', { term: 1, terms: [1], commit: 1 });
    const older = { index: 5, term: 2 };
    const newer = { index: 8, term: 2 };
    r.step(snapChunk('a', 'b', 2, older, bytes(5, 1), 0, 10));
    expect(sent(r)).toEqual([snapResp('b', 'a', 2, older, { received: 5, done: false, reject: false })]);
    r.step(snapChunk('a', 'b', 2, newer, bytes(4, 2)));
    let rd = flush(r);
    expect(rd.snapshot?.metadata.index).toBe(8);
    expect(rd.snapshot?.data).toEqual(bytes(4, 2));
    r.step(snapChunk('a', 'b', 2, older, bytes(5, 1), 5, 10));
    rd = flush(r);
    expect(rd.snapshot).toBeNull();
    expect(r.log.snapshotIndex).toBe(8);
    expect(r.log.committed).toBe(8);
  });

  it('the leader restarts a transfer with its newer snapshot when it compacts again mid-transfer', () => {
    const net = new Network(['a', 'b', 'c'], {
      config: { snapshotChunkBytes: 100, maxSnapshotChunksInFlight: 1 },
    });
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 3; i++) net.propose('a', `v${i}`);
    const older = compactTo(net, 'a', bytes(300, 1));
    net.recover();
    net.filter = (m) => m.type === 'SnapResp'; // c's acknowledgements are lost: the transfer stalls
    net.tick('a');
    const chunksOf = (index: number) =>
      net.trace.filter((m): m is SnapshotChunk => m.type === 'Snap' && m.metadata.index === index);
    expect(chunksOf(older.metadata.index).map((m) => m.offset)).toEqual([0]);

    net.propose('a', 'more');
    const newer = compactTo(net, 'a', bytes(250, 2));
    net.filter = null;
    for (let i = 0; i < 10 && net.raft('c').log.snapshotIndex !== newer.metadata.index; i++) net.tick('a');
    expect(net.member('c').disk.snapshot?.metadata.index).toBe(newer.metadata.index);
    expect(net.member('c').disk.snapshot?.data).toEqual(newer.data);
    expect(chunksOf(newer.metadata.index).map((m) => m.offset)).toEqual([0, 100, 200]);
    net.propose('a', 'after');
    expect(net.appliedTexts('c')).toEqual(['after']);
  });

  it('catches up a follower from the entries kept behind a snapshot, without sending the snapshot', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 3; i++) net.propose('a', `v${i}`);
    compactTo(net, 'a', bytes(10, 1), 5);
    expect(net.raft('a').log.snapshotIndex).toBeGreaterThan(0);
    net.recover();
    net.tick('a');
    expect(net.trace.some((m) => m.type === 'Snap')).toBe(false);
    expect(net.appliedTexts('c')).toEqual(['v0', 'v1', 'v2']);
    expect(net.raft('c').log.committed).toBe(net.raft('a').log.committed);
  });

  it('a learner restores from a snapshot, learns it is a learner, and never campaigns', () => {
    const net = new Network([]);
    net.addMember('a', membershipDisk(['a', 'b'], ['c']));
    net.addMember('b', membershipDisk(['a', 'b'], ['c']));
    net.addMember('c', emptyDisk);
    net.isolate('c');
    net.elect('a');
    net.propose('a', 'x');
    compactTo(net, 'a', bytes(20, 3));
    net.recover();
    net.tick('a');
    expect(net.member('c').disk.snapshot?.data).toEqual(bytes(20, 3));
    expect(net.raft('c').confState()).toMatchObject({ voters: ['a', 'b'], learners: ['c'] });
    const term = net.raft('c').term;
    net.isolate('c');
    for (let i = 0; i < 5 * electionTick; i++) net.tick('c');
    expect(net.raft('c').role).toBe('follower');
    expect(net.raft('c').term).toBe(term);
    net.recover();
    net.propose('a', 'after');
    expect(net.appliedTexts('c')).toEqual(['after']);
  });
});

// ---- PreVote ---------------------------------------------------------------------------------

describe('PreVote', () => {
  it('grants a pre-vote for a later term without changing its own term or vote', () => {
    const r = newRaft('b', { term: 2, vote: 'a', terms: [1, 2], config: { preVote: true } });
    r.step(vote('c', 'b', 3, { index: 2, term: 2 }, { type: 'PreVote' }));
    const rd = flush(r);
    expect(rd.messages).toEqual([{ type: 'PreVoteResp', from: 'b', to: 'c', term: 3, reject: false }]);
    expect(rd.hardState).toBeNull();
    expect([r.term, r.vote]).toEqual([2, 'a']);
    // A pre-vote for a candidate whose log is behind is refused.
    r.step(vote('c', 'b', 3, { index: 1, term: 1 }, { type: 'PreVote' }));
    expect(sent(r)).toEqual([{ type: 'PreVoteResp', from: 'b', to: 'c', term: 2, reject: true }]);
    // A real vote in term 2 is still refused: b voted for a.
    r.step(vote('c', 'b', 2, { index: 2, term: 2 }));
    expect(sent(r)).toEqual([{ type: 'VoteResp', from: 'b', to: 'c', term: 2, reject: true }]);
  });

  it('a split pre-vote leads to a split election, which the next campaign resolves', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true });
    net.elect('a');
    net.isolate('a');
    net.raft('b').campaignNow();
    net.raft('c').campaignNow();
    net.drain();
    for (const id of ['b', 'c']) {
      expect(net.raft(id).role, id).toBe('candidate');
      expect(net.raft(id).term, id).toBe(3);
    }
    net.elect('b');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('b').term).toBe(4);
    expect(net.raft('c').role).toBe('follower');
    expect(net.raft('c').leader).toBe('b');
  });

  it('a member whose log is behind cannot win a pre-vote, so its term stays put while an up-to-date member wins', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true });
    net.elect('a');
    net.isolate('c');
    net.propose('a', 'x');
    net.recover();
    net.isolate('a'); // the leader dies
    net.elect('c');
    // b refuses; without a's answer c can neither win nor lose, and its term has not moved.
    expect(net.raft('c').role).toBe('pre-candidate');
    expect(net.raft('c').term).toBe(2);
    expect(net.raft('b').term).toBe(2);
    net.elect('b');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('b').term).toBe(3);
    expect(net.appliedTexts('c')).toEqual(['x']);
  });

  it('with CheckQuorum, a follower in its lease ignores pre-votes while a member that lost the leader grants them', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
    net.elect('a');
    net.isolate('a');
    net.elect('c'); // b still holds a's lease
    expect(net.raft('c').role).toBe('pre-candidate');
    expect(net.raft('b').term).toBe(2);
    net.elect('b'); // c has no leader any more and grants
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('c').leader).toBe('b');
  });
});

// ---- CheckQuorum -----------------------------------------------------------------------------

describe('CheckQuorum', () => {
  /** Follower b of leader a in term 2 with CheckQuorum on and an election timeout of 2·electionTick − 1. */
  function followerInLease(): Raft {
    const r = newRaft('b', { term: 2, terms: [1, 2], config: { checkQuorum: true, random: () => 0.99 } });
    r.step(heartbeat('a', 'b', 2));
    sent(r);
    expect(r.leader).toBe('a');
    return r;
  }

  it('a follower that hears from its leader ignores a higher-term vote, and grants it once the lease expires', () => {
    const r = followerInLease();
    r.step(vote('c', 'b', 3, { index: 2, term: 2 }));
    expect(sent(r)).toEqual([]);
    expect(r.term).toBe(2);
    for (let i = 0; i < electionTick; i++) r.tick();
    expect(sent(r)).toEqual([]); // its own election timeout has not expired yet
    r.step(vote('c', 'b', 3, { index: 2, term: 2 }));
    expect(sent(r)).toEqual([{ type: 'VoteResp', from: 'b', to: 'c', term: 3, reject: false }]);
    expect(r.term).toBe(3);
  });

  it('a vote request marked as a leadership transfer is not refused by the lease', () => {
    const r = followerInLease();
    r.step(vote('c', 'b', 3, { index: 2, term: 2 }, { transfer: true }));
    expect(sent(r)).toEqual([{ type: 'VoteResp', from: 'b', to: 'c', term: 3, reject: false }]);
  });

  it('a leader that hears from a majority keeps leading in the same term', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    const term = net.raft('a').term;
    net.isolate('c');
    net.tickAll(5 * electionTick);
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('a').term).toBe(term);
  });

  it('a partitioned leader steps down, and its uncommitted entries give way to the new leader', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true, preVote: true, seed: 5 });
    net.elect('a');
    net.propose('a', 'kept');
    net.isolate('a');
    net.raft('a').propose([text('lost')]);
    net.drain('a');
    for (let i = 0; i < electionTick - 1; i++) net.tick('a');
    expect(net.raft('a').role).toBe('leader'); // not before an election timeout
    for (let i = 0; i < electionTick + 1 && net.raft('a').role === 'leader'; i++) net.tick('a');
    expect(net.raft('a').role).toBe('follower');

    for (let i = 0; i < 100 && !leaderOf(net, ['b', 'c']); i++) {
      net.tick('b');
      net.tick('c');
    }
    const leader = leaderOf(net, ['b', 'c'])!;
    expect(leader).toBeDefined();
    net.recover();
    net.tick(leader);
    net.propose(leader, 'new');
    expect(net.raft('a').leader).toBe(leader);
    for (const id of ['a', 'b', 'c']) expect(net.appliedTexts(id), id).toEqual(['kept', 'new']);
  });

  it('a stuck candidate of a higher term is freed: the leader learns its term from it and a new election follows', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    net.isolate('a');
    net.elect('c'); // b ignores it: it is in a's lease
    net.elect('c');
    expect(net.raft('b').term).toBe(2);
    expect(net.raft('c').role).toBe('candidate');
    expect(net.raft('c').term).toBe(4);

    net.recover();
    net.tick('a'); // c answers the heartbeat with its term
    expect(net.raft('a').role).toBe('follower');
    expect(net.raft('a').term).toBe(4);
    net.elect('c');
    expect(net.raft('c').role).toBe('leader');
  });
});

// ---- Leadership transfer -----------------------------------------------------------------------

describe('leadership transfer', () => {
  it('hands over to an up-to-date follower and back again, past the leases of CheckQuorum', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    net.propose('a', 'x');
    net.raft('a').transferLeadership('b');
    net.drain('a');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('b').term).toBe(3);
    expect(net.raft('a').leader).toBe('b');
    net.propose('b', 'y');
    net.raft('b').transferLeadership('a');
    net.drain('b');
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('a').term).toBe(4);
    expect(net.raft('a').status().leadTransferee).toBe('');
    net.propose('a', 'z');
    for (const id of ['a', 'b', 'c']) expect(net.appliedTexts(id), id).toEqual(['x', 'y', 'z']);
  });

  it('hands over to a follower that first needs a snapshot', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.propose('a', 'x');
    compactTo(net, 'a', bytes(10, 1));
    net.recover();
    net.raft('a').transferLeadership('c');
    net.drain('a');
    expect(net.member('c').disk.snapshot?.data).toEqual(bytes(10, 1));
    expect(net.raft('c').role).toBe('leader');
    expect(net.raft('a').role).toBe('follower');
  });

  it('to itself is a no-op, and to a non-member, a learner or from a follower is refused', () => {
    const r = newRaft('a', { voters: ['a', 'b', 'c'], learners: ['d'] });
    electLeader(r);
    r.transferLeadership('a');
    expect(r.status().leadTransferee).toBe('');
    expect(() => r.propose([text('x')])).not.toThrow();
    expect(() => r.transferLeadership('zz')).toThrowError(InvalidConfChangeError);
    expect(() => r.transferLeadership('d')).toThrowError(InvalidConfChangeError);
    expect(r.status().leadTransferee).toBe('');
    expect(r.role).toBe('leader');
    const follower = newRaft('b');
    expect(() => follower.transferLeadership('c')).toThrowError(NotLeaderError);
  });

  it('is abandoned exactly one election timeout after it started when the transferee does not take over', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.raft('a').transferLeadership('c');
    net.drain('a');
    for (let i = 0; i < electionTick - 1; i++) net.tick('a');
    expect(net.raft('a').status().leadTransferee).toBe('c');
    net.tick('a');
    expect(net.raft('a').status().leadTransferee).toBe('');
    expect(net.raft('a').role).toBe('leader');
    expect(() => net.propose('a', 'later')).not.toThrow();
  });

  it('refuses proposals while it runs, from the leader and by proxy', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.raft('a').transferLeadership('c');
    net.drain('a');
    const last = net.raft('a').log.lastIndex();
    expect(() => net.raft('a').propose([text('x')])).toThrowError(ProposalDroppedError);
    net.raft('b').forwardProposal([text('y')], ['p']);
    net.drain('b');
    expect(net.member('b').proposalResults).toEqual([
      { contexts: ['p'], index: 0, term: 0, rejectReason: 'transferring' },
    ]);
    expect(net.raft('a').log.lastIndex()).toBe(last);
  });

  it('a second transfer to another member replaces the first', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.raft('a').transferLeadership('c');
    net.drain('a');
    net.raft('a').transferLeadership('b');
    net.drain('a');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('a').leader).toBe('b');
  });

  it('a second transfer to the same member does not extend the first one’s timeout', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.raft('a').transferLeadership('c');
    net.drain('a');
    for (let i = 0; i < electionTick / 2; i++) net.tick('a');
    net.raft('a').transferLeadership('c'); // e.g. a client retrying its request
    net.drain('a');
    for (let i = 0; i < electionTick / 2; i++) net.tick('a');
    // As in etcd: the transfer is abandoned one election timeout after it was first asked for.
    expect(net.raft('a').status().leadTransferee).toBe('');
    expect(() => net.propose('a', 'later')).not.toThrow();
  });

  it('gives way to a higher-term election while the transferee is isolated', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.raft('a').transferLeadership('c');
    net.drain('a');
    net.elect('b');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('a').role).toBe('follower');
    expect(net.raft('a').status().leadTransferee).toBe('');
  });

  for (const { change, type } of [
    { change: 'removed', type: ConfChangeType.Remove },
    { change: 'demoted to learner', type: ConfChangeType.DemoteToLearner },
  ]) {
    it(`is abandoned when the transferee is ${change}`, () => {
      const net = new Network(['a', 'b', 'c']);
      net.elect('a');
      net.filter = (m) => m.type === 'App'; // the change stays uncommitted while the transfer starts
      net.raft('a').proposeConfChange({ type, member: 'c', address: '' });
      net.drain('a');
      net.raft('a').transferLeadership('c');
      net.drain('a');
      net.filter = null;
      net.tick('a'); // the change commits
      const a = net.raft('a');
      expect(a.confState().voters).toEqual(['a', 'b']);
      // c never campaigns: a keeps leading in the same term and stops transferring.
      expect(net.trace.filter((m) => m.type === 'TimeoutNow')).toEqual([]);
      expect(a.role).toBe('leader');
      expect(a.term).toBe(2);
      expect(a.status().leadTransferee).toBe('');
      expect(() => net.propose('a', 'after')).not.toThrow();
    });
  }
});

// ---- Learners --------------------------------------------------------------------------------

describe('learners', () => {
  function clusterWithLearner(): Network {
    const net = new Network([]);
    for (const id of ['a', 'b', 'c']) net.addMember(id, membershipDisk(['a', 'b'], ['c']));
    return net;
  }

  it('are not asked for votes and never campaign, not on timeout and not on TimeoutNow', () => {
    const net = clusterWithLearner();
    net.elect('a');
    expect(net.trace.filter((m) => m.type === 'Vote').map((m) => m.to)).toEqual(['b']);
    net.raft('c').campaignNow();
    net.drain('c');
    for (let i = 0; i < 5 * electionTick; i++) net.tick('c');
    net.send({ type: 'TimeoutNow', from: 'a', to: 'c', term: net.raft('a').term });
    expect(net.raft('c').role).toBe('follower');
    expect(net.raft('c').term).toBe(net.raft('a').term);
    expect(net.trace.some((m) => m.from === 'c' && (m.type === 'Vote' || m.type === 'PreVote'))).toBe(false);
  });

  it('receive the log, but their acknowledgements do not count toward a commit', () => {
    const net = clusterWithLearner();
    net.elect('a');
    net.isolate('b');
    const { index } = net.propose('a', 'x');
    expect(net.raft('c').log.lastIndex()).toBe(index);
    expect(net.raft('a').status().progress.c?.match).toBe(index);
    expect(net.raft('a').log.committed).toBeLessThan(index);
    net.recover();
    net.tick('a');
    expect(net.raft('a').log.committed).toBe(index);
    expect(net.appliedTexts('c')).toEqual(['x']);
  });

  it('a promoted learner votes and can be elected', () => {
    const net = clusterWithLearner();
    net.elect('a');
    net.raft('a').proposeConfChange({ type: ConfChangeType.AddVoter, member: 'c', address: '' });
    net.drain('a');
    net.tick('a');
    expect(net.raft('c').confState()).toMatchObject({ voters: ['a', 'b', 'c'], learners: [] });
    expect(net.raft('a').status().progress.c?.isLearner).toBe(false);
    net.isolate('a');
    net.elect('c');
    expect(net.raft('c').role).toBe('leader');
  });
});

// ---- Membership changes ----------------------------------------------------------------------

describe('membership change safety', () => {
  it('takes one change at a time, from the leader and by proxy', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    const a = net.raft('a');
    expect(() =>
      a.propose([confChange(ConfChangeType.AddLearner, 'd'), confChange(ConfChangeType.AddLearner, 'e')]),
    ).toThrowError(ProposalDroppedError);
    net.filter = (m) => m.type === 'App'; // keeps the first change uncommitted
    a.proposeConfChange({ type: ConfChangeType.AddLearner, member: 'd', address: '' });
    net.drain('a');
    expect(() =>
      a.proposeConfChange({ type: ConfChangeType.AddLearner, member: 'e', address: '' }),
    ).toThrowError(ProposalDroppedError);
    net.raft('b').forwardProposal([confChange(ConfChangeType.AddLearner, 'e')], ['cc1']);
    net.drain('b');
    expect(net.member('b').proposalResults.map((r) => r.rejectReason)).toEqual(['conf-change-pending']);

    net.filter = null;
    net.tick('a');
    expect(a.confState().learners).toEqual(['d']);
    net.raft('b').forwardProposal([confChange(ConfChangeType.AddLearner, 'e')], ['cc2']);
    net.drain('b');
    net.tick('a');
    expect(net.member('b').proposalResults.map((r) => r.rejectReason)).toEqual(['conf-change-pending', '']);
    expect(a.confState().learners).toEqual(['d', 'e']);
  });

  it('a new leader refuses a forwarded change until an entry of its term commits', () => {
    const net = new Network(['a', 'b', 'c']);
    net.filter = (m) => m.type === 'App';
    net.elect('a');
    net.tick('a'); // b learns who leads from a heartbeat
    net.raft('b').forwardProposal([confChange(ConfChangeType.AddLearner, 'd')], ['cc1']);
    net.drain('b');
    net.recover();
    net.tick('a');
    net.raft('b').forwardProposal([confChange(ConfChangeType.AddLearner, 'd')], ['cc2']);
    net.drain('b');
    net.tick('a');
    expect(net.member('b').proposalResults.map((r) => r.rejectReason)).toEqual(['conf-change-pending', '']);
    expect(net.raft('b').confState().learners).toEqual(['d']);
  });

  it('commits an entry pending behind a removal as soon as the removal shrinks the quorum', () => {
    const r = newRaft('a', { voters: ['a', 'b'] });
    electLeader(r);
    sent(r);
    r.step(appResp('b', 'a', 2, 1));
    sent(r);
    const cc = r.proposeConfChange({ type: ConfChangeType.Remove, member: 'b', address: '' });
    r.propose([text('hello')]);
    expect(flush(r).committedEntries).toEqual([]);
    r.step(appResp('b', 'a', 2, cc.index)); // b acknowledges the removal only
    const committed = flush(r).committedEntries;
    expect(committed.map((e) => [e.index, e.type])).toEqual([
      [2, EntryType.ConfChange],
      [3, EntryType.Normal],
    ]);
    expect(r.confState().voters).toEqual(['a']);
  });
});

// ---- ReadIndex -------------------------------------------------------------------------------

describe('ReadIndex', () => {
  it('answers reads from every member with the leader commit index at the time of the read', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    const plan: Array<[MemberId, number]> = [
      ['a', 10],
      ['b', 10],
      ['c', 10],
      ['a', 10],
      ['b', 10],
      ['c', 10],
      ['a', 0],
      ['b', 0],
    ];
    plan.forEach(([reader, proposals], i) => {
      for (let p = 0; p < proposals; p++) net.propose('a', `${i}-${p}`);
      const context = `read-${i}`;
      const commit = net.raft('a').log.committed;
      net.raft(reader).readIndex(context);
      net.drain(reader);
      expect(net.member(reader).readStates.at(-1)).toEqual({ context, index: commit });
    });
  });

  it('a new leader holds a forwarded read until an entry of its term commits, then answers with that index', () => {
    const net = new Network(['a', 'b', 'c']);
    net.filter = (m) => m.type === 'App';
    net.elect('a');
    net.tick('a'); // b learns who leads from a heartbeat
    net.raft('b').readIndex('rb');
    net.drain('b');
    expect(net.member('b').readStates).toEqual([]);
    expect(net.member('b').failedReads).toEqual([]);
    net.recover();
    net.tick('a');
    expect(net.raft('a').log.committed).toBe(4);
    expect(net.member('b').readStates).toEqual([{ context: 'rb', index: 4 }]);
  });

  it('a leader cut off from its majority serves no read and fails it when CheckQuorum makes it step down', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    net.propose('a', 'x');
    net.isolate('a');
    net.raft('a').readIndex('r1');
    net.drain('a');
    for (let i = 0; i < 2 * electionTick && net.raft('a').role === 'leader'; i++) net.tick('a');
    expect(net.raft('a').role).toBe('follower');
    expect(net.member('a').readStates).toEqual([]);
    expect(net.member('a').failedReads).toEqual(['r1']);
  });

  it('a read forwarded to a member that no longer leads fails at once', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.elect('b');
    net.recover();
    expect(net.raft('c').leader).toBe('a');
    net.raft('c').readIndex('rc');
    net.drain('c');
    expect(net.member('c').failedReads).toEqual(['rc']);
    expect(net.member('c').readStates).toEqual([]);
  });

  it('a single-member leader serves a read at once', () => {
    const net = new Network(['a']);
    net.elect('a');
    net.propose('a', 'x');
    net.raft('a').readIndex('r');
    net.drain('a');
    expect(net.member('a').readStates).toEqual([{ context: 'r', index: 3 }]);
  });

  it('a read pending when a member is removed is confirmed by a majority of the new membership', () => {
    const net = new Network(['a', 'b', 'c', 'd']);
    net.elect('a');
    net.isolate('d');
    const a = net.raft('a');
    net.filter = (m) => m.type === 'HeartbeatResp' && m.from !== 'b'; // only b confirms reads
    a.readIndex('r1');
    net.drain('a');
    const readAt = a.log.committed;
    // a and b are not a majority of {a, b, c, d}.
    expect(net.member('a').readStates).toEqual([]);
    a.proposeConfChange({ type: ConfChangeType.Remove, member: 'd', address: '' });
    net.drain('a');
    expect(a.confState().voters).toEqual(['a', 'b', 'c']);
    // They are a majority of {a, b, c}: the next heartbeat round confirms the read.
    net.tick('a');
    expect(net.member('a').readStates).toEqual([{ context: 'r1', index: readAt }]);
  });

  it('a leader that removes itself fails the reads it had pending', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.filter = (m) => m.type === 'HeartbeatResp';
    net.raft('a').readIndex('r1');
    net.drain('a');
    net.raft('a').proposeConfChange({ type: ConfChangeType.Remove, member: 'a', address: '' });
    net.drain('a');
    expect(net.raft('a').role).toBe('follower');
    expect(net.member('a').failedReads).toEqual(['r1']);
    expect(net.member('a').readStates).toEqual([]);
  });
});
