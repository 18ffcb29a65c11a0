// The replicated orchestrator's decisions: every replicated service has exactly `replicas`
// occupied slots. A slot is occupied when it has a live task (desired RUNNING, or READY while a
// restart waits) or when its restart policy retired it. Scaling up fills the lowest free slot
// numbers; scaling down removes slots by SwarmKit's preference; a slot holding two live tasks
// keeps one — unless one runs an older spec than the other: that pair is a rolling update's
// (start-first) and the updater retires the old one. Tasks' failures and node moves are the
// restart supervisor's, replacing outdated tasks the updater's, not this loop's.

import { taskStateRank } from '../../../api/index.js';
import { slotOccupancy, slotsToKeep } from '../occupancy.js';
import { modeOf, replicasOf } from '../service-mode.js';
import { isUpdatePair, pickSurvivor } from '../slots.js';
import type { ClusterSnapshot } from '../snapshot.js';
import { createTask, newTask, setDesiredState } from '../task-factory.js';
import type { Plan, StoredService, StoredTask, WriteUnit } from '../types.js';

const REMOVE = taskStateRank('remove');

export function planReplicated(snapshot: ClusterSnapshot, now: number): Plan {
  const units: WriteUnit[] = [];
  for (const service of snapshot.services.values()) {
    if (modeOf(service) !== 'replicated') continue;
    units.push(...reconcileReplicatedService(service, snapshot.tasksByService.get(service.id) ?? [], now));
  }
  return { units };
}

export function reconcileReplicatedService(
  service: StoredService,
  tasks: readonly StoredTask[],
  now: number,
): WriteUnit[] {
  const units: WriteUnit[] = [];
  const replicas = replicasOf(service);
  const { occupied, unoccupied, misplaced } = slotOccupancy(tasks);
  // A task without a slot belongs nowhere in a replicated service.
  const misplacedOps = misplaced.filter(notRemoved).map((task) => setDesiredState(task, 'remove'));
  if (misplacedOps.length > 0) units.push({ reason: `remove tasks without a slot`, ops: misplacedOps });

  const kept = occupied.length > replicas ? slotsToKeep(occupied, replicas) : occupied;
  const keptNumbers = new Set(kept.map((entry) => entry.slot));
  for (const entry of occupied) {
    if (keptNumbers.has(entry.slot)) continue;
    // SwarmKit sets REMOVE: the worker stops the task, the task reaper deletes it once stopped.
    const ops = entry.tasks.filter(notRemoved).map((task) => setDesiredState(task, 'remove'));
    if (ops.length > 0)
      units.push({ reason: `scale ${service.spec.name} down: remove slot ${entry.slot}`, ops });
  }

  // Fill the lowest slot numbers not occupied (SwarmKit's addTasks), reusing emptied slots.
  let next = 0;
  for (let missing = replicas - kept.length; missing > 0; missing--) {
    do next++;
    while (keptNumbers.has(next));
    keptNumbers.add(next);
    units.push({
      reason: `scale ${service.spec.name} up: slot ${next}`,
      ops: [createTask(newTask(service, { slot: next }, now))],
    });
  }

  // An emptied slot that is not refilled no longer exists: its history goes (SwarmKit deletes it).
  for (const entry of unoccupied) {
    if (keptNumbers.has(entry.slot)) continue;
    const ops = entry.tasks.filter(notRemoved).map((task) => setDesiredState(task, 'remove'));
    if (ops.length > 0) units.push({ reason: `remove history of vanished slot ${entry.slot}`, ops });
  }

  for (const entry of kept) {
    if (entry.live.length < 2 || isUpdatePair(entry.live, service)) continue;
    const survivor = pickSurvivor(entry.live, service)!;
    const ops = entry.live
      .filter((task) => task !== survivor)
      .map((task) => setDesiredState(task, 'shutdown'));
    units.push({
      reason: `slot ${entry.slot} of ${service.spec.name} has ${entry.live.length} live tasks`,
      ops,
    });
  }
  return units;
}

function notRemoved(task: StoredTask): boolean {
  return taskStateRank(task.desiredState) < REMOVE;
}
