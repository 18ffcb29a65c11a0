// Which NEW tasks the allocator hands to the scheduler: those whose service has its endpoint
// allocated, and that are still meant to run. SwarmKit's allocator writes PENDING with the
// message "pending task scheduling" (PENDING and ALLOCATED were merged long ago).

import { taskStateRank, type Endpoint, type Task } from '../../api/index.js';
import type { DeepReadonly, ObjectInput } from '../store/index.js';

export const PENDING_MESSAGE = 'pending task scheduling';

type StoredTask = DeepReadonly<Task>;

export interface TaskTransition {
  task: StoredTask;
  updated: ObjectInput<Task>;
}

export function isNewTask(task: StoredTask): boolean {
  return task.status.state === 'new';
}

/**
 * NEW → PENDING for the tasks whose service is allocated (the map holds its endpoint, undefined
 * for a service without one), in id order; a task takes its service's endpoint when that has
 * ports (the worker publishes the host-mode ones). A task no longer meant to run (desired past
 * COMPLETE) stays NEW: the orchestrator removes it.
 */
export function tasksToPend(
  tasks: Iterable<StoredTask>,
  allocatedServices: ReadonlyMap<string, DeepReadonly<Endpoint> | undefined>,
  at: string,
): TaskTransition[] {
  const transitions: TaskTransition[] = [];
  for (const task of tasks) {
    if (!isNewTask(task) || taskStateRank(task.desiredState) > taskStateRank('complete')) continue;
    if (!allocatedServices.has(task.serviceId)) continue;
    const endpoint = allocatedServices.get(task.serviceId);
    const status = { state: 'pending', timestamp: at, message: PENDING_MESSAGE } as const;
    const updated: ObjectInput<Task> =
      endpoint !== undefined && endpoint.ports.length > 0
        ? { ...task, status, endpoint }
        : { ...task, status };
    transitions.push({ task, updated });
  }
  return transitions.sort((a, b) => (a.task.id < b.task.id ? -1 : a.task.id > b.task.id ? 1 : 0));
}
