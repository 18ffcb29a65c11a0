// A global job's decisions (SwarmKit's jobs/global reconciler): one task on every node that may
// run it — ready, active, matching the constraints, and in the cluster when the iteration
// started (a node joining later does not run an iteration it missed; the next one it will).
// A node's task that fails is retried there per the restart policy; on a node that may no longer
// run the job (drained, down, constraints) it is shut down, and runs again if the node returns
// before the job completed there.

import { constraintsOf, globalPlacement } from '../node-eligibility.js';
import type { RestartTuning } from '../restart-policy.js';
import { groupIntoSlots, hasEnded, newestTask } from '../slots.js';
import { createTask, newTask, setDesiredState } from '../task-factory.js';
import type { ApiOperation, StoredNode, StoredService, StoredTask } from '../types.js';
import {
  currentIteration,
  isWanted,
  iterationOf,
  iterationStartedAt,
  stopEarlierIterations,
} from './iteration.js';
import { gaveUp, retryDecision } from './retry.js';
import { emptyProgress, type JobPlan } from './status.js';

export function reconcileGlobalJob(
  service: StoredService,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  now: number,
  tuning: RestartTuning,
): JobPlan {
  const iteration = currentIteration(service);
  const plan: JobPlan = {
    units: stopEarlierIterations(service, tasks, iteration),
    progress: emptyProgress(),
  };
  const wake = (at: number): void => {
    if (plan.wakeAt === undefined || at < plan.wakeAt) plan.wakeAt = at;
  };
  const jobIteration = { index: iteration };
  const startedAt = iterationStartedAt(service);
  const matches = constraintsOf(service);
  const { slots, misplaced } = groupIntoSlots(
    tasks.filter((task) => iterationOf(task) === iteration),
    'globalJob',
  );
  const strays = misplaced.filter(isWanted).map((task) => setDesiredState(task, 'shutdown'));
  if (strays.length > 0)
    plan.units.push({ reason: `${service.spec.name}: tasks without a node`, ops: strays });

  const progress = plan.progress;
  for (const [key, nodeTasks] of slots) {
    const nodeId = key.slice('node:'.length);
    const placement = globalPlacement(nodes.get(nodeId), matches);
    const newest = newestTask(nodeTasks)!;
    const create = (): ApiOperation =>
      createTask(newTask(service, { nodeId }, now, 'complete', jobIteration));
    if (nodeTasks.some((task) => task.status.state === 'complete')) {
      progress.completedTasks++;
      continue;
    }
    if (!isWanted(newest)) {
      if (gaveUp(newest)) progress.failedSlots++;
      else if (placement === 'run') {
        // Shut down by the cluster (its node was drained or down) and the node is back.
        plan.units.push({ reason: `${service.spec.name} on node ${nodeId}: run again`, ops: [create()] });
        progress.desiredTasks++;
      }
      continue;
    }
    if (placement === 'stop') {
      plan.units.push({
        reason: `${service.spec.name}: node ${nodeId} may no longer run it`,
        ops: [setDesiredState(newest, 'shutdown')],
      });
      continue;
    }
    progress.desiredTasks++;
    if (!hasEnded(newest)) {
      if (newest.status.state === 'running') progress.runningTasks++;
      continue;
    }
    // Retried only where it can run now; a paused or unreachable node waits.
    if (placement !== 'run') continue;
    const decision = retryDecision(newest, nodeTasks, tuning);
    if ('giveUp' in decision) {
      progress.desiredTasks--;
      progress.failedSlots++;
      plan.units.push({
        reason: `${service.spec.name} on node ${nodeId}: ${newest.status.state}, restart policy says no more`,
        ops: [setDesiredState(newest, 'shutdown')],
      });
    } else if (decision.retryAt <= now) {
      plan.units.push({
        reason: `${service.spec.name} on node ${nodeId}: retry after ${newest.status.state}`,
        ops: [setDesiredState(newest, 'shutdown'), create()],
      });
    } else wake(decision.retryAt);
  }

  for (const node of nodes.values()) {
    if (slots.has(`node:${node.id}`)) continue;
    if (globalPlacement(node, matches) !== 'run' || Date.parse(node.meta.createdAt) > startedAt) continue;
    plan.units.push({
      reason: `run ${service.spec.name} on node ${node.id}`,
      ops: [createTask(newTask(service, { nodeId: node.id }, now, 'complete', jobIteration))],
    });
    progress.desiredTasks++;
  }
  return plan;
}
