// The task reaper's decisions: which tasks leave the store.
// - Tasks of a service that no longer exists: desired REMOVE while they may still run (the worker
//   stops them), deleted once finished.
// - Tasks desired REMOVE (a slot scaled away): deleted once finished (SwarmKit: not yet assigned,
//   or past RUNNING).
// - History: per slot (replicated) or per node (global), at most the cluster's retention limit
//   of tasks, live ones included (SwarmKit's TaskHistoryRetentionLimit), the oldest finished
//   ones deleted first. With a restart maxAttempts the slot keeps maxAttempts + 1, so a new
//   leader can still count attempts from the store. A negative limit keeps everything. A job's
//   tasks of earlier iterations are trimmed the same way; its current iteration's are all kept
//   (they are how the job counts its completions).
// "Finished" is: ended, or never assigned and no longer wanted, or on a node that no longer
// exists (nothing will ever report on it again).

import { taskStateRank } from '../../../api/index.js';
import { currentIteration, iterationOf } from '../jobs/index.js';
import { isJobMode, modeOf } from '../service-mode.js';
import { groupIntoSlots, hasEnded, isLive, slotKeyOf } from '../slots.js';
import type { ClusterSnapshot } from '../snapshot.js';
import { deleteTask, setDesiredState } from '../task-factory.js';
import type { Plan, StoredNode, StoredService, StoredTask, WriteUnit } from '../types.js';

const ASSIGNED = taskStateRank('assigned');
const REMOVE = taskStateRank('remove');

export function planReaping(snapshot: ClusterSnapshot): Plan {
  const units: WriteUnit[] = [];
  for (const [serviceId, tasks] of snapshot.tasksByService) {
    const service = snapshot.services.get(serviceId);
    if (!service) units.push(...reapRemovedService(serviceId, tasks, snapshot.nodes));
    else units.push(...reapService(service, tasks, snapshot.nodes, snapshot.taskHistoryRetentionLimit));
  }
  return { units };
}

export function isFinished(task: StoredTask, nodes: ReadonlyMap<string, StoredNode>): boolean {
  if (hasEnded(task)) return true;
  if (isLive(task)) return false;
  if (taskStateRank(task.status.state) < ASSIGNED) return true;
  return task.nodeId !== undefined && !nodes.has(task.nodeId);
}

function reapRemovedService(
  serviceId: string,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
): WriteUnit[] {
  const units: WriteUnit[] = [];
  for (const task of tasks) {
    if (isFinished(task, nodes))
      units.push({
        reason: `delete task ${task.id} of removed service ${serviceId}`,
        ops: [deleteTask(task)],
      });
    else if (taskStateRank(task.desiredState) < REMOVE)
      units.push({
        reason: `stop task ${task.id} of removed service ${serviceId}`,
        ops: [setDesiredState(task, 'remove')],
      });
  }
  return units;
}

function reapService(
  service: StoredService,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  retentionLimit: number,
): WriteUnit[] {
  const units: WriteUnit[] = [];
  const kept: StoredTask[] = [];
  for (const task of tasks) {
    if (taskStateRank(task.desiredState) < REMOVE) kept.push(task);
    else if (isFinished(task, nodes))
      units.push({ reason: `delete removed task ${task.id}`, ops: [deleteTask(task)] });
  }

  const mode = modeOf(service);
  const limit = historyLimit(service, retentionLimit);
  if (isJobMode(mode)) {
    // A job's current iteration is its progress (a deleted completed task would run again):
    // all of it stays. Earlier iterations are history, trimmed per slot or node as a service's.
    const iteration = currentIteration(service);
    const earlier = kept.filter((task) => iterationOf(task) !== iteration);
    for (const [key, slotTasks] of groupIntoSlots(earlier, mode).slots)
      for (const task of historyToDelete(slotTasks, nodes, limit))
        units.push({ reason: `trim earlier runs of ${service.spec.name} ${key}`, ops: [deleteTask(task)] });
    return units;
  }
  // Only slots holding more tasks than the limit can have history to trim (and, for a global
  // service, slots whose node is gone): most slots of a large service hold one task, and
  // grouping and sorting all of them on every pass would cost what the pass is for.
  const perSlot = new Map<string, number>();
  for (const task of kept) {
    const key = slotKeyOf(task, mode);
    if (key !== undefined) perSlot.set(key, (perSlot.get(key) ?? 0) + 1);
  }
  const mayTrim = (task: StoredTask): boolean => {
    const key = slotKeyOf(task, mode);
    if (key === undefined) return false;
    if (mode === 'global' && !nodes.has(key.slice('node:'.length))) return true;
    return limit >= 0 && perSlot.get(key)! > limit;
  };
  const { slots } = groupIntoSlots(kept.filter(mayTrim), mode);
  for (const [key, slotTasks] of slots) {
    const nodeGone = mode === 'global' && !nodes.has(key.slice('node:'.length));
    for (const task of historyToDelete(slotTasks, nodes, nodeGone ? 0 : limit, nodeGone))
      units.push({ reason: `trim history of ${service.spec.name} ${key}`, ops: [deleteTask(task)] });
  }
  return units;
}

/** The retention limit for one service's slots; negative means keep everything. */
export function historyLimit(service: StoredService, retentionLimit: number): number {
  if (retentionLimit < 0) return retentionLimit;
  const maxAttempts = service.spec.taskTemplate.restartPolicy?.maxAttempts ?? 0;
  return maxAttempts > 0 ? Math.max(retentionLimit, maxAttempts + 1) : retentionLimit;
}

/**
 * The oldest finished tasks of one slot (oldest first) past `limit`. Never the slot's newest
 * task — it is the slot's state (a retired slot must stay retired) — nor any task of a slot
 * whose replacement still waits as READY: the restart delay is computed from that history.
 * A global slot whose node left the store keeps nothing (SwarmKit deletes those tasks).
 */
export function historyToDelete(
  slotTasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  limit: number,
  keepNothing = false,
): StoredTask[] {
  if (!keepNothing && (limit < 0 || slotTasks.length <= limit)) return [];
  if (!keepNothing && slotTasks.some((task) => isLive(task) && task.desiredState === 'ready')) return [];
  const candidates = keepNothing ? slotTasks : slotTasks.slice(0, -1);
  const doomed: StoredTask[] = [];
  let count = slotTasks.length;
  for (const task of candidates) {
    if (!keepNothing && count <= limit) break;
    // An ended task still desired RUNNING awaits the restart supervisor's decision.
    if (isLive(task) || !isFinished(task, nodes)) continue;
    doomed.push(task);
    count--;
  }
  return doomed;
}
