import { describe, expect, it } from 'vitest';
import { ConfChangeType } from '../../../../src/raft/core/messages.js';
import { Network } from '../../../support/raft-network.js';

const emptyDisk = { hardState: { term: 0, vote: '', commit: 0 }, snapshot: null, entries: [] };

describe('membership changes', () => {
  it('adds a learner that catches up without voting, then promotes it', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'before');
    net.addMember('d', emptyDisk);
    net.raft('a').proposeConfChange({ type: ConfChangeType.AddLearner, member: 'd', address: 'addr-d' });
    net.drain('a');
    net.tick('a');
    expect(net.raft('a').confState().learners).toEqual(['d']);
    expect(net.appliedTexts('d')).toEqual(['before']);
    expect(net.raft('a').status().progress.d?.isLearner).toBe(true);
    // A learner never campaigns.
    for (let i = 0; i < 50; i++) net.tick('d');
    expect(net.raft('d').role).toBe('follower');

    net.raft('a').proposeConfChange({ type: ConfChangeType.AddVoter, member: 'd', address: 'addr-d' });
    net.drain('a');
    net.tick('a');
    expect(net.raft('d').confState().voters).toEqual(['a', 'b', 'c', 'd']);
    expect(net.raft('d').confState().addresses.d).toBe('addr-d');
  });

  it('refuses a second membership change while one is uncommitted', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('b');
    net.isolate('c');
    net.raft('a').proposeConfChange({ type: ConfChangeType.AddLearner, member: 'd', address: '' });
    expect(() =>
      net.raft('a').proposeConfChange({ type: ConfChangeType.AddLearner, member: 'e', address: '' }),
    ).toThrowError(/membership change is pending/);
  });

  it('refuses a membership change before the new leader commits an entry of its term', () => {
    const net = new Network(['a', 'b', 'c']);
    net.isolate('b');
    net.isolate('c');
    net.recover();
    net.filter = (m) => m.type === 'App'; // a wins the vote but cannot replicate its empty entry
    net.elect('a');
    expect(net.raft('a').role).toBe('leader');
    expect(() =>
      net.raft('a').proposeConfChange({ type: ConfChangeType.AddLearner, member: 'd', address: '' }),
    ).toThrowError(/membership change is pending/);
    net.recover();
    net.tick('a');
    expect(() =>
      net.raft('a').proposeConfChange({ type: ConfChangeType.AddLearner, member: 'd', address: '' }),
    ).not.toThrow();
  });

  it('rejects invalid changes with a reason', () => {
    const net = new Network(['a']);
    net.elect('a');
    expect(() =>
      net.raft('a').proposeConfChange({ type: ConfChangeType.Remove, member: 'a', address: '' }),
    ).toThrowError(/only voter/);
    expect(() =>
      net.raft('a').proposeConfChange({ type: ConfChangeType.Remove, member: 'zz', address: '' }),
    ).toThrowError(/not a member/);
  });

  it('removes a follower and commits with the smaller majority', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.raft('a').proposeConfChange({ type: ConfChangeType.Remove, member: 'c', address: '' });
    net.drain('a');
    net.isolate('c');
    net.isolate('b');
    net.recover();
    net.isolate('c');
    net.propose('a', 'after');
    expect(net.raft('a').confState().voters).toEqual(['a', 'b']);
    expect(net.appliedTexts('b')).toEqual(['after']);
  });

  it('removes the leader itself: it steps down and hands over to an up-to-date member', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'x');
    net.raft('a').proposeConfChange({ type: ConfChangeType.Remove, member: 'a', address: '' });
    net.drain('a');
    net.tick('a'); // heartbeat spreads the commit
    expect(net.raft('a').role).toBe('follower');
    const leader = net.leader();
    expect(['b', 'c']).toContain(leader);
    net.propose(leader!, 'y');
    expect(net.appliedTexts('b')).toEqual(['x', 'y']);
    expect(net.raft(leader!).confState().voters).toEqual(['b', 'c']);
    // The removed member never campaigns again.
    for (let i = 0; i < 50; i++) net.tick('a');
    expect(net.raft('a').role).toBe('follower');
  });

  it('demotes a voter to learner', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.raft('a').proposeConfChange({ type: ConfChangeType.DemoteToLearner, member: 'c', address: '' });
    net.drain('a');
    net.tick('a');
    expect(net.raft('c').confState()).toMatchObject({ voters: ['a', 'b'], learners: ['c'] });
  });
});

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower at once', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
    net.elect('a');
    net.propose('a', 'x');
    net.raft('a').transferLeadership('b');
    net.drain('a');
    expect(net.raft('b').role).toBe('leader');
    expect(net.raft('a').leader).toBe('b');
  });

  it('catches a lagging transferee up before handing over', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 5; i++) net.propose('a', `v${i}`);
    net.recover();
    net.raft('a').transferLeadership('c');
    net.drain('a');
    expect(net.raft('c').role).toBe('leader');
    expect(net.appliedTexts('c')).toHaveLength(5);
  });

  it('refuses proposals during a transfer and gives up after an election timeout', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    net.isolate('c');
    net.raft('a').transferLeadership('c');
    expect(() => net.raft('a').propose([{ type: 0, data: new Uint8Array() }])).toThrowError(/transferring/);
    for (let i = 0; i < 10; i++) net.tick('a');
    expect(net.raft('a').role).toBe('leader');
    expect(() => net.propose('a', 'later')).not.toThrow();
  });
});
