// How orchestrators write tasks: a new task stamped from the service's template (state NEW,
// desired RUNNING unless a restart delay holds it at READY), and the desired-state changes and
// deletes they propose, each naming the version it read so a task that moved on is not
// overwritten (the pass that conflicts simply reconciles again).

import type { Task, TaskState } from '../../api/index.js';
import type { NewObjectInput } from '../store/index.js';
import type { ApiOperation, StoredService, StoredTask } from './types.js';

/** Where the task belongs: a replica slot (replicated) or a node (global). */
export type TaskPlacement = { slot: number } | { nodeId: string };

export function newTask(
  service: StoredService,
  placement: TaskPlacement,
  now: number,
  desiredState: Extract<TaskState, 'running' | 'ready'> = 'running',
): NewObjectInput<Task> {
  const where = 'slot' in placement ? String(placement.slot) : placement.nodeId;
  return {
    // SwarmKit leaves the name empty and Docker shows `<service>.<slot>.<id>`; the name here is
    // the stable part, so `docker service ps`-like views can group a slot's history by it.
    name: `${service.spec.name}.${where}`,
    // Docker's Task.Labels: the task's own annotations, which Swarm leaves empty (service labels
    // stay on the service, container labels travel in the spec).
    labels: {},
    spec: service.spec.taskTemplate,
    serviceId: service.id,
    ...placement,
    status: { state: 'new', timestamp: new Date(now).toISOString(), message: 'created' },
    desiredState,
  };
}

export function createTask(task: NewObjectInput<Task>): ApiOperation {
  return { op: 'create', kind: 'task', object: task };
}

/** Moves the task's desired state forward (never back: SwarmKit refuses "time travel"). */
export function setDesiredState(task: StoredTask, desiredState: TaskState): ApiOperation {
  return {
    op: 'update',
    kind: 'task',
    object: { ...task, desiredState },
    expectedVersion: task.meta.version.index,
  };
}

export function deleteTask(task: StoredTask): ApiOperation {
  return { op: 'delete', kind: 'task', id: task.id, expectedVersion: task.meta.version.index };
}
