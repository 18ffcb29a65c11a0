// Which slots a replicated service (or job) has: a slot is occupied while it holds a live task
// or its restart policy retired it; when there are more occupied slots than replicas, which ones a
// scale-down keeps. The replicated orchestrator, the restart supervisor and the rolling updater
// all read the same answer, so none of them acts on a slot another is removing.

import { isRetired } from './restart-policy.js';
import { replicasOf } from './service-mode.js';
import { groupIntoSlots, isLive } from './slots.js';
import type { StoredService, StoredTask } from './types.js';

export interface OccupiedSlot {
  slot: number;
  /** The slot's tasks, oldest first. */
  tasks: readonly StoredTask[];
  live: StoredTask[];
}

/**
 * A replicated service's slots: occupied (a live task, or retired by its restart policy) or not,
 * and the tasks that have no slot.
 */
export function slotOccupancy(tasks: readonly StoredTask[]): {
  occupied: OccupiedSlot[];
  unoccupied: OccupiedSlot[];
  misplaced: StoredTask[];
} {
  const { slots, misplaced } = groupIntoSlots(tasks, 'replicated');
  const occupied: OccupiedSlot[] = [];
  const unoccupied: OccupiedSlot[] = [];
  for (const [key, slotTasks] of slots) {
    const entry = {
      slot: Number(key.slice('slot:'.length)),
      tasks: slotTasks,
      live: slotTasks.filter(isLive),
    };
    if (entry.live.length > 0 || isRetired(slotTasks)) occupied.push(entry);
    else unoccupied.push(entry);
  }
  return { occupied, unoccupied, misplaced };
}

/**
 * The occupied slots the service keeps (all of them, or the ones a pending scale-down keeps):
 * the slots the restart supervisor restarts in and the rolling updater updates.
 */
export function keptSlots(service: StoredService, tasks: readonly StoredTask[]): OccupiedSlot[] {
  const { occupied } = slotOccupancy(tasks);
  const replicas = replicasOf(service);
  return occupied.length > replicas ? slotsToKeep(occupied, replicas) : occupied;
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
