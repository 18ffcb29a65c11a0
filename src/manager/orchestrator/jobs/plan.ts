// The job orchestrator's pass over one snapshot: every replicated and global job reconciled
// (replicated-job.ts, global-job.ts), their progress recorded on the service when it changed.

import { DEFAULT_RESTART_TUNING, type RestartTuning } from '../restart-policy.js';
import { modeOf } from '../service-mode.js';
import type { ClusterSnapshot } from '../snapshot.js';
import type { Plan } from '../types.js';
import { reconcileGlobalJob } from './global-job.js';
import { reconcileReplicatedJob } from './replicated-job.js';
import { recordProgress } from './status.js';

export function planJobs(
  snapshot: ClusterSnapshot,
  now: number,
  tuning: RestartTuning = DEFAULT_RESTART_TUNING,
): Plan {
  const plan: Plan = { units: [] };
  for (const service of snapshot.services.values()) {
    const mode = modeOf(service);
    if (mode !== 'replicatedJob' && mode !== 'globalJob') continue;
    const tasks = snapshot.tasksByService.get(service.id) ?? [];
    const reconcile = mode === 'replicatedJob' ? reconcileReplicatedJob : reconcileGlobalJob;
    const job = reconcile(service, tasks, snapshot.nodes, now, tuning);
    plan.units.push(...job.units);
    // Recorded as this pass saw it; the tasks it starts are counted by the pass they wake.
    const record = recordProgress(service, job.progress);
    if (record) plan.units.push(record);
    if (job.wakeAt !== undefined && (plan.wakeAt === undefined || job.wakeAt < plan.wakeAt))
      plan.wakeAt = job.wakeAt;
  }
  return plan;
}
