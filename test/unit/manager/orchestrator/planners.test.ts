// The pure pieces on hand-built snapshots, no store or clock: restart policy arithmetic, the
// scale-down order, the supervisor's pass over odd slots, history trimming, and commitUnits'
// handling of refused writes.

import { describe, expect, it } from 'vitest';
import {
  SECOND,
  withServiceDefaults,
  type RestartPolicy,
  type Task,
  type TaskState,
} from '../../../../src/api/index.js';
import {
  commitUnits,
  deepEqual,
  historyToDelete,
  isCurrent,
  mayRestart,
  planRestarts,
  restartDelayMs,
  setDesiredState,
  slotsToKeep,
  snapshotOf,
  DEFAULT_RESTART_TUNING,
  type StoredService,
  type StoredTask,
} from '../../../../src/manager/orchestrator/index.js';
import { localStore } from '../../../support/local-consensus.js';

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function service(
  restartPolicy: RestartPolicy = { condition: 'any', delay: 5 * SECOND },
  replicas = 1,
): StoredService {
  return {
    id: 'svc',
    meta: { version: { index: 1 }, createdAt: iso(T0), updatedAt: iso(T0) },
    spec: withServiceDefaults({
      name: 'web',
      taskTemplate: { containerSpec: { image: 'nginx' }, restartPolicy },
      mode: { replicated: { replicas } },
    }),
  };
}

let nextId = 0;
function task(
  svc: StoredService,
  fields: {
    slot?: number;
    state?: TaskState;
    desired?: TaskState;
    created?: number;
    ended?: number;
    nodeId?: string;
  },
): StoredTask {
  const created = fields.created ?? T0;
  const object: Task = {
    id: `t${++nextId}`,
    meta: { version: { index: nextId }, createdAt: iso(created), updatedAt: iso(created) },
    labels: {},
    spec: structuredClone(svc.spec.taskTemplate) as Task['spec'],
    serviceId: svc.id,
    slot: fields.slot ?? 1,
    status: { state: fields.state ?? 'running', timestamp: iso(fields.ended ?? created), message: '' },
    desiredState: fields.desired ?? 'running',
  };
  if (fields.nodeId) object.nodeId = fields.nodeId;
  return object;
}

describe('restart policy arithmetic', () => {
  it('counts earlier exits of the same spec within the window towards maxAttempts', () => {
    const svc = service({ condition: 'any', delay: 0, maxAttempts: 2, window: 60 * SECOND });
    const old = task(svc, { state: 'failed', desired: 'shutdown', created: T0, ended: T0 + 1_000 });
    const recent = task(svc, {
      state: 'failed',
      desired: 'shutdown',
      created: T0 + 100_000,
      ended: T0 + 110_000,
    });
    const ending = task(svc, { state: 'failed', created: T0 + 120_000, ended: T0 + 130_000 });
    // Only `recent` is within 60 s of the end: 1 < 2.
    expect(mayRestart(ending, [old, recent, ending])).toBe(true);
    const another = task(svc, {
      state: 'complete',
      desired: 'shutdown',
      created: T0 + 111_000,
      ended: T0 + 115_000,
    });
    expect(mayRestart(ending, [old, recent, another, ending])).toBe(false);
  });

  it('doubles the delay per recent exit of the same spec and caps it', () => {
    const svc = service();
    const exits = [0, 1, 2, 3, 4, 5].map((i) =>
      task(svc, {
        state: 'failed',
        desired: 'shutdown',
        created: T0 + i * 1_000,
        ended: T0 + i * 1_000 + 500,
      }),
    );
    const at = T0 + 10_000;
    const delays = exits.map((ended, i) =>
      restartDelayMs(ended, exits.slice(0, i + 1), at, DEFAULT_RESTART_TUNING),
    );
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000]);
    expect(restartDelayMs(exits[5]!, exits, at, { ...DEFAULT_RESTART_TUNING, maxDelayMs: 30_000 })).toBe(
      30_000,
    );
    // Exits before the reset period do not count.
    expect(restartDelayMs(exits[5]!, exits, at + 10 * 60_000 - 7_000, DEFAULT_RESTART_TUNING)).toBe(20_000);
  });

  it('starts replacements of tasks the cluster ended without delay', () => {
    const svc = service();
    const orphaned = task(svc, { state: 'orphaned', desired: 'shutdown' });
    expect(restartDelayMs(orphaned, [orphaned], T0, DEFAULT_RESTART_TUNING)).toBe(0);
  });
});

describe('the restart supervisor pass', () => {
  it('shuts down an ended task without a replacement while its slot has another live task', () => {
    const svc = service({ condition: 'any', delay: 0 });
    const failed = task(svc, { state: 'failed', created: T0 });
    const healthy = task(svc, { state: 'running', created: T0 + 1 });
    const plan = planRestarts(snapshotOf({ services: [svc], tasks: [failed, healthy] }), T0 + 5_000);
    expect(plan.units).toHaveLength(1);
    expect(plan.units[0]!.ops).toEqual([setDesiredState(failed, 'shutdown')]);
  });

  it('replaces only the newer of two ended tasks in one slot', () => {
    const svc = service({ condition: 'any', delay: 0 });
    const first = task(svc, { state: 'failed', created: T0 });
    const second = task(svc, { state: 'failed', created: T0 + 1 });
    const plan = planRestarts(snapshotOf({ services: [svc], tasks: [first, second] }), T0 + 5_000);
    const creates = plan.units.flatMap((u) => u.ops).filter((op) => op.op === 'create');
    expect(creates).toHaveLength(1);
    expect(plan.units.find((u) => u.ops.length === 2)!.ops[0]).toEqual(setDesiredState(second, 'shutdown'));
  });

  it('names the time a waiting replacement may start', () => {
    const svc = service({ condition: 'any', delay: 5 * SECOND });
    const failed = task(svc, { state: 'failed', desired: 'shutdown', created: T0, ended: T0 + 1_000 });
    const waiting = task(svc, { state: 'assigned', desired: 'ready', created: T0 + 1_200 });
    const snapshot = snapshotOf({ services: [svc], tasks: [failed, waiting] });
    expect(planRestarts(snapshot, T0 + 2_000)).toEqual({ units: [], wakeAt: T0 + 6_200 });
    expect(planRestarts(snapshot, T0 + 6_200).units).toEqual([
      { reason: `start ${waiting.id}`, ops: [setDesiredState(waiting, 'running')] },
    ]);
  });
});

describe('the scale-down order', () => {
  it('keeps one copy per node before second copies, running before not running, low slots first', () => {
    const svc = service(undefined, 6);
    const slot = (n: number, nodeId: string | undefined, state: TaskState = 'running') => {
      const t = task(svc, { slot: n, state, nodeId });
      return { slot: n, tasks: [t], live: [t] };
    };
    const occupied = [
      slot(1, 'a'),
      slot(2, 'a'),
      slot(3, 'a'),
      slot(4, 'b'),
      slot(5, undefined, 'new'),
      slot(6, 'c', 'assigned'),
    ];
    expect(slotsToKeep(occupied, 3).map((s) => s.slot)).toEqual([1, 4, 6]);
    expect(slotsToKeep(occupied, 4).map((s) => s.slot)).toEqual([1, 4, 6, 2]);
    expect(slotsToKeep(occupied, 5).map((s) => s.slot)).toEqual([1, 4, 6, 2, 3]);
  });
});

describe('history trimming', () => {
  it('deletes the oldest finished tasks past the limit, never live ones nor the newest', () => {
    const svc = service();
    const tasks = [0, 1, 2, 3].map((i) =>
      task(svc, { state: 'failed', desired: 'shutdown', created: T0 + i }),
    );
    const nodes = new Map();
    expect(historyToDelete(tasks, nodes, 2).map((t) => t.id)).toEqual([tasks[0]!.id, tasks[1]!.id]);
    expect(historyToDelete(tasks, nodes, 0).map((t) => t.id)).toEqual(tasks.slice(0, 3).map((t) => t.id));
    const live = [task(svc, { state: 'failed', created: T0 - 1 }), ...tasks];
    expect(historyToDelete(live, nodes, 2).map((t) => t.id)).toEqual(tasks.slice(0, 3).map((t) => t.id));
  });
});

describe('deepEqual', () => {
  it('treats a key holding undefined as absent', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: [1, { c: 2 }] }, { a: [1, { c: 2 }] })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: null }, { a: undefined })).toBe(false);
  });
});

describe('commitUnits', () => {
  it('drops a refused unit whole and commits the others, in bounded transactions', async () => {
    const { store } = localStore();
    const created = await store.update([
      {
        op: 'create',
        kind: 'node',
        object: {
          spec: { name: 'a', role: 'worker', availability: 'active' },
          status: { state: 'ready', addr: '' },
        },
      },
    ]);
    const node = created.objects[0]!;
    const stale = { op: 'delete' as const, kind: 'node' as const, id: node.id, expectedVersion: 999 };
    const svc = (name: string) => ({
      op: 'create' as const,
      kind: 'service' as const,
      object: { spec: withServiceDefaults({ name, taskTemplate: { containerSpec: { image: 'x' } } }) },
    });
    const outcome = await commitUnits(
      store,
      [
        { reason: 'one', ops: [svc('one')] },
        { reason: 'refused', ops: [svc('two'), stale] },
        { reason: 'three', ops: [svc('three'), svc('four')] },
        { reason: 'five', ops: [svc('five')] },
      ],
      { maxOps: 4 },
    );
    expect(outcome).toEqual({ committed: 3, refused: 1, transactions: 2 });
    expect(
      store
        .list('service')
        .map((s) => s.spec.name)
        .sort(),
    ).toEqual(['five', 'four', 'one', 'three']);
  });

  it('stops between transactions once aborted', async () => {
    const { store } = localStore();
    const controller = new AbortController();
    controller.abort();
    const op = {
      op: 'create' as const,
      kind: 'service' as const,
      object: { spec: withServiceDefaults({ name: 'x', taskTemplate: { containerSpec: { image: 'x' } } }) },
    };
    const outcome = await commitUnits(store, [{ reason: 'x', ops: [op] }], { signal: controller.signal });
    expect(outcome.transactions).toBe(0);
    expect(store.list('service')).toEqual([]);
  });
});

describe('isCurrent', () => {
  const template = (image: string) => ({ containerSpec: { image } });
  const service = (taskTemplate: object) => ({ spec: { taskTemplate } }) as unknown as StoredService;
  const task = (spec: object) => ({ spec }) as unknown as StoredTask;

  it('follows the template a frozen task spec is compared with, whatever it answered before', () => {
    const spec = Object.freeze(template('a:1'));
    const same = Object.freeze(template('a:1'));
    const other = Object.freeze(template('a:2'));
    expect(isCurrent(task(spec), service(same))).toBe(true);
    expect(isCurrent(task(spec), service(other))).toBe(false);
    expect(isCurrent(task(spec), service(same))).toBe(true);
  });

  it('compares a spec that is not frozen afresh each time (it may change)', () => {
    const spec = template('a:1');
    const fixed = Object.freeze(template('a:1'));
    expect(isCurrent(task(spec), service(fixed))).toBe(true);
    spec.containerSpec.image = 'a:2';
    expect(isCurrent(task(spec), service(fixed))).toBe(false);
  });
});
