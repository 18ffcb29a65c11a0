// RemovalWatch: a manager without a leader asks its peers whether it is still a member, and
// believes a "no" only from a peer that has applied at least as much of the log as itself.

import { afterEach, describe, expect, it } from 'vitest';
import { RemovalWatch, removedByPeer, type PeerMemberStatus } from '../../../src/manager/removal-watch.js';
import { waitUntil } from '../../support/wait.js';

const conf = {
  voters: ['self', 'p1', 'p2'],
  learners: [],
  addresses: { self: '127.0.0.1:1', p1: '127.0.0.1:2', p2: '127.0.0.1:3' },
};

function fakeNode(leader: string, appliedIndex: number) {
  return {
    leaderId: leader,
    leader() {
      return { id: this.leaderId };
    },
    membership: () => conf,
    status: () => ({ appliedIndex }),
  };
}

const watches: RemovalWatch[] = [];
afterEach(async () => {
  await Promise.all(watches.splice(0).map((w) => w.stop()));
});

function watch(node: ReturnType<typeof fakeNode>, answers: Record<string, PeerMemberStatus | Error>) {
  const asked: string[] = [];
  const w = new RemovalWatch({
    selfId: 'self',
    node,
    intervalMs: 10,
    leaderlessMs: 30,
    ask: (address) => {
      asked.push(address);
      const answer = answers[address];
      return answer instanceof Error || answer === undefined
        ? Promise.reject(answer ?? new Error('no answer'))
        : Promise.resolve(answer);
    },
  });
  let removed = 0;
  w.on('removed', () => removed++);
  watches.push(w);
  w.start();
  return { asked, removed: () => removed };
}

describe('RemovalWatch', () => {
  it('believes "not a member" only from a peer that has applied as much of the log', () => {
    expect(removedByPeer({ member: false, appliedIndex: 12 }, 12)).toBe(true);
    expect(removedByPeer({ member: false, appliedIndex: 11 }, 12)).toBe(false);
    expect(removedByPeer({ member: true, appliedIndex: 40 }, 12)).toBe(false);
  });

  it('asks nobody while a leader is known', async () => {
    const w = watch(fakeNode('p1', 5), {});
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(w.asked).toEqual([]);
  });

  it('learns of its removal from a peer that is ahead, skipping peers that fail or lag', async () => {
    const w = watch(fakeNode('', 20), {
      '127.0.0.1:2': new Error('unavailable'),
      '127.0.0.1:3': { member: false, appliedIndex: 25 },
    });
    await waitUntil('the watch to report the removal', () => w.removed() === 1, 5_000);
    expect(w.asked).toContain('127.0.0.1:2');
  });

  it('stays a member when the only "no" comes from a peer behind it', async () => {
    const w = watch(fakeNode('', 20), {
      '127.0.0.1:2': { member: false, appliedIndex: 3 },
      '127.0.0.1:3': { member: true, appliedIndex: 30 },
    });
    await waitUntil('both peers to be asked twice', () => w.asked.length >= 4, 5_000);
    expect(w.removed()).toBe(0);
  });
});
