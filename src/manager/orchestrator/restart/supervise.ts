// The restart supervisor's decisions for one snapshot. For every live task of a replicated or
// global service:
// - its status ended: mark it shut down (it stays in history) and, if the policy allows,
//   create the replacement in the same slot — desired READY while a restart delay runs,
//   RUNNING otherwise — in the same transaction, so a slot is never left without its task;
// - (replicated) its node is gone, down or drained: the same, always replaced, at once — the
//   task did not fail, the cluster moved it;
// - it waits as desired READY: start it once its delay is over and the task it replaces has
//   stopped (or could not be heard from for the old-task timeout).
// A slot whose only other live tasks run an older spec is a start-first update in progress: the
// new task ending is replaced as if it were alone (the updater retires the old ones).

import { newTask, createTask, setDesiredState, type TaskPlacement } from '../task-factory.js';
import { globalPlacement, mustVacate, constraintsOf } from '../node-eligibility.js';
import { keptSlots } from '../occupancy.js';
import { modeOf } from '../service-mode.js';
import { byCreation, createdAt, groupIntoSlots, hasEnded, isCurrent, isLive } from '../slots.js';
import type { ClusterSnapshot } from '../snapshot.js';
import type { Plan, StoredService, StoredTask, WriteUnit } from '../types.js';
import {
  DEFAULT_RESTART_TUNING,
  exitedOnItsOwn,
  mayBeRunning,
  mayRestart,
  restartDelayMs,
  type RestartTuning,
} from '../restart-policy.js';

export function planRestarts(
  snapshot: ClusterSnapshot,
  now: number,
  tuning: RestartTuning = DEFAULT_RESTART_TUNING,
): Plan {
  const plan: Plan = { units: [] };
  for (const service of snapshot.services.values()) {
    const mode = modeOf(service);
    // Jobs retry their own tasks (any = on-failure, desired COMPLETE): the job orchestrator.
    if (mode !== 'replicated' && mode !== 'global') continue;
    const tasks = snapshot.tasksByService.get(service.id) ?? [];
    const { slots } = groupIntoSlots(tasks, mode);
    // A replicated slot a scale-down removes gets no new task.
    const wanted =
      mode === 'replicated' ? new Set(keptSlots(service, tasks).map((entry) => entry.slot)) : undefined;
    for (const slotTasks of slots.values()) {
      const slotWanted = wanted === undefined || wanted.has(slotTasks[0]!.slot!);
      superviseSlot(snapshot, service, mode, slotTasks, slotWanted, now, tuning, plan);
    }
  }
  return plan;
}

function superviseSlot(
  snapshot: ClusterSnapshot,
  service: StoredService,
  mode: 'replicated' | 'global',
  slotTasks: readonly StoredTask[],
  slotWanted: boolean,
  now: number,
  tuning: RestartTuning,
  plan: Plan,
): void {
  const stillLive = new Set(slotTasks.filter(isLive));
  if (stillLive.size === 0) return;
  // Set once this pass gives the slot a new task: nothing else may then add one.
  let replaced = false;
  const sample = slotTasks[0]!;
  const placement: TaskPlacement =
    mode === 'replicated' ? { slot: sample.slot! } : { nodeId: sample.nodeId! };
  const wake = (at: number): void => {
    if (plan.wakeAt === undefined || at < plan.wakeAt) plan.wakeAt = at;
  };
  // Oldest first, so of two ended tasks in one slot only the last one gets the replacement.
  for (const task of [...stillLive].sort(byCreation)) {
    const node = task.nodeId ? snapshot.nodes.get(task.nodeId) : undefined;
    if (hasEnded(task)) {
      stillLive.delete(task);
      const unit: WriteUnit = { reason: `task ${task.id} ended (${task.status.state})`, ops: [] };
      unit.ops.push(setDesiredState(task, 'shutdown'));
      // The cluster ending a task (orphaned, an unrequested shutdown) is not the task failing.
      const allowed = exitedOnItsOwn(task) ? mayRestart(task, slotTasks) : true;
      const canPlace =
        mode === 'replicated' ? slotWanted : globalPlacement(node, constraintsOf(service)) === 'run';
      if (allowed && canPlace && aloneInSlot(task, stillLive, service) && !replaced) {
        const delay = restartDelayMs(task, slotTasks, now, tuning);
        unit.ops.push(createTask(newTask(service, placement, now, delay > 0 ? 'ready' : 'running')));
        unit.reason += delay > 0 ? `: restarting in ${delay} ms` : ': restarting';
        if (delay > 0) wake(now + delay);
        replaced = true;
      } else {
        unit.reason += allowed ? ': not replaced here' : ': restart policy says no more';
      }
      plan.units.push(unit);
      continue;
    }
    if (mode === 'replicated' && task.nodeId && mustVacate(node)) {
      stillLive.delete(task);
      const unit: WriteUnit = { reason: `task ${task.id} moves off node ${task.nodeId}`, ops: [] };
      unit.ops.push(setDesiredState(task, 'shutdown'));
      if (slotWanted && stillLive.size === 0 && !replaced) {
        // A drained node still runs the task: the replacement starts once it stopped, so both
        // never run at once (SwarmKit's waitStop). A down or deleted node cannot be waited for.
        const waitForStop = node !== undefined && node.status.state !== 'down' && mayBeRunning(task);
        unit.ops.push(createTask(newTask(service, placement, now, waitForStop ? 'ready' : 'running')));
        if (waitForStop) wake(now + tuning.oldTaskTimeoutMs);
        replaced = true;
      }
      plan.units.push(unit);
      continue;
    }
    if (task.desiredState === 'ready' && slotWanted) {
      const startAt = readyToStartAt(snapshot, task, slotTasks, now, tuning);
      if (startAt <= now)
        plan.units.push({ reason: `start ${task.id}`, ops: [setDesiredState(task, 'running')] });
      else wake(startAt);
    }
  }
}

/**
 * When a READY replacement may start: its restart delay after its creation (recomputed from the
 * slot, so a new leader honours delays the old one set), and not before the task it replaces has
 * stopped — unless that task's node is down or gone, or the old-task timeout ran out.
 */
function readyToStartAt(
  snapshot: ClusterSnapshot,
  task: StoredTask,
  slotTasks: readonly StoredTask[],
  now: number,
  tuning: RestartTuning,
): number {
  const created = createdAt(task);
  const earlier = slotTasks.filter((other) => other.id !== task.id && byCreation(other, task) < 0);
  const predecessor = earlier[earlier.length - 1];
  const delay = predecessor ? restartDelayMs(predecessor, slotTasks, created, tuning) : 0;
  const delayOver = created + delay;
  const blocked = earlier.some((other) => {
    if (isLive(other) || !mayBeRunning(other) || !other.nodeId) return false;
    const node = snapshot.nodes.get(other.nodeId);
    return node !== undefined && node.status.state !== 'down';
  });
  if (!blocked) return delayOver;
  const timeout = created + tuning.oldTaskTimeoutMs;
  return Math.max(delayOver, timeout <= now ? now : timeout);
}

/**
 * Whether an ended task's replacement would be the slot's only live task once the ended one is
 * shut down: no other live task, or (a start-first update in progress) the ended task runs the
 * current spec and every other live task an older one, which the updater shuts down once the
 * new one runs. Without this, a start-first update whose new task failed once would leave the
 * slot on the old spec for good.
 */
function aloneInSlot(ended: StoredTask, otherLive: ReadonlySet<StoredTask>, service: StoredService): boolean {
  if (otherLive.size === 0) return true;
  if (!isCurrent(ended, service)) return false;
  for (const task of otherLive) if (isCurrent(task, service)) return false;
  return true;
}
