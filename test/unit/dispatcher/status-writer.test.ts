// The StatusWriter on a ManualClock over a real store applied without Raft: reports gathered for
// one batch window and written in few transactions, re-read at flush time so that stale reports
// (backward, duplicate, for a task deleted or moved) are dropped, refusals retried, and what is
// queued when it stops still written.

import { afterEach, describe, expect, it } from 'vitest';
import type { TaskStatus } from '../../../src/api/index.js';
import { StatusWriter } from '../../../src/dispatcher/status-writer.js';
import { VersionConflictError } from '../../../src/manager/store/index.js';
import {
  create,
  makeNode,
  makeTask,
  settle,
  status,
  updateTask,
  withTime,
  world,
  type World,
} from './helpers.js';

const BATCH = 100;

const writers: StatusWriter[] = [];
afterEach(async () => {
  while (writers.length > 0) await writers.pop()!.stop();
});

async function setup(taskCount = 3): Promise<{ w: World; writer: StatusWriter }> {
  const w = world();
  await create(w.store, {
    nodes: [makeNode('n1'), makeNode('n2')],
    tasks: Array.from({ length: taskCount }, (_, i) => makeTask(`t${i}`, { nodeId: 'n1' })),
  });
  const writer = new StatusWriter({ store: w.store, clock: w.clock, batchMs: BATCH });
  writers.push(writer);
  return { w, writer };
}

/** Runs one batch window and lets its flush finish. */
async function flush(w: World): Promise<void> {
  w.clock.advance(BATCH);
  await settle();
}

const stateOf = (w: World, id: string) => w.store.get('task', id)!.status.state;

describe('StatusWriter', () => {
  it('writes a forward move once the batch window has passed, not before', async () => {
    const { w, writer } = await setup();
    writer.task('n1', 't0', status('running', 'started'));
    w.clock.advance(BATCH - 1);
    await settle();
    expect(stateOf(w, 't0')).toBe('assigned');
    w.clock.advance(1);
    await settle();
    expect(w.store.get('task', 't0')!.status).toEqual(status('running', 'started'));
    expect(writer.transactions).toBe(1);
  });

  it('writes reports arriving steadily once per batch window, each task at its furthest state', async () => {
    const { w, writer } = await setup(50);
    const before = w.local.proposals;
    // 250 reports, one every 10 ms: 2.5 s, 25 windows.
    for (const state of ['accepted', 'preparing', 'ready', 'starting', 'running'] as const)
      for (let i = 0; i < 50; i++) {
        writer.task('n1', `t${i}`, status(state));
        w.clock.advance(BATCH / 10);
        await settle(1);
      }
    await flush(w);
    expect(w.local.proposals - before).toBe(writer.transactions);
    expect(writer.transactions).toBeGreaterThanOrEqual(20);
    expect(writer.transactions).toBeLessThanOrEqual(26);
    for (let i = 0; i < 50; i++) expect(stateOf(w, `t${i}`)).toBe('running');
  });

  it('gathers a burst of reports made within one window into a single transaction', async () => {
    const { w, writer } = await setup(200);
    const before = w.local.proposals;
    for (let i = 0; i < 200; i++) {
      writer.task('n1', `t${i}`, status('accepted'));
      writer.task('n1', `t${i}`, status('running'));
    }
    await flush(w);
    expect(writer.transactions).toBe(1);
    expect(w.local.proposals - before).toBe(1);
    expect(w.store.list('task').every((t) => t.status.state === 'running')).toBe(true);
  });

  it('keeps the furthest of several reports for one task, whatever order they arrive in', async () => {
    const { w, writer } = await setup();
    writer.task('n1', 't0', status('running'));
    writer.task('n1', 't0', status('starting'));
    writer.task('n1', 't0', status('accepted'));
    await flush(w);
    expect(stateOf(w, 't0')).toBe('running');
  });

  it('drops a report that would move a task backward', async () => {
    const { w, writer } = await setup();
    await updateTask(w.store, 't0', (t) => ({ ...t, status: status('running') }));
    const before = w.local.proposals;
    writer.task('n1', 't0', status('starting'));
    await flush(w);
    await flush(w);
    expect(stateOf(w, 't0')).toBe('running');
    expect(w.local.proposals).toBe(before);
  });

  it('drops a duplicate of the status already stored', async () => {
    const { w, writer } = await setup();
    const running: TaskStatus = {
      ...status('running', 'started'),
      containerStatus: { containerId: 'c', pid: 7, exitCode: 0 },
    };
    writer.task('n1', 't0', running);
    await flush(w);
    const version = w.store.get('task', 't0')!.meta.version.index;
    const before = w.local.proposals;
    // A worker resending a report whose answer it lost.
    writer.task('n1', 't0', structuredClone(running));
    await flush(w);
    expect(w.local.proposals).toBe(before);
    expect(w.store.get('task', 't0')!.meta.version.index).toBe(version);
  });

  it('writes a report in the same state that carries something new', async () => {
    const { w, writer } = await setup();
    writer.task('n1', 't0', status('running', 'started'));
    await flush(w);
    writer.task('n1', 't0', status('running', 'started', '2026-01-01T00:00:05.000Z'));
    await flush(w);
    expect(w.store.get('task', 't0')!.status.timestamp).toBe('2026-01-01T00:00:05.000Z');
  });

  it('drops a report for a task deleted meanwhile, and writes the rest of its batch', async () => {
    const { w, writer } = await setup();
    writer.task('n1', 't0', status('running'));
    writer.task('n1', 't1', status('running'));
    await w.store.update([{ op: 'delete', kind: 'task', id: 't0' }]);
    await flush(w);
    expect(w.store.get('task', 't0')).toBeUndefined();
    expect(stateOf(w, 't1')).toBe('running');
    await flush(w);
    expect(writer.transactions).toBe(1);
  });

  it('drops a report for a task moved to another node meanwhile', async () => {
    const { w, writer } = await setup();
    writer.task('n1', 't0', status('running'));
    await updateTask(w.store, 't0', (t) => ({ ...t, nodeId: 'n2' }));
    await flush(w);
    expect(stateOf(w, 't0')).toBe('assigned');
    expect(writer.transactions).toBe(0);
  });

  it('keeps what others wrote to a task between the report and the flush', async () => {
    const { w, writer } = await setup();
    writer.task('n1', 't0', status('running'));
    await updateTask(w.store, 't0', (t) => ({ ...t, desiredState: 'shutdown' }));
    await flush(w);
    const task = w.store.get('task', 't0')!;
    expect(task.status.state).toBe('running');
    expect(task.desiredState).toBe('shutdown');
  });

  it('retries a report refused for a version conflict on the next flush, if it still moves forward', async () => {
    const { w, writer } = await setup();
    // The orchestrator writes the task between the writer reading it and its transaction landing.
    const update = w.store.update.bind(w.store);
    let raced = false;
    w.store.update = async (ops, options) => {
      if (!raced) {
        raced = true;
        await updateTask(w.store, 't0', (t) => ({ ...t, desiredState: 'shutdown' }));
      }
      return update(ops, options);
    };
    writer.task('n1', 't0', status('running'));
    writer.task('n1', 't1', status('running'));
    await flush(w);
    expect(raced).toBe(true);
    expect(stateOf(w, 't0')).toBe('assigned');
    expect(stateOf(w, 't1')).toBe('running');
    await flush(w);
    const task = w.store.get('task', 't0')!;
    expect(task.status.state).toBe('running');
    expect(task.desiredState).toBe('shutdown');
    expect(writer.transactions).toBe(2);
  });

  it('drops a refused report whose task has meanwhile moved further', async () => {
    const { w, writer } = await setup();
    const update = w.store.update.bind(w.store);
    let raced = false;
    w.store.update = async (ops, options) => {
      if (!raced) {
        raced = true;
        await updateTask(w.store, 't0', (t) => ({ ...t, status: status('failed', 'lost') }));
      }
      return update(ops, options);
    };
    writer.task('n1', 't0', status('running'));
    await flush(w);
    await flush(w);
    expect(w.store.get('task', 't0')!.status).toEqual(status('failed', 'lost'));
    expect(writer.transactions).toBe(0);
  });

  it('queues everything again when a write fails with an unknown outcome, and writes it later', async () => {
    const { w, writer } = await setup();
    const update = w.store.update.bind(w.store);
    let failures = 1;
    w.store.update = (ops, options) =>
      failures-- > 0 ? Promise.reject(new Error('timed out')) : update(ops, options);
    writer.task('n1', 't0', status('running'));
    const ready = writer.node('n2', { state: 'down', message: 'heartbeat failure' });
    await flush(w);
    expect(stateOf(w, 't0')).toBe('assigned');
    await withTime(w, ready);
    expect(stateOf(w, 't0')).toBe('running');
    expect(w.store.get('node', 'n2')!.status.state).toBe('down');
  });

  it('resolves a node change once it is written, and at once when there is nothing to write', async () => {
    const { w, writer } = await setup();
    let written = false;
    const down = writer
      .node('n2', { state: 'down', message: 'heartbeat failure' })
      .then(() => (written = true));
    await settle();
    expect(written).toBe(false);
    await flush(w);
    await down;
    expect(w.store.get('node', 'n2')!.status).toEqual({
      state: 'down',
      addr: '10.0.0.9',
      message: 'heartbeat failure',
    });
    const before = w.local.proposals;
    const again = writer.node('n2', { state: 'down', message: 'heartbeat failure' });
    const unknown = writer.node('no-such-node', { state: 'down' });
    await flush(w);
    await Promise.all([again, unknown]);
    expect(w.local.proposals).toBe(before);
  });

  it('writes what is queued when it stops, and refuses what comes after', async () => {
    const { w, writer } = await setup();
    writer.task('n1', 't0', status('complete'));
    const down = writer.node('n2', { state: 'down', message: 'heartbeat failure' });
    await writer.stop();
    await down;
    expect(stateOf(w, 't0')).toBe('complete');
    expect(w.store.get('node', 'n2')!.status.state).toBe('down');
    writer.task('n1', 't1', status('running'));
    await expect(writer.node('n1', { state: 'down' })).rejects.toThrow('stopped');
    w.clock.advance(10 * BATCH);
    await settle();
    expect(stateOf(w, 't1')).toBe('assigned');
    expect(w.clock.pending).toBe(0);
  });

  it('rejects a waiting node change when stopping cannot write it', async () => {
    const { w, writer } = await setup();
    w.store.update = () => Promise.reject(new VersionConflictError('node', 'n2', 1, 2, 0));
    const down = writer.node('n2', { state: 'down' });
    let outcome = 'pending';
    down.then(
      () => (outcome = 'written'),
      (err: Error) => (outcome = err.message),
    );
    await writer.stop();
    await settle();
    expect(outcome).toMatch(/stopped/);
  });
});
