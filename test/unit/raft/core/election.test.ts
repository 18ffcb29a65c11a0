import { describe, expect, it } from 'vitest';
import { Raft, defaultRaftConfig } from '../../../../src/raft/core/raft.js';
import type { Message } from '../../../../src/raft/core/messages.js';
import { Network } from '../../../support/raft-network.js';

describe('leader election', () => {
  it('elects the member that campaigns when the others have no newer log', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('b').leader).toBe('a');
    expect(net.raft('c').leader).toBe('a');
    expect(net.raft('a').term).toBe(2);
  });

  it('elects a leader after the election timeout without any outside help', () => {
    const net = new Network(['a', 'b', 'c'], { seed: 7 });
    for (let i = 0; i < 40 && !net.leader(); i++) net.tickAll();
    expect(net.leader()).toBeDefined();
  });

  it('does not elect a candidate without a majority', () => {
    const net = new Network(['a', 'b', 'c']);
    net.isolate('a');
    net.elect('a');
    expect(net.raft('a').role).toBe('candidate');
  });

  it('refuses a vote to a candidate whose log is behind', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'x');
    net.isolate('c');
    net.propose('a', 'y'); // b has it, c does not
    net.recover();
    net.isolate('a');
    net.elect('c');
    expect(net.raft('c').role).not.toBe('leader');
    net.elect('b');
    expect(net.raft('b').role).toBe('leader');
  });

  it('grants at most one vote per term', () => {
    const net = new Network(['a', 'b', 'c']);
    const b = net.raft('b');
    const vote = (from: string): Message => ({
      type: 'Vote',
      from,
      to: 'b',
      term: 5,
      lastLogIndex: 10,
      lastLogTerm: 3,
      transfer: false,
    });
    b.step(vote('a'));
    b.step(vote('c'));
    const resps = b.ready().messages.filter((m) => m.type === 'VoteResp');
    expect(resps.map((m) => [m.to, m.type === 'VoteResp' && m.reject])).toEqual([
      ['a', false],
      ['c', true],
    ]);
  });

  it('randomizes election timeouts between one and two election timeouts', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      let x = seed / 50;
      const r = new Raft(
        { ...defaultRaftConfig, id: 'a', random: () => x },
        {
          hardState: { term: 1, vote: '', commit: 1 },
          snapshot: null,
          entries: [
            {
              term: 1,
              index: 1,
              type: 1,
              data: new TextEncoder().encode(JSON.stringify({ type: 1, member: 'a', address: '' })),
            },
          ],
        },
      );
      x = 0;
      let ticks = 0;
      while (r.role === 'follower' && ticks < 100) {
        r.tick();
        ticks++;
      }
      seen.add(ticks);
      expect(ticks).toBeGreaterThanOrEqual(defaultRaftConfig.electionTick);
      expect(ticks).toBeLessThan(2 * defaultRaftConfig.electionTick);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('steps down a leader that sees a higher term', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('a');
    net.elect('b');
    expect(net.raft('b').role).toBe('leader');
    net.recover();
    net.tick('a'); // its heartbeat is answered with b's higher term
    net.tick('b');
    expect(net.raft('a').role).toBe('follower');
    expect(net.raft('a').leader).toBe('b');
  });
});

describe('PreVote and CheckQuorum', () => {
  it('keeps a partitioned member from raising its term, so it cannot depose a healthy leader', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true, checkQuorum: true, seed: 3 });
    net.elect('a');
    const term = net.raft('a').term;
    net.isolate('c');
    for (let i = 0; i < 100; i++) net.tick('c');
    expect(net.raft('c').term).toBe(term); // pre-elections failed; term unchanged
    net.recover();
    net.tickAll(3);
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('a').term).toBe(term);
    expect(net.raft('c').leader).toBe('a');
  });

  it('ignores vote requests while a leader is heard from (leader lease)', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: false, checkQuorum: true });
    net.elect('a');
    const term = net.raft('a').term;
    net.raft('c').campaignNow(); // c was not partitioned: b and a are in lease and ignore it
    net.drain('c');
    expect(net.raft('a').role).toBe('leader');
    expect(net.raft('b').term).toBe(term);
  });

  it('makes a leader that lost its majority step down after an election timeout', () => {
    const net = new Network(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    net.isolate('a');
    for (let i = 0; i < 2 * defaultRaftConfig.electionTick; i++) net.tick('a');
    expect(net.raft('a').role).toBe('follower');
  });

  it('elects a new leader when the leader dies, with PreVote on', () => {
    const net = new Network(['a', 'b', 'c'], { preVote: true, checkQuorum: true, seed: 11 });
    net.elect('a');
    net.isolate('a');
    for (let i = 0; i < 60 && !['b', 'c'].some((id) => net.raft(id).role === 'leader'); i++) {
      net.tick('b');
      net.tick('c');
    }
    expect(['b', 'c'].some((id) => net.raft(id).role === 'leader')).toBe(true);
  });
});

describe('leader loss reported by the transport', () => {
  it('makes the followers campaign one election timeout after the last heartbeat, in turn by rank', () => {
    const net = new Network(['a', 'b', 'c'], {
      preVote: true,
      checkQuorum: true,
      seed: 5,
      config: { electionTick: 100, heartbeatTick: 10 },
    });
    net.elect('a');
    net.tickAll(10); // a heartbeat round: everyone's election clock restarts
    net.isolate('a');
    net.raft('b').reportUnreachable('a');
    net.raft('c').reportUnreachable('a');
    let ticks = 0;
    while (!['b', 'c'].some((id) => net.raft(id).role === 'leader') && ticks < 400) {
      net.tick('b');
      net.tick('c');
      ticks++;
    }
    // b ranks first among the remaining voters and wins right after the leases expire.
    expect(net.raft('b').role).toBe('leader');
    expect(ticks).toBeGreaterThan(100);
    expect(ticks).toBeLessThan(110);
  });

  it('ignores a report about a member that is not the leader', () => {
    const ticksToCampaign = (report: boolean): number => {
      const net = new Network(['a', 'b', 'c'], { config: { electionTick: 100, heartbeatTick: 10 }, seed: 9 });
      net.elect('a');
      if (report) net.raft('b').reportUnreachable('c');
      net.isolate('a');
      let ticks = 0;
      while (net.raft('b').role === 'follower' && ticks < 400) {
        net.tick('b');
        ticks++;
      }
      return ticks;
    };
    expect(ticksToCampaign(true)).toBe(ticksToCampaign(false));
  });
});

describe('election timer', () => {
  it('is not restarted by a higher-term vote request that is refused (§5.2), so the up-to-date member still campaigns on time', () => {
    const net = new Network(['a', 'b', 'c'], { seed: 21, config: { electionTick: 100, heartbeatTick: 10 } });
    net.elect('a');
    net.isolate('c'); // c falls behind
    net.propose('a', 'x');
    net.recover();
    net.isolate('a'); // the leader dies
    for (let i = 0; i < 90; i++) net.tick('b'); // b is 90 ticks into its timeout
    const bTerm = net.raft('b').term;
    net.elect('c'); // c, behind, asks b for a vote at a higher term: refused
    expect(net.raft('c').role).not.toBe('leader');
    expect(net.raft('b').term).toBeGreaterThan(bTerm);
    let ticks = 0;
    while (net.raft('b').role !== 'leader' && ticks < 300) {
      net.tick('b');
      net.tick('c');
      ticks++;
    }
    expect(net.raft('b').role).toBe('leader');
    // Without the rule b would restart a fresh 100–200 tick timeout here.
    expect(ticks).toBeLessThan(110);
  });
});
