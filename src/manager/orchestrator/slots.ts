// Slots: the unit every orchestrator reasons about. A replicated service's slot is its replica
// number; a global service's is the node. A slot holds its current task and its history. These
// helpers answer "which tasks are live", "which is the newest", "is this task current with the
// service" — the same questions the rolling updater and the job orchestrators will ask.

import { isTerminal, taskStateRank, type TaskSpec } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';
import type { ModeName } from './service-mode.js';
import { isSlotted } from './service-mode.js';
import type { StoredService, StoredTask } from './types.js';

const RUNNING = taskStateRank('running');

/**
 * Desired to run (or to get ready to run): the task occupies its slot. SwarmKit's
 * `DesiredState <= RUNNING`; a delayed restart waits as desired READY.
 */
export function isLive(task: StoredTask): boolean {
  return taskStateRank(task.desiredState) <= RUNNING;
}

/** The task's own status says it is over (SwarmKit: state > RUNNING). */
export function hasEnded(task: StoredTask): boolean {
  return isTerminal(task.status.state);
}

/** Milliseconds since the epoch of the task's creation (stamped by the proposing manager). */
export function createdAt(task: StoredTask): number {
  return Date.parse(task.meta.createdAt);
}

/** Creation order: oldest first; the id breaks ties within one transaction. */
export function byCreation(a: StoredTask, b: StoredTask): number {
  return createdAt(a) - createdAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function newestTask(tasks: readonly StoredTask[]): StoredTask | undefined {
  let newest: StoredTask | undefined;
  for (const task of tasks) if (!newest || byCreation(newest, task) < 0) newest = task;
  return newest;
}

/**
 * The slot a task belongs to: `slot:<n>` for replicated services, `node:<id>` for global ones;
 * undefined for a task that has no place in its service's mode (written around the orchestrator).
 */
export function slotKeyOf(task: StoredTask, mode: ModeName): string | undefined {
  if (isSlotted(mode))
    return Number.isSafeInteger(task.slot) && task.slot! > 0 ? `slot:${task.slot}` : undefined;
  return task.nodeId ? `node:${task.nodeId}` : undefined;
}

/** The service's tasks by slot key, each slot's tasks oldest first; unplaceable tasks apart. */
export function groupIntoSlots(
  tasks: readonly StoredTask[],
  mode: ModeName,
): { slots: Map<string, StoredTask[]>; misplaced: StoredTask[] } {
  const slots = new Map<string, StoredTask[]>();
  const misplaced: StoredTask[] = [];
  for (const task of tasks) {
    const key = slotKeyOf(task, mode);
    if (key === undefined) {
      misplaced.push(task);
      continue;
    }
    let slot = slots.get(key);
    if (!slot) slots.set(key, (slot = []));
    slot.push(task);
  }
  for (const slot of slots.values()) slot.sort(byCreation);
  return { slots, misplaced };
}

/**
 * Whether the task runs what the service asks for now: its spec equals the service's task
 * template. The rolling updater replaces the tasks that are not current.
 */
export function isCurrent(task: StoredTask, service: StoredService): boolean {
  const spec = task.spec;
  const template = service.spec.taskTemplate;
  const known = currentness.get(spec);
  if (known?.template === template) return known.current;
  const current = sameSpec(spec, template);
  if (Object.isFrozen(spec) && Object.isFrozen(template)) currentness.set(spec, { template, current });
  return current;
}

/**
 * isCurrent's answers for the store's objects, which are frozen, so the answer for one task spec
 * and one template cannot change: every pass of every loop asks it for every task, and a service
 * of 10,000 tasks would otherwise cost 10,000 deep comparisons each time.
 */
const currentness = new WeakMap<object, { template: object; current: boolean }>();

export function sameSpec(a: DeepReadonly<TaskSpec>, b: DeepReadonly<TaskSpec>): boolean {
  return deepEqual(a, b);
}

/**
 * Structural equality of JSON-like values, where a key holding `undefined` counts as absent
 * (the store may keep or drop such keys).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((value, i) => deepEqual(value, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (!deepEqual(left[key], right[key])) return false;
  return true;
}

/**
 * Live tasks on the service's current spec next to live tasks on an older one: a rolling update
 * in progress (start-first, or a replacement waiting for the old task to stop). The updater
 * decides when the old ones go; the reconcilers' "one live task per slot" rule leaves such a
 * slot alone, or it would undo the update's order.
 */
export function isUpdatePair(live: readonly StoredTask[], service: StoredService): boolean {
  const current = live.filter((task) => isCurrent(task, service)).length;
  return current > 0 && current < live.length;
}

/**
 * Of several live tasks in one slot, the one to keep: current with the service first, then the
 * one furthest along towards running (a task whose status has ended counts least), then the
 * newest. The others are shut down.
 */
export function pickSurvivor(live: readonly StoredTask[], service: StoredService): StoredTask | undefined {
  let best: StoredTask | undefined;
  for (const task of live) if (!best || survivorOrder(task, best, service) > 0) best = task;
  return best;
}

function survivorOrder(a: StoredTask, b: StoredTask, service: StoredService): number {
  const current = Number(isCurrent(a, service)) - Number(isCurrent(b, service));
  if (current !== 0) return current;
  const progress = (t: StoredTask): number => (hasEnded(t) ? -1 : taskStateRank(t.status.state));
  return progress(a) - progress(b) || byCreation(a, b);
}
