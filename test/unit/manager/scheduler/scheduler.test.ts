// The Scheduler driver over a real ReplicatedStore applied without Raft (localStore) and a
// ManualClock: nodes and PENDING tasks are written straight into the store, as the dispatcher
// and the allocator will; what is checked is what the store holds afterwards.

import { afterEach, describe, expect, it } from 'vitest';
import type { Node, Task } from '../../../../src/api/index.js';
import type { ApiStore } from '../../../../src/manager/control/index.js';
import { CONTROLLER_OPS_PER_TRANSACTION } from '../../../../src/manager/store/index.js';
import { Scheduler, type SchedulerOptions } from '../../../../src/manager/scheduler/index.js';
import { ManualClock } from '../../../../src/util/clock.js';
import { localStore, type LocalStore } from '../../../support/local-consensus.js';
import { makeNode, makeTask, type NodeOptions, type TaskOptions } from './helpers.js';

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

interface Harness {
  local: LocalStore;
  store: ApiStore;
  clock: ManualClock;
  scheduler: Scheduler;
}

function harness(options: Partial<SchedulerOptions> = {}): Harness {
  const clock = new ManualClock();
  const local = localStore({ now: () => new Date(clock.now()) });
  const scheduler = new Scheduler({ store: local.store, clock, ...options });
  return { local, store: local.store, clock, scheduler };
}

function start(h: Harness): void {
  h.scheduler.start();
  running.push(h.scheduler);
}

async function addNodes(store: ApiStore, nodes: Array<Omit<Node, 'meta'>>): Promise<void> {
  await store.update(nodes.map((object) => ({ op: 'create', kind: 'node', object })));
}

async function addTasks(store: ApiStore, tasks: Array<Omit<Task, 'meta'>>): Promise<void> {
  for (let i = 0; i < tasks.length; i += 500)
    await store.update(tasks.slice(i, i + 500).map((object) => ({ op: 'create', kind: 'task', object })));
}

const nodes = (count: number, o: NodeOptions = {}): Array<Omit<Node, 'meta'>> =>
  Array.from({ length: count }, (_, i) => makeNode(`node-${String(i).padStart(3, '0')}`, o));

const tasks = (prefix: string, count: number, o: TaskOptions = {}): Array<Omit<Task, 'meta'>> =>
  Array.from({ length: count }, (_, i) =>
    makeTask(`${prefix}-${String(i + 1).padStart(4, '0')}`, { slot: i + 1, ...o }),
  );

/**
 * Lets the scheduler run: microtasks and the watch settle, then the clock moves on by one
 * batching delay. Repeats until `done` holds; fails saying what was awaited.
 */
async function until(h: Harness, what: string, done: () => boolean, steps = 100): Promise<void> {
  for (let i = 0; i < steps; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (done()) return;
    h.clock.advance(50);
  }
  throw new Error(`gave up after ${steps} steps waiting for ${what}`);
}

/** Runs the scheduler until nothing more happens (no pass for a few batching delays). */
async function settle(h: Harness): Promise<void> {
  let quietSince = -1;
  let lastPasses = -1;
  await until(h, 'the scheduler to go quiet', () => {
    const passes = h.scheduler.stats.passes;
    if (passes !== lastPasses) {
      lastPasses = passes;
      quietSince = h.clock.now();
      return false;
    }
    return h.clock.now() - quietSince >= 200;
  });
}

const byState = (store: ApiStore, state: string): Array<Readonly<Task>> =>
  store.list('task').filter((t) => t.status.state === state) as Array<Readonly<Task>>;

describe('the Scheduler', () => {
  it(`assigns every pending task at start, in transactions of at most ${CONTROLLER_OPS_PER_TRANSACTION} updates`, async () => {
    const h = harness();
    await addNodes(h.store, nodes(20));
    await addTasks(h.store, tasks('web', 2_400));
    const before = h.local.proposals;
    start(h);
    await until(h, 'all 2,400 tasks assigned', () => byState(h.store, 'assigned').length === 2_400);

    expect(h.local.proposals - before).toBe(3);
    expect(h.scheduler.stats).toMatchObject({ transactions: 3, assigned: 2_400, conflicts: 0 });
    const perNode = new Map<string, number>();
    for (const t of h.store.list('task')) {
      expect(t.status.message).toBe('scheduler assigned task to node');
      perNode.set(t.nodeId!, (perNode.get(t.nodeId!) ?? 0) + 1);
    }
    expect([...perNode.values()]).toEqual(Array(20).fill(120));
  });

  it('coalesces tasks that become pending within the batching delay into one transaction', async () => {
    const h = harness();
    await addNodes(h.store, nodes(3));
    start(h);
    await settle(h);
    const before = h.local.proposals;
    await addTasks(h.store, tasks('a', 2));
    await addTasks(h.store, tasks('b', 2, { service: 'other' }));
    await addTasks(h.store, tasks('c', 2));
    await until(h, 'six assigned tasks', () => byState(h.store, 'assigned').length === 6);
    // Three writes of tasks, one of assignments.
    expect(h.local.proposals - before).toBe(4);
  });

  it('leaves an unplaceable task PENDING with the reason, once, and places it when a node joins', async () => {
    const h = harness();
    await addNodes(h.store, [makeNode('small', { memoryGb: 1 }), makeNode('off', { state: 'down' })]);
    await addTasks(h.store, [makeTask('big', { memoryGb: 4 })]);
    start(h);
    await until(h, 'the error to be written', () => h.store.get('task', 'big')?.status.err !== undefined);
    expect(h.store.get('task', 'big')!.status).toMatchObject({
      state: 'pending',
      err: 'no suitable node (1 node not available for new tasks; insufficient memory on 1 node)',
    });

    // Node changes that do not help cause passes, but the same error is not written again.
    const version = h.store.get('task', 'big')!.meta.version.index;
    const small = h.store.get('node', 'small')!;
    await h.store.update([
      { op: 'update', kind: 'node', object: { ...small, spec: { ...small.spec, labels: { x: '1' } } } },
    ]);
    await settle(h);
    expect(h.store.get('task', 'big')!.meta.version.index).toBe(version);

    await addNodes(h.store, [makeNode('large', { memoryGb: 16 })]);
    await until(h, 'the task assigned to the new node', () => h.store.get('task', 'big')?.nodeId === 'large');
    const status = h.store.get('task', 'big')!.status;
    expect(status).toMatchObject({ state: 'assigned', message: 'scheduler assigned task to node' });
    expect(status.err).toBeUndefined();
  });

  it('places a waiting task once a finished task frees the node', async () => {
    const h = harness();
    await addNodes(h.store, [makeNode('a', { memoryGb: 4 })]);
    await addTasks(h.store, [
      makeTask('old', { state: 'running', nodeId: 'a', memoryGb: 3 }),
      makeTask('new', { memoryGb: 2 }),
    ]);
    start(h);
    await until(h, 'the waiting task’s error', () => h.store.get('task', 'new')?.status.err !== undefined);
    const old = h.store.get('task', 'old')!;
    await h.store.update([
      { op: 'update', kind: 'task', object: { ...old, status: { ...old.status, state: 'complete' } } },
    ]);
    await until(
      h,
      'the waiting task assigned',
      () => h.store.get('task', 'new')?.status.state === 'assigned',
    );
    expect(h.store.get('task', 'new')!.nodeId).toBe('a');
  });

  it('finishes a half-scheduled store when started as a new leader, counting what is placed', async () => {
    const h = harness();
    await addNodes(h.store, nodes(4));
    // The previous leader placed 6 tasks on node-000 and node-001 and stopped.
    const done = tasks('web', 6).map((t, i) => ({
      ...t,
      nodeId: i % 2 === 0 ? 'node-000' : 'node-001',
      status: { ...t.status, state: 'assigned' as const },
    }));
    await addTasks(h.store, [...done, ...tasks('late', 6).map((t, i) => ({ ...t, slot: 7 + i }))]);
    start(h);
    await until(h, 'every task assigned', () => byState(h.store, 'assigned').length === 12);
    const perNode: Record<string, number> = {};
    for (const t of h.store.list('task')) perNode[t.nodeId!] = (perNode[t.nodeId!] ?? 0) + 1;
    expect(perNode).toEqual({ 'node-000': 3, 'node-001': 3, 'node-002': 3, 'node-003': 3 });
  });

  it('schedules job tasks (desired COMPLETE) and ignores tasks no longer meant to run', async () => {
    const h = harness();
    await addNodes(h.store, nodes(1));
    await addTasks(h.store, [
      makeTask('job', { service: 'job', desired: 'complete' }),
      makeTask('stopped', { desired: 'shutdown' }),
    ]);
    start(h);
    await until(h, 'the job task assigned', () => h.store.get('task', 'job')?.status.state === 'assigned');
    await settle(h);
    expect(h.store.get('task', 'stopped')!.status.state).toBe('pending');
    expect(h.store.get('task', 'stopped')!.meta.version.index).toBe(2);
  });

  it('confirms tasks created on their node (global services)', async () => {
    const h = harness();
    await addNodes(h.store, nodes(2));
    await addTasks(h.store, [makeTask('g0', { nodeId: 'node-000' }), makeTask('g1', { nodeId: 'node-001' })]);
    start(h);
    await until(h, 'both confirmed', () => byState(h.store, 'assigned').length === 2);
    expect(h.store.get('task', 'g1')!.status.message).toBe(
      'scheduler confirmed task can run on preassigned node',
    );
    expect(h.store.get('task', 'g1')!.nodeId).toBe('node-001');
  });

  it('retries a task whose update was refused because it changed meanwhile', async () => {
    const h = harness();
    await addNodes(h.store, nodes(2));
    await addTasks(h.store, tasks('t', 4));
    // Change one task between the scheduler's read and its commit.
    const update = h.store.update.bind(h.store);
    let interfered = false;
    h.store.update = async (ops, options) => {
      if (!interfered && ops.some((op) => op.kind === 'task' && op.op === 'patch')) {
        interfered = true;
        const t2 = h.store.get('task', 't-0002')!;
        await update([{ op: 'update', kind: 'task', object: { ...t2, labels: { touched: 'yes' } } }]);
      }
      return update(ops, options);
    };
    start(h);
    await until(h, 'all four assigned', () => byState(h.store, 'assigned').length === 4);
    expect(h.store.get('task', 't-0002')!.labels).toEqual({ touched: 'yes' });
    expect(h.scheduler.stats.conflicts).toBe(1);
  });

  it('resyncs periodically and leaves no timer behind when stopped', async () => {
    const h = harness({ resyncIntervalMs: 1_000 });
    await addNodes(h.store, nodes(1));
    start(h);
    await settle(h);
    const passes = h.scheduler.stats.passes;
    // Within a tenth of the interval, early or late.
    h.clock.advance(1_100);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.scheduler.stats.passes).toBe(passes + 1);
    await running.pop()!.stop();
    expect(h.clock.pending).toBe(0);
  });
});
