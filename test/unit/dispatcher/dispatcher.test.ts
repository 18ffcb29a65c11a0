// The Dispatcher on a ManualClock over a real store applied without Raft: sessions, heartbeats
// kept in memory, nodes marked down when they miss their grace, the grace a new leader gives,
// status reports checked before they are queued, and what stop() tells the nodes.

import { afterEach, describe, expect, it } from 'vitest';
import { SECOND, ValidationError } from '../../../src/api/index.js';
import { Dispatcher, SessionInvalidError, type DispatcherOptions } from '../../../src/dispatcher/index.js';
import type { NodeSession } from '../../../src/dispatcher/index.js';
import { ControlError, UnavailableError } from '../../../src/manager/control/index.js';
import { seededRandom } from '../../support/raft-network.js';
import {
  create,
  DESCRIPTION,
  makeNode,
  makeTask,
  settle,
  status,
  withTime,
  world,
  type World,
} from './helpers.js';

const PERIOD = 1_000;
const GRACE = 3 * PERIOD;
/** How late a missed deadline may be noticed: one sweep (P/4) plus the status batch. */
const SLACK = PERIOD / 4 + 100;

const running: Dispatcher[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

function dispatcher(w: World, options: Partial<DispatcherOptions> = {}): Dispatcher {
  const d = new Dispatcher({
    store: w.store,
    managers: () => [{ nodeId: 'm1', addr: '10.0.0.1:4242', leader: true }],
    clock: w.clock,
    heartbeatPeriodMs: PERIOD,
    graceMultiplier: 3,
    random: seededRandom(7),
    ...options,
  });
  running.push(d);
  return d;
}

/** A started dispatcher over a store holding `nodes` (each down until it registers). */
async function started(nodes: string[], options: Partial<DispatcherOptions> = {}) {
  const w = world();
  await create(w.store, { nodes: nodes.map((id) => makeNode(id, 'down')) });
  const d = dispatcher(w, options);
  d.start();
  return { w, d };
}

const register = (w: World, d: Dispatcher, nodeId: string, addr = '10.1.2.3'): Promise<NodeSession> =>
  withTime(w, d.register(nodeId, DESCRIPTION, addr));

const nodeState = (w: World, id: string) => w.store.get('node', id)!.status;

/** Heartbeats on `session` as a well-behaved node does (at the period it is given) for `ms`. */
async function heartbeatFor(w: World, d: Dispatcher, session: NodeSession, ms: number): Promise<void> {
  const until = w.clock.now() + ms;
  while (w.clock.now() < until) {
    const next = d.heartbeat(session.nodeId, session.id);
    w.clock.advance(Math.min(next, until - w.clock.now()));
    await settle(1);
  }
}

describe('Dispatcher sessions', () => {
  it('writes a registering node ready, with its description and the address it connected from', async () => {
    const { w, d } = await started(['n1']);
    expect(nodeState(w, 'n1').state).toBe('down');
    const session = await register(w, d, 'n1', '10.1.2.3');
    const node = w.store.get('node', 'n1')!;
    expect(node.status).toEqual({ state: 'ready', addr: '10.1.2.3' });
    expect(node.description).toEqual(DESCRIPTION);
    expect(session.nodeId).toBe('n1');
    expect(session.ended).toBeNull();
    expect(d.sessionCount).toBe(1);
  });

  it('ends the first session of a node when a second one opens, telling its listeners why', async () => {
    const { w, d } = await started(['n1']);
    const first = await register(w, d, 'n1');
    const reasons: Error[] = [];
    first.onEnd((reason) => reasons.push(reason));
    const second = await register(w, d, 'n1');
    expect(second.id).not.toBe(first.id);
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as ControlError).code).toBe('ABORTED');
    expect(() => d.heartbeat('n1', first.id)).toThrow(SessionInvalidError);
    expect(d.heartbeat('n1', second.id)).toBeGreaterThan(0);
    expect(d.sessionCount).toBe(1);
  });

  it('fails a registration that a newer one replaces before it is written, with ABORTED', async () => {
    const { w, d } = await started(['n1']);
    const first = d.register('n1', DESCRIPTION, '10.1.2.3');
    const second = d.register('n1', DESCRIPTION, '10.1.2.4');
    await expect(withTime(w, first)).rejects.toMatchObject({ code: 'ABORTED' });
    const session = await withTime(w, second);
    expect(session.ended).toBeNull();
    expect(nodeState(w, 'n1')).toEqual({ state: 'ready', addr: '10.1.2.4' });
    expect(d.statusTransactions).toBe(1);
  });

  it('brings back a node that registers again just after it was found missing', async () => {
    const { w, d } = await started(['n1']);
    const session = await register(w, d, 'n1');
    // Missed: the session ends and the down write is queued; the node reconnects within the batch.
    w.clock.advance(GRACE + SLACK);
    expect(session.ended).toBeInstanceOf(SessionInvalidError);
    const again = await register(w, d, 'n1');
    expect(again.ended).toBeNull();
    expect(nodeState(w, 'n1')).toEqual({ state: 'ready', addr: '10.1.2.3' });
    await heartbeatFor(w, d, again, 2 * PERIOD);
    expect(nodeState(w, 'n1').state).toBe('ready');
  });

  it('refuses a node that is not a member of the cluster with PERMISSION_DENIED, writing nothing', async () => {
    const { w, d } = await started(['n1']);
    const before = w.local.proposals;
    const refused = await d.register('intruder', DESCRIPTION, '10.6.6.6').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ControlError);
    expect((refused as ControlError).code).toBe('PERMISSION_DENIED');
    w.clock.advance(GRACE);
    await settle();
    expect(d.sessionCount).toBe(0);
    expect(w.local.proposals).toBe(before);
  });

  it('tells the open sessions when the managers change', async () => {
    let managers = [{ nodeId: 'm1', addr: '10.0.0.1:4242', leader: true }];
    const { w, d } = await started(['n1'], { managers: () => managers });
    const session = await register(w, d, 'n1');
    const heard: string[][] = [];
    session.onManagers((list) => heard.push(list.map((m) => m.addr)));
    await heartbeatFor(w, d, session, PERIOD);
    expect(heard).toEqual([]);
    managers = [...managers, { nodeId: 'm2', addr: '10.0.0.2:4242', leader: false }];
    await heartbeatFor(w, d, session, PERIOD);
    expect(heard).toEqual([['10.0.0.1:4242', '10.0.0.2:4242']]);
  });

  it('tells the open sessions when the roots to trust change (a root rotation)', async () => {
    let trust = { trustedRoots: 'OLD', signingRoot: 'OLD' };
    const { w, d } = await started(['n1'], { trust: () => trust });
    const session = await register(w, d, 'n1');
    let told = 0;
    session.onManagers(() => told++);
    await heartbeatFor(w, d, session, PERIOD);
    expect(told).toBe(0);
    trust = { trustedRoots: 'OLD\nNEW', signingRoot: 'NEW' };
    await heartbeatFor(w, d, session, PERIOD);
    expect(told).toBe(1);
    expect(d.trust()).toEqual(trust);
  });

  it('ends the session of a node removed from the cluster at once, without marking it down', async () => {
    const { w, d } = await started(['n1', 'n2']);
    const removed = await register(w, d, 'n1');
    const kept = await register(w, d, 'n2');
    const ended: Error[] = [];
    removed.onEnd((reason) => ended.push(reason));
    const [node] = w.store.list('node', { ids: 'n1' });
    await withTime(w, w.store.update([{ op: 'delete', kind: 'node', id: node!.id }]));
    w.clock.advance(PERIOD / 2);
    await settle();
    expect(ended).toHaveLength(1);
    expect((ended[0] as ControlError).code).toBe('PERMISSION_DENIED');
    expect(ended[0]!.message).toMatch(/n1 has been removed/);
    expect(() => d.heartbeat('n1', removed.id)).toThrow(SessionInvalidError);
    expect(kept.ended).toBeNull();
  });
});

describe('Dispatcher heartbeats', () => {
  it('keeps a node that heartbeats every full period up for a simulated hour, writing nothing', async () => {
    const { w, d } = await started(['n1']);
    const session = await register(w, d, 'n1');
    const before = w.local.proposals;
    const version = w.store.version;
    // Every full period: the latest a node heartbeats, whatever jitter it was given.
    for (let beat = 0; beat < 3_600; beat++) {
      d.heartbeat('n1', session.id);
      w.clock.advance(PERIOD);
      if (beat % 100 === 0) await settle(1);
    }
    await settle();
    expect(session.ended).toBeNull();
    expect(nodeState(w, 'n1').state).toBe('ready');
    expect(w.local.proposals).toBe(before);
    expect(w.store.version).toBe(version);
  });

  it('never writes to the store while ten nodes only heartbeat', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const { w, d } = await started(ids);
    const sessions = [];
    for (const id of ids) sessions.push(await register(w, d, id));
    const before = w.local.proposals;
    for (let round = 0; round < 500; round++) {
      for (const s of sessions) d.heartbeat(s.nodeId, s.id);
      w.clock.advance(PERIOD / 2);
      await settle(1);
    }
    expect(w.local.proposals).toBe(before);
    expect(d.statusTransactions).toBe(ids.length); // the registrations only
    expect(sessions.every((s) => s.ended === null)).toBe(true);
  });

  it('marks a node that stops heartbeating down after three periods, and ends its session', async () => {
    const { w, d } = await started(['n1']);
    const session = await register(w, d, 'n1');
    d.heartbeat('n1', session.id);
    const lastBeat = w.clock.now();
    const reasons: Error[] = [];
    session.onEnd((reason) => reasons.push(reason));

    w.clock.advance(GRACE - 1);
    await settle();
    expect(session.ended).toBeNull();
    expect(nodeState(w, 'n1').state).toBe('ready');

    w.clock.advance(SLACK);
    await settle();
    w.clock.advance(100); // the status batch that carries the down write
    await settle();
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(SessionInvalidError);
    expect(nodeState(w, 'n1')).toMatchObject({ state: 'down', message: 'heartbeat failure' });
    const down = w.store.get('node', 'n1')!.meta.updatedAt;
    expect(Date.parse(down) - lastBeat).toBeGreaterThanOrEqual(GRACE);
    expect(Date.parse(down) - lastBeat).toBeLessThanOrEqual(GRACE + SLACK + 100);
    expect(d.sessionCount).toBe(0);
    expect(() => d.heartbeat('n1', session.id)).toThrow(SessionInvalidError);
  });

  it('refuses a heartbeat on a session id it does not know with SessionInvalidError', async () => {
    const { w, d } = await started(['n1']);
    expect(() => d.heartbeat('n1', 'no-such-session')).toThrow(SessionInvalidError);
    const session = await register(w, d, 'n1');
    expect(() => d.heartbeat('n1', 'no-such-session')).toThrow(SessionInvalidError);
    expect(() => d.heartbeat('n2', session.id)).toThrow(SessionInvalidError);
  });

  it('hands out periods shortened by at most a tenth, at random', async () => {
    const draws = [0, 0.5, 0.999_999];
    const { w, d } = await started(['n1'], { random: () => draws.shift() ?? Math.random() });
    const session = await register(w, d, 'n1');
    expect(d.heartbeat('n1', session.id)).toBe(PERIOD);
    expect(d.heartbeat('n1', session.id)).toBe(0.95 * PERIOD);
    expect(d.heartbeat('n1', session.id)).toBe(0.9 * PERIOD);
    const periods = Array.from({ length: 1_000 }, () => d.heartbeat('n1', session.id));
    expect(Math.min(...periods)).toBeGreaterThanOrEqual(0.9 * PERIOD);
    expect(Math.max(...periods)).toBeLessThanOrEqual(PERIOD);
    expect(new Set(periods).size).toBeGreaterThan(10);
  });

  it('reads the period from the cluster object when no override is given', async () => {
    const w = world();
    await w.store.update([
      {
        op: 'create',
        kind: 'cluster',
        object: {
          id: 'c1',
          spec: { name: 'default', dispatcher: { heartbeatPeriod: 7 * SECOND } },
          joinTokens: { worker: 'w', manager: 'm' },
          rootRotationInProgress: false,
          defaultAddrPool: ['10.0.0.0/8'],
          subnetSize: 24,
          dataPathPort: 4789,
        },
      },
    ]);
    const d = dispatcher(w, { heartbeatPeriodMs: undefined });
    expect(d.periodMs()).toBe(7_000);
  });
});

describe('Dispatcher stalls', () => {
  it('does not blame nodes for a stall of its own: a late sweep moves every deadline back', async () => {
    const w = world();
    await create(w.store, { nodes: [makeNode('n1', 'down')] });
    // A clock whose reading jumps ahead while timers keep their due times: the process was
    // frozen for `stall` ms (an overloaded host), and the next sweep runs that late.
    let stall = 0;
    const clock = { now: () => w.clock.now() + stall, setTimer: w.clock.setTimer.bind(w.clock) };
    const d = dispatcher(w, { clock });
    d.start();
    const session = await withTime(w, d.register('n1', DESCRIPTION, '10.1.2.3'));
    d.heartbeat('n1', session.id);
    stall = 10 * PERIOD;
    w.clock.advance(PERIOD / 4);
    await settle();
    expect(session.ended).toBeNull();
    expect(w.store.get('node', 'n1')?.status.state).toBe('ready');
    // Still expires as usual afterwards when the node really goes quiet.
    w.clock.advance(GRACE + SLACK);
    await settle();
    expect(session.ended).toBeInstanceOf(SessionInvalidError);
  });
});

describe('Dispatcher on becoming leader', () => {
  it('gives every node that was up a full grace period: those that register stay up, the others go down', async () => {
    const w = world();
    await create(w.store, {
      nodes: [makeNode('on-time'), makeNode('late'), makeNode('gone'), makeNode('already-down', 'down')],
    });
    const downVersion = w.store.get('node', 'already-down')!.meta.version.index;
    const d = dispatcher(w);
    d.start();

    // A node that reconnects just before the grace ends keeps its state.
    w.clock.advance(GRACE - 200);
    await settle();
    const onTime = await register(w, d, 'on-time');
    expect(nodeState(w, 'late').state).toBe('ready');
    expect(nodeState(w, 'gone').state).toBe('ready');

    // Past the grace: the nodes that did not come back are down.
    await heartbeatFor(w, d, onTime, 200 + SLACK + 100);
    expect(nodeState(w, 'late')).toMatchObject({ state: 'down', message: 'heartbeat failure' });
    expect(nodeState(w, 'gone')).toMatchObject({ state: 'down', message: 'heartbeat failure' });
    expect(nodeState(w, 'on-time').state).toBe('ready');

    // The late node's registration brings it back.
    await register(w, d, 'late');
    expect(nodeState(w, 'late')).toEqual({ state: 'ready', addr: '10.1.2.3' });

    // A node that keeps heartbeating is never marked down.
    await heartbeatFor(w, d, onTime, 20 * PERIOD);
    expect(nodeState(w, 'on-time').state).toBe('ready');
    expect(onTime.ended).toBeNull();
    expect(w.store.get('node', 'already-down')!.meta.version.index).toBe(downVersion);
  });

  it('does not mark a node down before its grace ends', async () => {
    const w = world();
    await create(w.store, { nodes: [makeNode('n1')] });
    const version = w.store.version;
    const d = dispatcher(w);
    d.start();
    w.clock.advance(GRACE - 1);
    await settle();
    w.clock.advance(100);
    await settle();
    expect(w.store.version).toBe(version);
  });
});

describe('Dispatcher status reports', () => {
  async function withTasks() {
    const { w, d } = await started(['n1', 'n2']);
    await create(w.store, {
      tasks: [makeTask('mine', { nodeId: 'n1' }), makeTask('theirs', { nodeId: 'n2' })],
    });
    const session = await register(w, d, 'n1');
    return { w, d, session };
  }

  it('writes the forward moves a node reports for its own tasks', async () => {
    const { w, d, session } = await withTasks();
    d.updateTaskStatus('n1', session.id, [{ taskId: 'mine', status: status('running') }]);
    await withTime(
      w,
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (w.store.get('task', 'mine')!.status.state === 'running') resolve();
          else setImmediate(check);
        };
        check();
      }),
    );
    expect(w.store.get('task', 'mine')!.status).toEqual(status('running'));
  });

  it('refuses a whole report that names a task of another node with PERMISSION_DENIED', async () => {
    const { w, d, session } = await withTasks();
    const before = w.local.proposals;
    let refused: unknown;
    try {
      d.updateTaskStatus('n1', session.id, [
        { taskId: 'mine', status: status('running') },
        { taskId: 'theirs', status: status('failed') },
      ]);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ControlError);
    expect((refused as ControlError).code).toBe('PERMISSION_DENIED');
    w.clock.advance(1_000);
    await settle();
    expect(w.local.proposals).toBe(before);
    expect(w.store.get('task', 'mine')!.status.state).toBe('assigned');
    expect(w.store.get('task', 'theirs')!.status.state).toBe('assigned');
  });

  it('refuses a state below ACCEPTED (the managers own those) with a ValidationError', async () => {
    const { w, d, session } = await withTasks();
    const before = w.local.proposals;
    expect(() =>
      d.updateTaskStatus('n1', session.id, [
        { taskId: 'mine', status: status('running') },
        { taskId: 'mine', status: status('assigned') },
      ]),
    ).toThrow(ValidationError);
    w.clock.advance(1_000);
    await settle();
    expect(w.local.proposals).toBe(before);
  });

  it('refuses a report on a session that is not open', async () => {
    const { d } = await withTasks();
    expect(() => d.updateTaskStatus('n1', 'stale', [{ taskId: 'mine', status: status('running') }])).toThrow(
      SessionInvalidError,
    );
  });
});

describe('Dispatcher.stop', () => {
  it('ends every session with UNAVAILABLE not-leader carrying the leader address, and leaves no timer', async () => {
    const { w, d } = await started(['n1', 'n2']);
    const sessions = [await register(w, d, 'n1'), await register(w, d, 'n2')];
    const reasons: Error[] = [];
    for (const s of sessions) s.onEnd((reason) => reasons.push(reason));
    d.assignments('n1', sessions[0]!.id, { write: () => true, drained: () => Promise.resolve() });
    await d.stop('10.0.0.2:4242');
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(UnavailableError);
      expect(reason).toMatchObject({
        code: 'UNAVAILABLE',
        reason: 'not-leader',
        leaderAddr: '10.0.0.2:4242',
      });
    }
    expect(d.running).toBe(false);
    expect(d.sessionCount).toBe(0);
    expect(w.clock.pending).toBe(0);
    expect(() => d.heartbeat('n1', sessions[0]!.id)).toThrow(UnavailableError);
    await expect(d.register('n1', DESCRIPTION, '10.1.2.3')).rejects.toMatchObject({ reason: 'not-leader' });
  });

  it('fails a registration still being written when it stops with not-leader, and still writes it', async () => {
    const { w, d } = await started(['n1']);
    const pending = d.register('n1', DESCRIPTION, '10.1.2.3');
    await d.stop('10.0.0.2:4242');
    await expect(pending).rejects.toMatchObject({ reason: 'not-leader', leaderAddr: '10.0.0.2:4242' });
    expect(nodeState(w, 'n1').state).toBe('ready');
  });

  it('does not mark nodes down once stopped, and a new start gives them a new grace', async () => {
    const { w, d } = await started(['n1']);
    await register(w, d, 'n1');
    await d.stop();
    const version = w.store.version;
    w.clock.advance(10 * GRACE);
    await settle();
    expect(w.store.version).toBe(version);

    d.start();
    w.clock.advance(GRACE - 1);
    await settle();
    expect(nodeState(w, 'n1').state).toBe('ready');
    w.clock.advance(SLACK + 100);
    await settle();
    w.clock.advance(100);
    await settle();
    expect(nodeState(w, 'n1').state).toBe('down');
  });
});
