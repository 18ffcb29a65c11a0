// A replicated job's decisions (SwarmKit's jobs/replicated reconciler): run `totalCompletions`
// tasks to completion, at most `maxConcurrent` at a time. Every task of an iteration has its own
// slot, 1..totalCompletions; a slot is done once a task in it completed. A task that failed is
// retried in its slot per the restart policy (retry.ts) and occupies its place in the
// concurrency limit while it waits; a task on a node that went away or was drained is replaced
// at once.

import { mustVacate } from '../node-eligibility.js';
import type { RestartTuning } from '../restart-policy.js';
import { replicatedJobOf } from '../service-mode.js';
import { groupIntoSlots, hasEnded, newestTask } from '../slots.js';
import { createTask, newTask, setDesiredState } from '../task-factory.js';
import type { ApiOperation, StoredNode, StoredService, StoredTask } from '../types.js';
import { currentIteration, isWanted, iterationOf, stopEarlierIterations } from './iteration.js';
import { gaveUp, retryDecision } from './retry.js';
import { emptyProgress, type JobPlan } from './status.js';

export function reconcileReplicatedJob(
  service: StoredService,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  now: number,
  tuning: RestartTuning,
): JobPlan {
  const { maxConcurrent, totalCompletions } = replicatedJobOf(service)!;
  const iteration = currentIteration(service);
  const plan: JobPlan = {
    units: stopEarlierIterations(service, tasks, iteration),
    progress: emptyProgress(),
  };
  const wake = (at: number): void => {
    if (plan.wakeAt === undefined || at < plan.wakeAt) plan.wakeAt = at;
  };
  const jobIteration = { index: iteration };
  const create = (slot: number): ApiOperation =>
    createTask(newTask(service, { slot }, now, 'complete', jobIteration));

  const { slots, misplaced } = groupIntoSlots(
    tasks.filter((task) => iterationOf(task) === iteration),
    'replicatedJob',
  );
  const strays = misplaced.filter(isWanted).map((task) => setDesiredState(task, 'shutdown'));
  if (strays.length > 0)
    plan.units.push({ reason: `${service.spec.name}: tasks without a slot`, ops: strays });

  let active = 0; // running, starting, or waiting for a retry: what maxConcurrent limits
  let completed = 0;
  let failed = 0;
  const used = new Set<number>();
  const emptied: number[] = [];
  for (const [key, slotTasks] of slots) {
    const slot = Number(key.slice('slot:'.length));
    used.add(slot);
    const newest = newestTask(slotTasks)!;
    if (slotTasks.some((task) => task.status.state === 'complete')) {
      completed++;
      // Anything else still going in a completed slot (a race of two leaders) is not needed.
      const extra = slotTasks.filter((task) => isWanted(task) && !hasEnded(task));
      if (extra.length > 0)
        plan.units.push({
          reason: `${service.spec.name} slot ${slot} completed`,
          ops: extra.map((task) => setDesiredState(task, 'shutdown')),
        });
      continue;
    }
    if (!isWanted(newest)) {
      if (gaveUp(newest)) failed++;
      else emptied.push(slot); // shut down by the cluster without a successor: run it again
      continue;
    }
    active++;
    if (hasEnded(newest)) {
      const decision = retryDecision(newest, slotTasks, tuning);
      if ('giveUp' in decision) {
        active--;
        failed++;
        plan.units.push({
          reason: `${service.spec.name} slot ${slot}: ${newest.status.state}, restart policy says no more`,
          ops: [setDesiredState(newest, 'shutdown')],
        });
      } else if (decision.retryAt <= now) {
        plan.units.push({
          reason: `${service.spec.name} slot ${slot}: retry after ${newest.status.state}`,
          ops: [setDesiredState(newest, 'shutdown'), create(slot)],
        });
      } else wake(decision.retryAt);
      continue;
    }
    const node = newest.nodeId ? nodes.get(newest.nodeId) : undefined;
    if (newest.nodeId && mustVacate(node))
      plan.units.push({
        reason: `${service.spec.name} slot ${slot}: moves off node ${newest.nodeId}`,
        ops: [setDesiredState(newest, 'shutdown'), create(slot)],
      });
    if (newest.status.state === 'running') plan.progress.runningTasks++;
  }

  // New runs: emptied slots first, then the lowest slot numbers not used in this iteration.
  let room = Math.min(maxConcurrent - active, totalCompletions - completed - failed - active);
  for (const slot of emptied.sort((a, b) => a - b)) {
    if (room <= 0) break;
    plan.units.push({ reason: `${service.spec.name} slot ${slot}: run again`, ops: [create(slot)] });
    room--;
  }
  for (let slot = 1; room > 0 && slot <= totalCompletions; slot++) {
    if (used.has(slot)) continue;
    plan.units.push({ reason: `${service.spec.name}: run slot ${slot}`, ops: [create(slot)] });
    room--;
  }

  // Docker's ServiceStatus for a replicated job: the tasks wanted at once is the smaller of
  // maxConcurrent and the completions still to go.
  plan.progress.completedTasks = completed;
  plan.progress.desiredTasks = Math.max(0, Math.min(maxConcurrent, totalCompletions - completed - failed));
  plan.progress.failedSlots = failed;
  return plan;
}
