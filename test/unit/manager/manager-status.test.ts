// The pure decisions of the manager-status loop: which Node writes make the records agree with
// the Raft membership, which learners have caught up, which members were demoted.

import { describe, expect, it } from 'vitest';
import type { Node } from '../../../src/api/index.js';
import type { ConfState, RaftStatus } from '../../../src/raft/index.js';
import { caughtUpLearners, demotedMembers, planManagerNodes } from '../../../src/manager/manager-status.js';

const conf = (voters: string[], learners: string[] = []): ConfState => ({
  voters,
  learners,
  addresses: Object.fromEntries([...voters, ...learners].map((id, i) => [id, `10.0.0.${i + 1}:4242`])),
});

const node = (id: string, extra: Partial<Node> = {}): Node => ({
  id,
  meta: { version: { index: 7 }, createdAt: '', updatedAt: '' },
  spec: { role: 'manager', availability: 'active' },
  status: { state: 'ready', addr: '10.0.0.1' },
  ...extra,
});

describe('planManagerNodes', () => {
  it('creates a manager Node for a voter that has none', () => {
    const ops = planManagerNodes({ nodes: [], conf: conf(['a']), leaderId: 'a', reachable: () => true });
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({
      op: 'create',
      kind: 'node',
      object: {
        id: 'a',
        spec: { role: 'manager' },
        managerStatus: { leader: true, reachability: 'reachable', addr: '10.0.0.1:4242' },
      },
    });
  });

  it('writes nothing when every managerStatus is current', () => {
    const a = node('a', {
      managerStatus: { leader: true, reachability: 'reachable', addr: '10.0.0.1:4242' },
    });
    expect(planManagerNodes({ nodes: [a], conf: conf(['a']), leaderId: 'a', reachable: () => true })).toEqual(
      [],
    );
  });

  it('updates leader and reachability with the version it read', () => {
    const a = node('a', {
      managerStatus: { leader: true, reachability: 'reachable', addr: '10.0.0.1:4242' },
    });
    const b = node('b', {
      managerStatus: { leader: false, reachability: 'reachable', addr: '10.0.0.2:4242' },
    });
    const ops = planManagerNodes({
      nodes: [a, b],
      conf: conf(['a', 'b']),
      leaderId: 'b',
      reachable: (id) => id === 'b',
    });
    expect(ops.map((o) => [o.op, o.op === 'update' ? o.expectedVersion : 0])).toEqual([
      ['update', 7],
      ['update', 7],
    ]);
    expect(ops[0]).toMatchObject({
      // Raft's view goes to managerStatus; up or down stays the dispatcher's.
      object: { managerStatus: { leader: false, reachability: 'unreachable' }, status: { state: 'ready' } },
    });
    expect(ops[1]).toMatchObject({ object: { managerStatus: { leader: true, reachability: 'reachable' } } });
  });

  it('turns a manager that left into a down worker, and only drops managerStatus of a demoted one', () => {
    const ms = { leader: false, reachability: 'reachable' as const, addr: 'x:1' };
    const left = node('l', { managerStatus: ms });
    const demoted = node('d', { managerStatus: ms, spec: { role: 'worker', availability: 'active' } });
    const ops = planManagerNodes({
      nodes: [left, demoted],
      conf: conf([]),
      leaderId: '',
      reachable: () => true,
    });
    expect(ops[0]).toMatchObject({
      object: { id: 'l', spec: { role: 'worker' }, status: { state: 'down' } },
    });
    expect(ops[1]).toMatchObject({ object: { id: 'd', status: { state: 'ready' } } });
    for (const op of ops) expect(op.op === 'update' && 'managerStatus' in op.object).toBe(false);
  });
});

describe('caughtUpLearners and demotedMembers', () => {
  it('promotes only learners within a few entries of the last index', () => {
    const status = {
      lastIndex: 100,
      conf: conf(['a'], ['near', 'far', 'silent']),
      progress: { near: { match: 97 }, far: { match: 40 }, silent: { match: 0 } },
    } as unknown as RaftStatus;
    expect(caughtUpLearners(status)).toEqual(['near']);
    // A learner that has acknowledged nothing is never caught up, even behind a tiny log.
    const tiny = { ...status, lastIndex: 3, progress: { silent: { match: 0 } } } as unknown as RaftStatus;
    expect(caughtUpLearners(tiny)).toEqual([]);
  });

  it('finds members whose Node was demoted to worker', () => {
    const nodes = [
      node('a'),
      node('b', { spec: { role: 'worker', availability: 'active' } }),
      node('w', { spec: { role: 'worker', availability: 'active' } }),
    ];
    expect(demotedMembers(nodes, conf(['a', 'b']))).toEqual(['b']);
  });
});
