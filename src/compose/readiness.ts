// When a service counts as up for the services that depend on it (compose's depends_on
// conditions), and how far a service is from converged, decided from its tasks. Pure: the
// deploy and convergence loops read the tasks and ask here.

import type { Service, Task } from '../api/index.js';
import type { DependencyCondition } from './convert.js';

export interface ServiceProgress {
  serviceId: string;
  name: string;
  /** Tasks the service should run now (replicas; one per node with a task for global services). */
  desired: number;
  /** Tasks running (healthy, for a service with a healthcheck: a task only runs once healthy). */
  running: number;
  /** Job tasks that completed. */
  completed: number;
  converged: boolean;
  /** The live tasks (desired state running or complete), by slot or node. */
  tasks: Array<{
    id: string;
    slot?: number;
    nodeId?: string;
    state: Task['status']['state'];
    message: string;
    err?: string;
  }>;
  /** The last failure among the service's tasks, to say why it does not converge. */
  lastError?: string;
}

export function serviceProgress(service: Service, tasks: readonly Task[]): ServiceProgress {
  const own = tasks.filter((t) => t.serviceId === service.id);
  const live = own.filter((t) => t.desiredState === 'running' || t.desiredState === 'complete');
  const mode = service.spec.mode ?? { replicated: {} };
  const running = live.filter((t) => t.status.state === 'running' && t.desiredState === 'running').length;
  const completed = own.filter((t) => t.status.state === 'complete').length;
  let desired: number;
  let converged: boolean;
  if ('replicated' in mode) {
    desired = mode.replicated.replicas ?? 1;
    converged = running === desired && live.filter((t) => t.desiredState === 'running').length === desired;
  } else if ('global' in mode) {
    desired = live.filter((t) => t.desiredState === 'running').length;
    converged = desired > 0 && running === desired;
  } else if ('replicatedJob' in mode) {
    const max = mode.replicatedJob.maxConcurrent ?? 1;
    desired = mode.replicatedJob.totalCompletions ?? max;
    converged = completed >= desired;
  } else {
    desired = live.length;
    converged = desired > 0 && live.every((t) => t.status.state === 'complete');
  }
  const failed = own
    .filter((t) => t.status.state === 'failed' || t.status.state === 'rejected')
    .sort((a, b) => (a.status.timestamp < b.status.timestamp ? 1 : -1))[0];
  const progress: ServiceProgress = {
    serviceId: service.id,
    name: service.spec.name,
    desired,
    running,
    completed,
    converged,
    tasks: live
      .map((t) => ({
        id: t.id,
        ...(t.slot === undefined ? {} : { slot: t.slot }),
        ...(t.nodeId === undefined ? {} : { nodeId: t.nodeId }),
        state: t.status.state,
        message: t.status.message,
        ...(t.status.err === undefined ? {} : { err: t.status.err }),
      }))
      .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || (a.nodeId ?? '').localeCompare(b.nodeId ?? '')),
  };
  if (failed !== undefined) progress.lastError = failed.status.err ?? failed.status.message;
  return progress;
}

/**
 * Whether a dependency satisfies a depends_on condition. `service_healthy` and `service_started`
 * both wait for every desired task to run: a task with a healthcheck only reports running once
 * it is healthy (as in SwarmKit), so running means healthy where there is a check.
 */
export function dependencySatisfied(condition: DependencyCondition, progress: ServiceProgress): boolean {
  switch (condition) {
    case 'created':
      return true;
    case 'service_completed_successfully':
      return progress.completed > 0 && progress.completed >= progress.desired;
    default:
      return progress.desired > 0 ? progress.running >= progress.desired : progress.converged;
  }
}
