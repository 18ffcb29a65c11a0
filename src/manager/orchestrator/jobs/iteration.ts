// A job's runs: every update of a job service bumps `jobStatus.jobIteration` (the control API
// does), and only tasks of the current iteration count. Older ones are history; those still
// running or waiting for a retry are stopped (SwarmKit's reconcilers do the same).

import { taskStateRank } from '../../../api/index.js';
import { setDesiredState } from '../task-factory.js';
import type { StoredService, StoredTask, WriteUnit } from '../types.js';

const COMPLETE = taskStateRank('complete');

/** The job's current iteration (0 before the first update, or for a service without jobStatus). */
export function currentIteration(service: StoredService): number {
  return service.jobStatus?.jobIteration.index ?? 0;
}

/** The iteration a task ran in (a task written without one counts as the first). */
export function iterationOf(task: StoredTask): number {
  return task.jobIteration?.index ?? 0;
}

/** When the current iteration started: its lastExecution, or the service's creation. */
export function iterationStartedAt(service: StoredService): number {
  const at = Date.parse(service.jobStatus?.lastExecution ?? service.meta.createdAt);
  return Number.isNaN(at) ? Date.parse(service.meta.createdAt) : at;
}

/** A job task still wanted: desired COMPLETE (or earlier), not shut down or removed. */
export function isWanted(task: StoredTask): boolean {
  return taskStateRank(task.desiredState) <= COMPLETE;
}

/** Stops the tasks of earlier iterations that have not completed; completed ones stay as history. */
export function stopEarlierIterations(
  service: StoredService,
  tasks: readonly StoredTask[],
  iteration: number,
): WriteUnit[] {
  const ops = tasks
    .filter((task) => iterationOf(task) !== iteration && isWanted(task) && task.status.state !== 'complete')
    .map((task) => setDesiredState(task, 'shutdown'));
  return ops.length === 0
    ? []
    : [{ reason: `${service.spec.name}: stop tasks of earlier iterations than ${iteration}`, ops }];
}
