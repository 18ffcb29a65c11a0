// The replicated orchestrator's decisions: every replicated service has exactly `replicas`
// occupied slots. A slot is occupied when it has a live task (desired RUNNING, or READY while a
// restart waits) or when its restart policy retired it. Scaling up fills the lowest free slot
// numbers; scaling down removes slots by SwarmKit's preference; a slot holding two live tasks
// keeps one. Tasks' failures and node moves are the restart supervisor's, not this loop's.

import { taskStateRank } from '../../../api/index.js';
import { isRetired } from '../restart/index.js';
import { modeOf, replicasOf } from '../service-mode.js';
import { groupIntoSlots, isLive, pickSurvivor } from '../slots.js';
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

interface OccupiedSlot {
  slot: number;
  tasks: readonly StoredTask[];
  live: StoredTask[];
}

export function reconcileReplicatedService(
  service: StoredService,
  tasks: readonly StoredTask[],
  now: number,
): WriteUnit[] {
  const units: WriteUnit[] = [];
  const replicas = replicasOf(service);
  const { slots, misplaced } = groupIntoSlots(tasks, 'replicated');
  // A task without a slot belongs nowhere in a replicated service.
  const misplacedOps = misplaced.filter(notRemoved).map((task) => setDesiredState(task, 'remove'));
  if (misplacedOps.length > 0) units.push({ reason: `remove tasks without a slot`, ops: misplacedOps });

  const occupied: OccupiedSlot[] = [];
  const unoccupied: OccupiedSlot[] = [];
  for (const [key, slotTasks] of slots) {
    const entry = {
      slot: Number(key.slice('slot:'.length)),
      tasks: slotTasks,
      live: slotTasks.filter(isLive),
    };
    if (entry.live.length > 0 || isRetired(slotTasks, service)) occupied.push(entry);
    else unoccupied.push(entry);
  }

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
    if (entry.live.length < 2) continue;
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

/**
 * The slots a scale-down keeps (SwarmKit's replicated/services.go, made deterministic): each slot
 * running one assigned task is numbered as the nth copy of the service on its node, running
 * tasks and lower slots counted first; slots with a lower copy number are kept first, so the
 * nodes holding the most copies lose them. Slots with no single placed task (retired, not yet
 * assigned, or holding two live tasks) go before any of those. Ties keep running tasks, then
 * lower slot numbers: with everything else equal the highest slots go.
 */
export function slotsToKeep(occupied: readonly OccupiedSlot[], replicas: number): OccupiedSlot[] {
  const running = (entry: OccupiedSlot): boolean =>
    entry.live.some((task) => task.status.state === 'running');
  const inCountingOrder = [...occupied].sort(
    (a, b) => Number(running(b)) - Number(running(a)) || a.slot - b.slot,
  );
  const copiesOnNode = new Map<string, number>();
  const copyNumber = new Map<OccupiedSlot, number>();
  for (const entry of inCountingOrder) {
    const nodeId = entry.live.length === 1 ? entry.live[0]!.nodeId : undefined;
    if (!nodeId) continue;
    const n = (copiesOnNode.get(nodeId) ?? 0) + 1;
    copiesOnNode.set(nodeId, n);
    copyNumber.set(entry, n);
  }
  const order = (entry: OccupiedSlot): number => copyNumber.get(entry) ?? Number.POSITIVE_INFINITY;
  return [...occupied]
    .sort((a, b) => order(a) - order(b) || Number(running(b)) - Number(running(a)) || a.slot - b.slot)
    .slice(0, replicas);
}

function notRemoved(task: StoredTask): boolean {
  return taskStateRank(task.desiredState) < REMOVE;
}
