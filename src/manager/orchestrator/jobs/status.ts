// A job's progress as Docker shows it (`ServiceStatus`: running, desired and completed tasks),
// written on the service when it changes so `service ls`/`inspect` can show "2/3 (5/10
// completed)". Only jobs get it written: for long-running services Docker computes it on read,
// and so should the control API (../service-status.ts), rather than every task start rewriting
// the service.

import type { ServiceStatus } from '../../../api/index.js';
import type { StoredService, WriteUnit } from '../types.js';

/** What reconciling one job decided, and its progress as that pass saw it. */
export interface JobPlan {
  units: WriteUnit[];
  wakeAt?: number;
  progress: JobProgress;
}

export interface JobProgress extends ServiceStatus {
  /** Slots (nodes, for a global job) whose restart policy gave up: the job ends short by these. */
  failedSlots: number;
}

export function emptyProgress(): JobProgress {
  return { desiredTasks: 0, runningTasks: 0, completedTasks: 0, failedSlots: 0 };
}

/** The write that records the progress on the service, if it differs from what is recorded. */
export function recordProgress(service: StoredService, progress: JobProgress): WriteUnit | undefined {
  const serviceStatus: ServiceStatus = {
    runningTasks: progress.runningTasks,
    desiredTasks: progress.desiredTasks,
    completedTasks: progress.completedTasks,
  };
  const recorded = service.serviceStatus;
  if (
    recorded &&
    recorded.runningTasks === serviceStatus.runningTasks &&
    recorded.desiredTasks === serviceStatus.desiredTasks &&
    recorded.completedTasks === serviceStatus.completedTasks
  )
    return undefined;
  return {
    reason: `${service.spec.name}: ${serviceStatus.completedTasks} completed, ${serviceStatus.runningTasks} running`,
    ops: [
      {
        op: 'update',
        kind: 'service',
        object: { ...service, serviceStatus },
        expectedVersion: service.meta.version.index,
      },
    ],
  };
}
