// The rolling updater's decisions for one snapshot (SwarmKit's update.Updater, made
// level-triggered): every pass re-reads where each service's rollout stands (rollout.ts) and
// takes the next steps —
// - no rollout recorded and tasks on an older spec: record one (updateStatus `updating`);
// - a rollout paused: nothing, until the user changes the spec or rolls back;
// - too many of the rollout's new tasks failed within the monitor window: the failure action
//   (pause, or roll back to previousSpec; continue ignores failures);
// - start-first slots whose new task runs: shut the old one down;
// - free places (parallelism, minus slots starting, minus slots that finished less than `delay`
//   ago — SwarmKit's workers pause `delay` after each slot): replace the next outdated slots,
//   stop-first (old shut down and new created in one transaction; the new one waits desired READY
//   until the old has stopped, started by the restart supervisor) or start-first;
// - nothing left to replace and `monitor` passed since the last slot finished: completed.
// After a rollout completed, a task found on an older spec later (a node back from a pause) is
// replaced the same way without reopening the rollout.

import { taskStateRank } from '../../../api/index.js';
import { mayBeRunning } from '../restart-policy.js';
import { modeOf } from '../service-mode.js';
import { pickSurvivor } from '../slots.js';
import type { ClusterSnapshot } from '../snapshot.js';
import { createTask, guardTask, newTask, setDesiredState } from '../task-factory.js';
import type { ApiOperation, Plan, StoredNode, StoredService, StoredTask, WriteUnit } from '../types.js';
import { rolloutConfigOf, type RolloutConfig } from './config.js';
import { failedWithinMonitor, NO_HISTORY, type TaskHistory } from './history.js';
import { ROLLOUT_LABEL, rolloutSlots, type RolloutSlot, type SlotPhase } from './rollout.js';
import { completeRollout, pauseRollout, rollBackRollout, startRollout } from './status.js';

/** Phases that keep a rollout from completing. */
const UNFINISHED: ReadonlySet<SlotPhase> = new Set(['outdated', 'ending', 'starting', 'handover']);

export function planUpdates(snapshot: ClusterSnapshot, now: number, history: TaskHistory = NO_HISTORY): Plan {
  const plan: Plan = { units: [] };
  for (const service of snapshot.services.values()) {
    const mode = modeOf(service);
    if (mode !== 'replicated' && mode !== 'global') continue;
    const tasks = snapshot.tasksByService.get(service.id) ?? [];
    const { units, wakeAt } = planRollout(service, tasks, snapshot.nodes, now, history);
    plan.units.push(...units);
    if (wakeAt !== undefined && (plan.wakeAt === undefined || wakeAt < plan.wakeAt)) plan.wakeAt = wakeAt;
  }
  return plan;
}

export function planRollout(
  service: StoredService,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  now: number,
  history: TaskHistory = NO_HISTORY,
): Plan {
  const state = service.updateStatus?.state;
  if (state === 'paused' || state === 'rollback_paused') return { units: [] };
  const rollingBack = state === 'rollback_started' || state === 'rollback_completed';
  const inProgress = state === 'updating' || state === 'rollback_started';
  const rollout = service.updateStatus?.startedAt;
  const startedAt = parseTime(rollout);
  const slots = rolloutSlots(service, tasks, nodes, rollout, history);
  const unfinished = slots.filter((slot) => UNFINISHED.has(slot.phase));
  if (state === undefined || startedAt === undefined)
    return { units: unfinished.length > 0 ? [startRollout(service, now)] : [] };

  const config = rolloutConfigOf(service, rollingBack);
  if (inProgress) {
    const verdict = failureVerdict(service, slots, config, rollingBack, now, history);
    if (verdict) return { units: [verdict] };
  }

  const units: WriteUnit[] = [];
  let wakeAt: number | undefined;
  const wake = (at: number): void => {
    if (wakeAt === undefined || at < wakeAt) wakeAt = at;
  };
  for (const slot of slots) if (slot.phase === 'handover') units.push(handOver(service, slot));

  // SwarmKit's workers: each takes a slot, waits for its new task to run, pauses `delay`, takes
  // the next. A slot starting, or finished within the last `delay`, holds a worker.
  let busy = 0;
  for (const slot of slots) {
    if (slot.phase === 'starting' || slot.phase === 'handover') busy++;
    else if (slot.phase === 'updated' && config.delayMs > 0 && slot.finishedAt! + config.delayMs > now) {
      busy++;
      wake(slot.finishedAt! + config.delayMs);
    }
  }
  const outdated = slots.filter((slot) => slot.phase === 'outdated').sort(replacementOrder);
  const free = Math.max(0, config.parallelism - busy);
  for (const slot of outdated.slice(0, free)) units.push(replace(service, slot, config, rollout!, now));

  if (inProgress && unfinished.length === 0) {
    // SwarmKit keeps watching for failures for one monitor period after the last slot.
    let finishedAt = startedAt;
    for (const slot of slots)
      if (slot.phase === 'updated') finishedAt = Math.max(finishedAt, slot.finishedAt!);
    const completeAt = finishedAt + config.monitorMs;
    if (completeAt <= now) units.push(completeRollout(service, rollingBack, now));
    else wake(completeAt);
  }
  return wakeAt === undefined ? { units } : { units, wakeAt };
}

/**
 * SwarmKit's failureTriggersAction: failures are counted per slot (a replacement that keeps
 * crashing is one failure), over every slot the rollout covers (done, under way and to do).
 */
function failureVerdict(
  service: StoredService,
  slots: readonly RolloutSlot[],
  config: RolloutConfig,
  rollingBack: boolean,
  now: number,
  history: TaskHistory,
): WriteUnit | undefined {
  if (config.failureAction === 'continue') return undefined;
  const covered = slots.filter((slot) => slot.phase !== 'clean');
  const failures: StoredTask[] = [];
  for (const slot of covered) {
    const failed = slot.rolloutTasks.find((task) => failedWithinMonitor(task, config.monitorMs, history));
    if (failed) failures.push(failed);
  }
  if (failures.length === 0 || failures.length / covered.length <= config.maxFailureRatio) return undefined;
  const first = failures.sort((a, b) => Date.parse(a.status.timestamp) - Date.parse(b.status.timestamp))[0]!;
  const cause = `due to failure or early termination of task ${first.id}`;
  if (rollingBack) return pauseRollout(service, true, `rollback paused ${cause}`);
  if (config.failureAction === 'pause') return pauseRollout(service, false, `update paused ${cause}`);
  if (!service.previousSpec)
    return pauseRollout(service, false, `update paused ${cause}: no previous spec to roll back to`);
  return rollBackRollout(service, `update rolled back ${cause}`, now);
}

/** Slots whose old task is not running first (replacing them costs nothing), then in order. */
function replacementOrder(a: RolloutSlot, b: RolloutSlot): number {
  const running = (slot: RolloutSlot): number =>
    Number(slot.outdated.some((t) => t.status.state === 'running'));
  return running(a) - running(b);
}

/**
 * Starts the slot's replacement, marked with the rollout: one unit, so the old task's fate and
 * the new one commit together.
 */
function replace(
  service: StoredService,
  slot: RolloutSlot,
  config: RolloutConfig,
  rollout: string,
  now: number,
): WriteUnit {
  const reason = `update ${service.spec.name} ${slot.key}`;
  const mayRun = slot.outdated.filter(mayBeRunning);
  // Whether some task of the slot may still run: one an earlier rollout stopped may not have yet.
  const stillRunning = slot.tasks.some(mayBeRunning);
  const replacement = (desired: 'running' | 'ready' = 'running'): ApiOperation => {
    const task = newTask(service, slot.placement, now, desired);
    return createTask({ ...task, labels: { ...task.labels, [ROLLOUT_LABEL]: rollout } });
  };
  if (slot.outdated.length === 0) {
    // A slot retired on the old spec: nothing to stop. Guarding its last task makes the decision
    // once even if two leaders race.
    const last = slot.tasks[slot.tasks.length - 1]!;
    return { reason, ops: [guardTask(last), replacement(stillRunning ? 'ready' : 'running')] };
  }
  if (config.order === 'start-first' && mayRun.length > 0) {
    // The old tasks keep serving; guarding them makes the decision once if two leaders race.
    const ops = slot.outdated.map((task) =>
      mayBeRunning(task) ? guardTask(task) : setDesiredState(task, 'shutdown'),
    );
    return { reason: `${reason} (start-first)`, ops: [...ops, replacement()] };
  }
  // Stop-first: the new task waits (desired READY) until every task of the slot has stopped, so
  // two never run at once (host ports, volumes); the restart supervisor starts it.
  const ops = slot.outdated.map((task) => setDesiredState(task, 'shutdown'));
  return { reason, ops: [...ops, replacement(stillRunning ? 'ready' : 'running')] };
}

/** Start-first: the new task runs, the old ones stop (and of two new ones, one stays). */
function handOver(service: StoredService, slot: RolloutSlot): WriteUnit {
  const keep = pickSurvivor(slot.current, service)!;
  const ops = [...slot.outdated, ...slot.current.filter((task) => task !== keep)]
    .filter((task) => taskStateRank(task.desiredState) < taskStateRank('shutdown'))
    .map((task) => setDesiredState(task, 'shutdown'));
  return { reason: `update ${service.spec.name} ${slot.key}: new task runs, old one stops`, ops };
}

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
