// Docker's ServiceStatus (`docker service ls` REPLICAS, `?status=true`) computed from the store:
// Docker computes it on every read rather than storing it, and so should the control API for
// replicated and global services. Jobs differ: the job orchestrator records their progress on
// the service (jobs/status.ts), and this returns the same numbers.

import type { ServiceStatus } from '../../api/index.js';
import { DEFAULT_RESTART_TUNING } from './restart-policy.js';
import { reconcileGlobalJob, reconcileReplicatedJob } from './jobs/index.js';
import { constraintsOf, globalPlacement } from './node-eligibility.js';
import { modeOf, replicasOf } from './service-mode.js';
import type { StoredNode, StoredService, StoredTask } from './types.js';

export function serviceStatusOf(
  service: StoredService,
  tasks: readonly StoredTask[],
  nodes: ReadonlyMap<string, StoredNode>,
  now: number,
): ServiceStatus {
  const mode = modeOf(service);
  if (mode === 'replicatedJob' || mode === 'globalJob') {
    const reconcile = mode === 'replicatedJob' ? reconcileReplicatedJob : reconcileGlobalJob;
    const { runningTasks, desiredTasks, completedTasks } = reconcile(
      service,
      tasks,
      nodes,
      now,
      DEFAULT_RESTART_TUNING,
    ).progress;
    return { runningTasks, desiredTasks, completedTasks };
  }
  const runningTasks = tasks.filter(
    (task) => task.desiredState === 'running' && task.status.state === 'running',
  ).length;
  if (mode === 'replicated') return { runningTasks, desiredTasks: replicasOf(service), completedTasks: 0 };
  const matches = constraintsOf(service);
  let desiredTasks = 0;
  for (const node of nodes.values()) if (globalPlacement(node, matches) === 'run') desiredTasks++;
  return { runningTasks, desiredTasks, completedTasks: 0 };
}
