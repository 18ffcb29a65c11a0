// How orchestrators write tasks: a new task stamped from the service's template (state NEW,
// desired RUNNING unless a restart delay holds it at READY; a job's desired COMPLETE, marked with
// the job's iteration), and the desired-state changes and
// deletes they propose, each naming the version it read so a task that moved on is not
// overwritten (the pass that conflicts simply reconciles again).

import type { Task, TaskState, Version } from '../../api/index.js';
import type { NewObjectInput } from '../store/index.js';
import type { ApiOperation, StoredService, StoredTask } from './types.js';
import { changeOf } from '../control/context.js';

/** Where the task belongs: a replica slot (replicated) or a node (global). */
export type TaskPlacement = { slot: number } | { nodeId: string };

export function newTask(
  service: StoredService,
  placement: TaskPlacement,
  now: number,
  desiredState: Extract<TaskState, 'running' | 'ready' | 'complete'> = 'running',
  jobIteration?: Version,
): NewObjectInput<Task> {
  const where = 'slot' in placement ? String(placement.slot) : placement.nodeId;
  const task: NewObjectInput<Task> = {
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
  return jobIteration === undefined ? task : { ...task, jobIteration: { index: jobIteration.index } };
}

export function createTask(task: NewObjectInput<Task>): ApiOperation {
  return { op: 'create', kind: 'task', object: task };
}

/** Moves the task's desired state forward (never back: SwarmKit refuses "time travel"). */
export function setDesiredState(task: StoredTask, desiredState: TaskState): ApiOperation {
  return changeOf('task', task, { ...task, desiredState });
}

export function deleteTask(task: StoredTask): ApiOperation {
  return { op: 'delete', kind: 'task', id: task.id, expectedVersion: task.meta.version.index };
}

/**
 * Writes the task back unchanged, naming the version read: the unit holding it commits only if
 * the task did not change since. It guards a decision that writes nothing else to that task (a
 * start-first replacement next to it), so two leaders racing make it once.
 */
export function guardTask(task: StoredTask): ApiOperation {
  return changeOf('task', task, task);
}
