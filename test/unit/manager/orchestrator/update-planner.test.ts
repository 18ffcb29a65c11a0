// The rolling updater's pure pieces on hand-built objects, no store or clock: the config a
// rollout runs with, the monitor window with and without a leader's memory, where a rollout
// stands for each slot, and the manual rollback the control API writes.

import { describe, expect, it } from 'vitest';
import {
  SECOND,
  withServiceDefaults,
  type Task,
  type TaskState,
  type UpdateConfig,
} from '../../../../src/api/index.js';
import {
  failedWithinMonitor,
  manualRollback,
  NO_HISTORY,
  planRollout,
  ROLLOUT_LABEL,
  rolloutConfigOf,
  rolloutSlots,
  type StoredService,
  type StoredTask,
  type TaskHistory,
} from '../../../../src/manager/orchestrator/index.js';

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function service(image: string, update: UpdateConfig = {}, previousImage?: string): StoredService {
  const spec = (img: string) =>
    withServiceDefaults({
      name: 'web',
      taskTemplate: { containerSpec: { image: img } },
      mode: { replicated: { replicas: 2 } },
      updateConfig: update,
    });
  const svc: StoredService = {
    id: 'svc',
    meta: { version: { index: 7 }, createdAt: iso(T0), updatedAt: iso(T0) },
    spec: spec(image),
  };
  return previousImage ? { ...svc, previousSpec: spec(previousImage) } : svc;
}

let nextId = 0;
function task(
  svc: StoredService,
  image: string,
  fields: {
    slot: number;
    state?: TaskState;
    desired?: TaskState;
    created?: number;
    at?: number;
    rollout?: string;
  },
): StoredTask {
  const created = fields.created ?? T0;
  const spec = structuredClone(svc.spec.taskTemplate) as Task['spec'];
  spec.containerSpec.image = image;
  return {
    id: `t${++nextId}`,
    meta: { version: { index: nextId }, createdAt: iso(created), updatedAt: iso(created) },
    labels: fields.rollout ? { [ROLLOUT_LABEL]: fields.rollout } : {},
    spec,
    serviceId: svc.id,
    slot: fields.slot,
    nodeId: 'n1',
    status: { state: fields.state ?? 'running', timestamp: iso(fields.at ?? created), message: '' },
    desiredState: fields.desired ?? 'running',
  };
}

describe('the rollout config', () => {
  it('reads the update config while updating and the rollback config while rolling back', () => {
    const svc = service('b', { parallelism: 0, delay: 2 * SECOND, order: 'start-first' });
    expect(rolloutConfigOf(svc, false)).toEqual({
      parallelism: Number.POSITIVE_INFINITY,
      delayMs: 2_000,
      failureAction: 'pause',
      monitorMs: 5_000,
      maxFailureRatio: 0,
      order: 'start-first',
    });
    const rollingBack = {
      ...svc,
      spec: { ...svc.spec, rollbackConfig: { failureAction: 'rollback' as const } },
    };
    expect(rolloutConfigOf(rollingBack, true)).toMatchObject({ parallelism: 1, failureAction: 'pause' });
  });
});

describe('the monitor window', () => {
  const svc = service('b');
  const ended = task(svc, 'b', { slot: 1, state: 'failed', created: T0, at: T0 + 10_000 });
  const memory = (runningSince?: number, wholeLife = false): TaskHistory => ({
    runningSince: () => runningSince,
    sawWholeLife: () => wholeLife,
  });

  it('counts an end within monitor of reaching RUNNING, and not one after', () => {
    expect(failedWithinMonitor(ended, 5_000, memory(T0 + 6_000))).toBe(true);
    expect(failedWithinMonitor(ended, 5_000, memory(T0 + 4_000))).toBe(false);
  });

  it('counts a task that was watched from its creation and never ran', () => {
    expect(failedWithinMonitor(ended, 5_000, memory(undefined, true))).toBe(true);
  });

  it('without memory, bounds the run by the task’s life', () => {
    expect(failedWithinMonitor(ended, 5_000, NO_HISTORY)).toBe(false);
    expect(failedWithinMonitor(ended, 10_000, NO_HISTORY)).toBe(true);
  });

  it('never counts a task the cluster ended', () => {
    const orphaned = { ...ended, status: { ...ended.status, state: 'orphaned' as const } };
    expect(failedWithinMonitor(orphaned, 60_000, memory(undefined, true))).toBe(false);
  });
});

describe('where a rollout stands', () => {
  const rollout = iso(T0 + 1_000);
  const svc = {
    ...service('b', {}, 'a'),
    updateStatus: { state: 'updating' as const, startedAt: rollout, message: 'update in progress' },
  };

  it('tells outdated, starting, handed-over and updated slots apart by the rollout’s label', () => {
    const tasks = [
      // slot 1: replaced, the new task runs
      task(svc, 'a', { slot: 1, desired: 'shutdown', state: 'shutdown' }),
      task(svc, 'b', { slot: 1, created: T0 + 2_000, at: T0 + 3_000, rollout }),
      // slot 2: start-first, the new task runs next to the old one
      task(svc, 'a', { slot: 2 }),
      task(svc, 'b', { slot: 2, created: T0 + 2_000, at: T0 + 3_000, rollout }),
    ];
    const phases = rolloutSlots(svc, tasks, new Map(), rollout, NO_HISTORY).map((s) => [s.key, s.phase]);
    expect(phases).toEqual([
      ['slot:1', 'updated'],
      ['slot:2', 'handover'],
    ]);
    // A task on the new spec not created by this rollout (a restart of a crashed old task) is
    // no replacement: the slot is clean.
    const restarted = [
      task(svc, 'a', { slot: 1, desired: 'shutdown', state: 'failed' }),
      task(svc, 'b', { slot: 1, created: T0 + 2_000, state: 'new' }),
      task(svc, 'a', { slot: 2, state: 'running' }),
    ];
    expect(rolloutSlots(svc, restarted, new Map(), rollout, NO_HISTORY).map((s) => s.phase)).toEqual([
      'clean',
      'outdated',
    ]);
  });

  it('replaces the next outdated slot in one unit: old task stopped, new one waiting for it', () => {
    const tasks = [task(svc, 'a', { slot: 1 }), task(svc, 'a', { slot: 2 })];
    const { units } = planRollout(svc, tasks, new Map(), T0 + 2_000);
    expect(units).toHaveLength(1);
    const ops = units[0]!.ops;
    expect(ops.map((op) => [op.op, op.kind])).toEqual([
      ['patch', 'task'],
      ['create', 'task'],
    ]);
    expect(ops[0]).toEqual({
      op: 'patch',
      kind: 'task',
      id: tasks[0]!.id,
      fields: { desiredState: 'shutdown' },
      expectedVersion: tasks[0]!.meta.version.index,
    });
    expect(ops[1]).toMatchObject({
      object: { slot: 1, desiredState: 'ready', labels: { [ROLLOUT_LABEL]: rollout } },
    });
  });

  it('records a rollout first when tasks run an older spec and none is recorded', () => {
    const fresh = service('b', {}, 'a');
    const { units } = planRollout(fresh, [task(fresh, 'a', { slot: 1 })], new Map(), T0 + 5_000);
    expect(units).toEqual([
      {
        reason: 'web: update started',
        ops: [
          {
            op: 'update',
            kind: 'service',
            expectedVersion: 7,
            object: expect.objectContaining({
              updateStatus: { state: 'updating', startedAt: iso(T0 + 5_000), message: 'update in progress' },
            }) as unknown,
          },
        ],
      },
    ]);
  });
});

describe('a manual rollback', () => {
  it('swaps the spec and the previous spec and starts a rollback now', () => {
    const svc = service('b', {}, 'a');
    const decision = manualRollback(svc, T0 + 9_000);
    expect(decision.ok).toBe(true);
    if (!decision.ok) return;
    expect(decision.service.spec.taskTemplate.containerSpec.image).toBe('a');
    expect(decision.service.previousSpec!.taskTemplate.containerSpec.image).toBe('b');
    expect(decision.service.updateStatus).toEqual({
      state: 'rollback_started',
      startedAt: iso(T0 + 9_000),
      message: 'manually requested rollback',
    });
  });

  it('is refused without a previous spec', () => {
    expect(manualRollback(service('b'), T0)).toEqual({
      ok: false,
      reason: 'service svc does not have a previous spec',
    });
  });
});
