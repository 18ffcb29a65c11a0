// Where a rollout stands, read from the store alone: for every slot of a service (replica slot,
// or node of a global service), whether it still runs an older spec, is being replaced, or was
// replaced by this rollout — and with what outcome. A new leader reads the same answer from the
// same store, so it continues a rollout where the old one stopped.
//
// The task the updater creates to replace a slot carries the rollout it belongs to (a label with
// updateStatus.startedAt): the store itself says which slots this rollout has replaced, so no
// leader replaces one twice. "This rollout's tasks" in a slot are that replacement and the
// restarts that followed it. A restart of an old task that crashed on its own (the restart
// supervisor stamps it with the new spec) and a slot added by a scale-up are not part of the
// rollout, as in SwarmKit, where the updater counts only the tasks it created.

import { taskStateRank } from '../../../api/index.js';
import { constraintsOf, globalPlacement } from '../node-eligibility.js';
import { keptSlots } from '../occupancy.js';
import { isRetiredOnOlderSpec, mayBeRunning } from '../restart-policy.js';
import { modeOf } from '../service-mode.js';
import { groupIntoSlots, hasEnded, isCurrent, isLive } from '../slots.js';
import type { TaskPlacement } from '../task-factory.js';
import type { StoredNode, StoredService, StoredTask } from '../types.js';
import { runningSince, type TaskHistory } from './history.js';

const RUNNING = taskStateRank('running');

/**
 * The label on a task the updater created: the `updateStatus.startedAt` of its rollout. Inferring
 * "created by the rollout" from timestamps and states proved ambiguous (a crash restart looks
 * like a replacement once an older task reports its stop late); the mark is exact. Docker leaves
 * task labels empty; a dedicated Task field would be a cleaner home for it.
 */
export const ROLLOUT_LABEL = 'flotilla.rollout';

/**
 * - `clean`: nothing of an older spec lives here, and the rollout did not touch it;
 * - `outdated`: a live task (or the retired last one) runs an older spec — to be replaced;
 * - `ending`: its only older-spec tasks ended on their own: the restart supervisor replaces them;
 * - `starting`: a new task is on its way and not RUNNING yet (next to the old one, start-first;
 *   or after it, stop-first);
 * - `handover`: start-first, the new task runs: the old one is to be shut down;
 * - `updated`: the rollout's replacement reached RUNNING or ended: this slot's part is done;
 * - `exhausted`: the rollout replaced it once, the replacement is gone and not restarted, and an
 *   older-spec task still runs (start-first): not tried again in this rollout.
 */
export type SlotPhase = 'clean' | 'outdated' | 'ending' | 'starting' | 'handover' | 'updated' | 'exhausted';

export interface RolloutSlot {
  /** `slot:<n>` or `node:<id>`. */
  key: string;
  placement: TaskPlacement;
  /** The slot's tasks, oldest first. */
  tasks: readonly StoredTask[];
  phase: SlotPhase;
  /** Live tasks on an older spec. */
  outdated: StoredTask[];
  /** Live tasks on the current spec. */
  current: StoredTask[];
  /** This rollout's tasks in the slot, oldest (the replacement) first. */
  rolloutTasks: StoredTask[];
  /** When the replacement reached RUNNING (or, if it never did, its last status): the slot finished. */
  finishedAt?: number;
}

/**
 * The slots of a replicated or global service, in replacement order (slot number, node id).
 * `rollout` is the current rollout's updateStatus.startedAt, as stored.
 */
export function rolloutSlots(
  service: StoredService,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  rollout: string | undefined,
  history: TaskHistory,
): RolloutSlot[] {
  const slots: RolloutSlot[] = [];
  if (modeOf(service) === 'replicated') {
    // The slots the replicated orchestrator keeps: a slot a scale-down removes is not updated.
    for (const entry of keptSlots(service, tasks).sort((a, b) => a.slot - b.slot))
      slots.push(
        classify(service, `slot:${entry.slot}`, { slot: entry.slot }, entry.tasks, rollout, history),
      );
    return slots;
  }
  // Global: the nodes that should run the service now. Tasks on paused or unreachable nodes wait
  // until the node is back (then the rollout, or a later one, replaces them); tasks on nodes that
  // may not run the service are the global orchestrator's to shut down.
  const matches = constraintsOf(service);
  const byNode = groupIntoSlots(tasks, 'global').slots;
  for (const key of [...byNode.keys()].sort()) {
    const nodeId = key.slice('node:'.length);
    if (globalPlacement(nodes.get(nodeId), matches) !== 'run') continue;
    slots.push(classify(service, key, { nodeId }, byNode.get(key)!, rollout, history));
  }
  return slots;
}

function classify(
  service: StoredService,
  key: string,
  placement: TaskPlacement,
  tasks: readonly StoredTask[],
  rollout: string | undefined,
  history: TaskHistory,
): RolloutSlot {
  const live = tasks.filter(isLive);
  const outdated = live.filter((task) => !isCurrent(task, service));
  const current = live.filter((task) => isCurrent(task, service));
  const ofRollout = rollout === undefined ? [] : rolloutTasks(service, tasks, rollout);
  const slot: RolloutSlot = {
    key,
    placement,
    tasks,
    phase: 'clean',
    outdated,
    current,
    rolloutTasks: ofRollout,
  };

  if (outdated.length > 0) {
    if (current.length > 0) {
      // Start-first: the old task serves until the new one runs. An old task that is not running
      // (waiting, never placed, or ended) has nothing to hand over: it goes at once.
      const handover =
        current.some((task) => task.status.state === 'running') || !outdated.some(mayBeRunning);
      slot.phase = handover ? 'handover' : 'starting';
    } else if (outdated.every(hasEnded)) slot.phase = 'ending';
    else slot.phase = ofRollout.length > 0 ? 'exhausted' : 'outdated';
    return slot;
  }
  if (live.length === 0 && isRetiredOnOlderSpec(tasks, service)) {
    slot.phase = ofRollout.length > 0 ? 'exhausted' : 'outdated';
    return slot;
  }
  const replacement = ofRollout[0];
  if (replacement === undefined) return slot;
  if (isLive(replacement) && taskStateRank(replacement.status.state) < RUNNING) {
    slot.phase = 'starting';
    return slot;
  }
  slot.phase = 'updated';
  slot.finishedAt = runningSince(replacement, history) ?? Date.parse(replacement.status.timestamp);
  return slot;
}

/** This rollout's tasks in one slot: its replacement and what followed it on the current spec. */
function rolloutTasks(service: StoredService, tasks: readonly StoredTask[], rollout: string): StoredTask[] {
  const first = tasks.findIndex((task) => task.labels[ROLLOUT_LABEL] === rollout && isCurrent(task, service));
  return first < 0 ? [] : tasks.slice(first).filter((task) => isCurrent(task, service));
}
