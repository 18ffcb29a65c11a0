// The global orchestrator's decisions: one live task per node that should run the service, none
// on nodes that must not (see globalPlacement). Tasks on paused or not-yet-ready nodes stay as
// they are. A node whose last task's restart policy said "no more" is not given a new one (if
// that task ran an older spec, the rolling updater brings the node back). A node's old-spec task
// next to a current one is a rolling update in progress: the updater's to finish.

import { taskStateRank } from '../../../api/index.js';
import { constraintsOf, globalPlacement } from '../node-eligibility.js';
import { isRetired } from '../restart-policy.js';
import { modeOf } from '../service-mode.js';
import { groupIntoSlots, isLive, isUpdatePair, pickSurvivor } from '../slots.js';
import type { ClusterSnapshot } from '../snapshot.js';
import { createTask, newTask, setDesiredState } from '../task-factory.js';
import type { Plan, StoredNode, StoredService, StoredTask, WriteUnit } from '../types.js';

export function planGlobal(snapshot: ClusterSnapshot, now: number): Plan {
  const units: WriteUnit[] = [];
  for (const service of snapshot.services.values()) {
    if (modeOf(service) !== 'global') continue;
    const tasks = snapshot.tasksByService.get(service.id) ?? [];
    units.push(...reconcileGlobalService(service, tasks, snapshot.nodes, now));
  }
  return { units };
}

export function reconcileGlobalService(
  service: StoredService,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  now: number,
): WriteUnit[] {
  const units: WriteUnit[] = [];
  const matches = constraintsOf(service);
  const { slots, misplaced } = groupIntoSlots(tasks, 'global');
  const misplacedOps = misplaced
    .filter((task) => taskStateRank(task.desiredState) < taskStateRank('remove'))
    .map((task) => setDesiredState(task, 'remove'));
  if (misplacedOps.length > 0) units.push({ reason: 'remove tasks without a node', ops: misplacedOps });

  for (const node of nodes.values()) {
    const nodeTasks = slots.get(`node:${node.id}`) ?? [];
    const placement = globalPlacement(node, matches);
    const live = nodeTasks.filter(isLive);
    if (placement === 'stop') {
      // SwarmKit shuts them down (desired SHUTDOWN), it does not remove them: they stay as the
      // node's history and run again there if it becomes eligible.
      for (const task of live)
        units.push({
          reason: `node ${node.id} may not run ${service.spec.name}`,
          ops: [setDesiredState(task, 'shutdown')],
        });
      continue;
    }
    if (live.length === 0) {
      if (placement === 'run' && !isRetired(nodeTasks))
        units.push({
          reason: `run ${service.spec.name} on node ${node.id}`,
          ops: [createTask(newTask(service, { nodeId: node.id }, now))],
        });
      continue;
    }
    if (live.length > 1 && !isUpdatePair(live, service)) {
      const survivor = pickSurvivor(live, service)!;
      const ops = live.filter((task) => task !== survivor).map((task) => setDesiredState(task, 'shutdown'));
      units.push({ reason: `node ${node.id} has ${live.length} live tasks of ${service.spec.name}`, ops });
    }
  }

  // Nodes gone from the store: their tasks can only be shut down (the task reaper deletes them).
  for (const [key, nodeTasks] of slots) {
    if (nodes.has(key.slice('node:'.length))) continue;
    for (const task of nodeTasks.filter(isLive))
      units.push({ reason: `node of task ${task.id} is gone`, ops: [setDesiredState(task, 'shutdown')] });
  }
  return units;
}
