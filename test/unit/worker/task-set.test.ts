import { afterEach, describe, expect, it } from 'vitest';
import type { TaskStatus } from '../../../src/api/index.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { TaskSet, type Payload } from '../../../src/worker/task-set.js';
import { FakeExecutor } from '../../support/fake-executor.js';
import { waitUntil } from '../../support/wait.js';
import { assigned, node, START } from './helpers.js';

const sets: TaskSet[] = [];

afterEach(async () => {
  await Promise.all(sets.splice(0).map((s) => s.stop()));
});

function harness(): {
  clock: ManualClock;
  executor: FakeExecutor;
  set: TaskSet;
  reports: Array<{ taskId: string; status: TaskStatus }>;
  stateOf(taskId: string): string | undefined;
  until(taskId: string, state: string): Promise<void>;
} {
  const clock = new ManualClock(START);
  const executor = new FakeExecutor(clock);
  const reports: Array<{ taskId: string; status: TaskStatus }> = [];
  const set = new TaskSet({
    executor,
    node,
    report: (taskId, status) => reports.push({ taskId, status }),
    clock,
    logger: silentLogger,
  });
  sets.push(set);
  const stateOf = (taskId: string): string | undefined =>
    reports.filter((r) => r.taskId === taskId).at(-1)?.status.state;
  return {
    clock,
    executor,
    set,
    reports,
    stateOf,
    until: (taskId, state) =>
      waitUntil(`${taskId} to report ${state}`, () =>
        reports.some((r) => r.taskId === taskId && r.status.state === state),
      ),
  };
}

const payload = (name: string): Payload => ({ name, data: new TextEncoder().encode(`${name}-data`) });
const none = new Map<string, Payload>();

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('TaskSet', () => {
  it('starts a controller for every task of a complete set and reports per task', async () => {
    const h = harness();
    await h.set.replace({
      tasks: [assigned({ id: 'a' }), assigned({ id: 'b' })],
      secrets: none,
      configs: none,
    });
    await h.until('a', 'running');
    await h.until('b', 'running');
    expect(h.set.taskIds().sort()).toEqual(['a', 'b']);
    expect(h.set.status('a')?.state).toBe('running');
  });

  it('removes the controllers of tasks missing from a later complete set, with shutdown and remove and no more reports', async () => {
    const h = harness();
    await h.set.replace({
      tasks: [assigned({ id: 'a' }), assigned({ id: 'b' })],
      secrets: none,
      configs: none,
    });
    await h.until('b', 'running');
    const reportsOfB = h.reports.filter((r) => r.taskId === 'b').length;
    await h.set.replace({ tasks: [assigned({ id: 'a' })], secrets: none, configs: none });
    await waitUntil('b to be removed', () => h.executor.opsOf('b').includes('remove'));
    expect(h.executor.opsOf('b').slice(-2)).toEqual(['shutdown', 'remove']);
    expect(h.reports.filter((r) => r.taskId === 'b')).toHaveLength(reportsOfB);
    expect(h.set.taskIds()).toEqual(['a']);
    expect(h.executor.opsOf('a')).not.toContain('shutdown');
  });

  it('hands updated tasks to their controllers', async () => {
    const h = harness();
    await h.set.replace({ tasks: [assigned({ id: 'a' })], secrets: none, configs: none });
    await h.until('a', 'running');
    await h.set.replace({
      tasks: [assigned({ id: 'a', desiredState: 'shutdown' })],
      secrets: none,
      configs: none,
    });
    await h.until('a', 'shutdown');
  });

  it('removes orphans found on the node at the first complete set, and adopts the assigned tasks', async () => {
    const h = harness();
    h.executor.seed('orphan', { serviceId: 'old', state: 'running', exitCode: 0, pid: 5 });
    h.executor.seed('a', { serviceId: 'svc1', state: 'running', exitCode: 0, pid: 6 });
    await h.set.replace({ tasks: [assigned({ id: 'a', state: 'running' })], secrets: none, configs: none });
    await waitUntil('the orphan to be removed', () => h.executor.removedTasks.includes('orphan'));
    await waitUntil('a to be waited on', () => h.executor.opsOf('a').includes('wait'));
    expect(h.executor.opsOf('a')).toEqual(['wait']);
    expect(h.executor.tasks.get('a')?.state).toBe('running');
    expect(h.reports.filter((r) => r.taskId === 'a')).toEqual([]);
  });

  it('inspects only the tasks the node had when it started, not those assigned since', async () => {
    const h = harness();
    h.executor.seed('a', { serviceId: 'svc1', state: 'running', exitCode: 0, pid: 6 });
    await h.set.replace({
      tasks: [assigned({ id: 'a', state: 'running' }), assigned({ id: 'b' })],
      secrets: none,
      configs: none,
    });
    await h.until('b', 'running');
    await h.set.apply({ updated: [assigned({ id: 'c' })] });
    await h.until('c', 'running');
    const first = (id: string): string | undefined => h.executor.calls.find((c) => c.taskId === id)?.op;
    expect([first('a'), first('b'), first('c')]).toEqual(['inspect', 'prepare', 'prepare']);
  });

  it('inspects every task before driving it when listing the node failed', async () => {
    const h = harness();
    h.executor.listError = new Error('engine unreachable');
    await h.set.replace({ tasks: [assigned({ id: 'a' })], secrets: none, configs: none });
    await h.until('a', 'running');
    expect(h.executor.calls.find((c) => c.taskId === 'a')?.op).toBe('inspect');
  });

  it('looks for orphans only at the first complete set', async () => {
    const h = harness();
    await h.set.replace({ tasks: [], secrets: none, configs: none });
    h.executor.seed('later', { serviceId: 'x', state: 'running', exitCode: 0, pid: 5 });
    await h.set.replace({ tasks: [], secrets: none, configs: none });
    await settle();
    expect(h.executor.removedTasks).toEqual([]);
  });

  it('still runs the assigned tasks when listing the node fails', async () => {
    const h = harness();
    h.executor.listError = new Error('engine unreachable');
    await h.set.replace({ tasks: [assigned({ id: 'a' })], secrets: none, configs: none });
    await h.until('a', 'running');
  });

  it('gives each task only the secrets and configs its spec references', async () => {
    const h = harness();
    await h.set.replace({
      tasks: [
        assigned({ id: 'a', secrets: [{ id: 's1', name: 'db' }], configs: [{ id: 'c1', name: 'conf' }] }),
        assigned({ id: 'b' }),
      ],
      secrets: new Map([
        ['s1', payload('db')],
        ['s2', payload('other')],
      ]),
      configs: new Map([
        ['c1', payload('conf')],
        ['c2', payload('other-conf')],
      ]),
    });
    await h.until('a', 'running');
    const ctx = h.executor.contexts.get('a');
    expect([...(ctx?.secrets.keys() ?? [])]).toEqual(['s1']);
    expect([...(ctx?.configs.keys() ?? [])]).toEqual(['c1']);
    expect(new TextDecoder().decode(ctx?.secrets.get('s1')?.data)).toBe('db-data');
    expect(ctx?.node).toEqual(node);
    expect(ctx?.service.name).toBe('web');
    expect(h.executor.contexts.get('b')?.secrets.size).toBe(0);
  });

  it('rejects a task whose secret is missing, naming the secret, without preparing it', async () => {
    const h = harness();
    await h.set.replace({
      tasks: [assigned({ id: 'a', secrets: [{ id: 's9', name: 'db-password' }] })],
      secrets: none,
      configs: none,
    });
    await h.until('a', 'rejected');
    const status = h.reports.at(-1)?.status;
    expect(status?.err).toContain('secret "db-password" (s9)');
    expect(h.reports.map((r) => r.status.state)).toEqual(['rejected']);
    expect(h.executor.opsOf('a')).toEqual([]);
  });

  it('applies secrets in a change before the tasks of the same change', async () => {
    const h = harness();
    await h.set.replace({ tasks: [], secrets: none, configs: none });
    await h.set.apply({
      secretsUpserted: new Map([['s1', payload('db')]]),
      updated: [assigned({ id: 'a', secrets: [{ id: 's1', name: 'db' }] })],
    });
    await h.until('a', 'running');
    await h.set.apply({
      secretsRemoved: ['s1'],
      updated: [assigned({ id: 'b', secrets: [{ id: 's1', name: 'db' }] })],
    });
    await h.until('b', 'rejected');
  });

  it('applies incremental updates and removals', async () => {
    const h = harness();
    await h.set.replace({
      tasks: [assigned({ id: 'a' }), assigned({ id: 'b' })],
      secrets: none,
      configs: none,
    });
    await h.until('a', 'running');
    await h.until('b', 'running');
    await h.set.apply({ updated: [assigned({ id: 'a', desiredState: 'remove' })], removed: ['b'] });
    await waitUntil('a to be removed', () => h.executor.opsOf('a').includes('remove'));
    await waitUntil('b to be removed', () => h.executor.opsOf('b').includes('remove'));
    expect(h.stateOf('a')).toBe('shutdown');
    expect(h.stateOf('b')).toBe('running');
    expect(h.set.taskIds()).toEqual(['a']);
  });

  it('on stop leaves the running tasks as they are and ignores later assignments', async () => {
    const h = harness();
    await h.set.replace({ tasks: [assigned({ id: 'a' })], secrets: none, configs: none });
    await h.until('a', 'running');
    await h.set.stop();
    expect(h.executor.tasks.get('a')?.state).toBe('running');
    await h.set.replace({ tasks: [], secrets: none, configs: none });
    await settle();
    expect(h.executor.opsOf('a')).not.toContain('shutdown');
  });
});
