// Properties of rolling updates (fast-check): for replicated and global services, random update
// configs and random sequences of
// spec changes, manual rollbacks, task failures, cluster rounds and clock moves, the rollout
// never has more than `parallelism` slots being replaced at once (start-first: never more than
// that many slots holding an extra task; stop-first: never old and new running at once in a
// slot), and once the failures stop a last spec change converges to every slot on that spec.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FailureAction, UpdateOrder } from '../../../../src/api/index.js';
import { isCurrent, ROLLOUT_LABEL } from '../../../../src/manager/orchestrator/index.js';
import { World } from './harness.js';
import { bothRunning, imageOf, liveBySlot, round, rolloutState } from './rollout-helpers.js';

interface Setup {
  /** A global service (one task on each of the 3 nodes) instead of `replicas` replicas. */
  global: boolean;
  replicas: number;
  parallelism: number;
  order: UpdateOrder;
  failureAction: FailureAction;
  delaySeconds: number;
  /** Containers take a round of the cluster to stop. */
  slowStops: boolean;
}

type Command =
  | { kind: 'deploy' }
  | { kind: 'force' }
  | { kind: 'rollback' }
  | { kind: 'fail'; pick: number; beforeRunning: boolean }
  | { kind: 'round' }
  | { kind: 'advance'; ms: number };

const setup: fc.Arbitrary<Setup> = fc.record({
  global: fc.boolean(),
  replicas: fc.integer({ min: 1, max: 5 }),
  parallelism: fc.integer({ min: 0, max: 3 }),
  order: fc.constantFrom<UpdateOrder>('stop-first', 'start-first'),
  failureAction: fc.constantFrom<FailureAction>('pause', 'continue', 'rollback'),
  delaySeconds: fc.constantFrom(0, 0, 2),
  slowStops: fc.boolean(),
});

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'deploy' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'force' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'rollback' as const }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant('fail' as const), pick: fc.nat(), beforeRunning: fc.boolean() }),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: 'round' as const }), weight: 5 },
  {
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 100, max: 8_000 }) }),
    weight: 2,
  },
);

let version = 0;

async function apply(world: World, id: string, cmd: Command): Promise<void> {
  switch (cmd.kind) {
    case 'deploy':
      return world.deployImage(id, `app:${++version}`);
    case 'force':
      return world.deploy(id, (spec) => ({
        ...spec,
        taskTemplate: { ...spec.taskTemplate, forceUpdate: (spec.taskTemplate.forceUpdate ?? 0) + 1 },
      }));
    case 'rollback':
      if (world.service(id).previousSpec) await world.rollback(id);
      return;
    case 'fail': {
      const candidates = world
        .live(id)
        .filter((t) => (cmd.beforeRunning ? t.status.state !== 'running' : t.status.state === 'running'))
        .filter((t) => t.status.state !== 'failed' && t.status.state !== 'complete')
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      if (candidates.length === 0) return;
      return world.report(candidates[cmd.pick % candidates.length]!.id, 'failed');
    }
    case 'round':
      return round(world);
    case 'advance':
      return world.advance(cmd.ms);
  }
}

/** The invariants that hold at every step. */
function check(world: World, id: string, s: Setup): void {
  const service = world.service(id);
  const limit = s.parallelism === 0 ? Number.POSITIVE_INFINITY : s.parallelism;
  // Replacements under way: a task the current rollout created that is not running yet, or a
  // task on the current spec next to one on an older spec it has not taken over from yet.
  const rollout = service.updateStatus?.startedAt;
  let replacing = 0;
  for (const tasks of liveBySlot(world, id).values()) {
    const ours = tasks.filter((t) => rollout !== undefined && t.labels[ROLLOUT_LABEL] === rollout);
    const older = tasks.filter((t) => !isCurrent(t, service));
    const pair = older.length > 0 && older.length < tasks.length;
    if (ours.some((t) => t.status.state !== 'running') || pair) replacing++;
  }
  expect(replacing, 'slots being replaced at once').toBeLessThanOrEqual(limit);
  if (s.order === 'stop-first') expect(bothRunning(world, id), 'old and new running in one slot').toBe(0);
  else {
    const extra = [...liveBySlot(world, id).values()].filter((tasks) => tasks.length > 1).length;
    expect(extra, 'slots holding an extra task').toBeLessThanOrEqual(limit);
  }
}

/** Runs the cluster and the clock until nothing is left to do (restart delays, monitor). */
async function quiesce(world: World, id: string, s: Setup, image: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await world.converge();
    check(world, id, s);
    const live = world.live(id);
    if (
      rolloutState(world, id) === 'completed' &&
      live.length === (s.global ? 3 : s.replicas) &&
      live.every((t) => imageOf(t) === image && t.status.state === 'running')
    )
      return;
    await world.advance(3_000);
  }
  const summary = world.live(id).map((t) => `${t.slot}:${imageOf(t)}:${t.desiredState}/${t.status.state}`);
  throw new Error(`no convergence: ${rolloutState(world, id)} ${summary.join(' ')}`);
}

describe('rolling update properties', () => {
  it('never replaces more than parallelism slots at once, and converges once failures stop', async () => {
    await fc.assert(
      fc.asyncProperty(setup, fc.array(command, { maxLength: 25 }), async (s, commands) => {
        const world = new World();
        world.slowStops = s.slowStops;
        try {
          for (let i = 1; i <= 3; i++) await world.addNode(`n${i}`);
          const config = {
            parallelism: s.parallelism,
            order: s.order,
            monitor: 1_000_000_000,
            delay: s.delaySeconds * 1_000_000_000,
          };
          const id = await world.addService('web', {
            replicas: s.replicas,
            global: s.global,
            image: 'app:0',
            restart: { condition: 'any', delay: 500_000_000 },
            update: { ...config, failureAction: s.failureAction },
            rollback: {
              ...config,
              failureAction: s.failureAction === 'rollback' ? 'pause' : s.failureAction,
            },
          });
          world.startAll({ maxDelayMs: 4_000 });
          await world.converge();
          for (const cmd of commands) {
            await apply(world, id, cmd);
            await world.settle();
            check(world, id, s);
          }
          const last = `app:${++version}`;
          await world.deployImage(id, last);
          await quiesce(world, id, s, last);
          for (const tasks of liveBySlot(world, id).values()) expect(tasks).toHaveLength(1);
        } finally {
          await world.stopAll();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('replaces each slot once per rollout even while two leaders race', async () => {
    await fc.assert(
      fc.asyncProperty(setup, fc.array(command, { maxLength: 15 }), async (s, commands) => {
        const world = new World();
        world.slowStops = s.slowStops;
        try {
          for (let i = 1; i <= 3; i++) await world.addNode(`n${i}`);
          const config = { parallelism: s.parallelism, order: s.order, monitor: 1_000_000_000 };
          const id = await world.addService('web', {
            replicas: s.replicas,
            global: s.global,
            image: 'app:0',
            restart: { condition: 'any', delay: 500_000_000 },
            update: { ...config, failureAction: 'continue' },
            rollback: { ...config, failureAction: 'continue' },
          });
          world.deferWrites = true;
          world.startAll({ maxDelayMs: 4_000 });
          world.startAll({ maxDelayMs: 4_000 });
          await world.converge();
          for (const cmd of commands) if (cmd.kind !== 'fail') await apply(world, id, cmd);
          const last = `app:${++version}`;
          await world.deployImage(id, last);
          await quiesce(world, id, { ...s, failureAction: 'continue' }, last);
          // A slot gets at most one replacement per rollout, whichever leader made it.
          const replacements = new Map<string, number>();
          for (const task of world.tasks(id)) {
            const rollout = task.labels[ROLLOUT_LABEL];
            if (rollout === undefined) continue;
            const key = `${task.slot ?? task.nodeId} ${rollout} ${imageOf(task)} ${task.spec.forceUpdate ?? 0}`;
            replacements.set(key, (replacements.get(key) ?? 0) + 1);
          }
          for (const [key, count] of replacements) expect(count, `replacements of ${key}`).toBe(1);
        } finally {
          world.deferWrites = false;
          await world.stopAll();
        }
      }),
      { numRuns: 60 },
    );
  });
});
