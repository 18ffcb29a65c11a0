// Which tasks the scheduler places, which ones hold a node's resources, and what they hold.
// SwarmKit's rules: a PENDING task is placed unless it is no longer meant to run (desired state
// past COMPLETE — jobs' tasks are desired COMPLETE, services' RUNNING); a task holds resources
// from ASSIGNED until it has stopped (past RUNNING), whatever its desired state says.

import { taskStateRank, type Task } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';
import type { TaskUsage } from './node-info.js';
import { hostPublishedPorts } from './requirements.js';
import { resourceDemand } from './resources.js';

type StoredTask = DeepReadonly<Task>;

const PENDING = taskStateRank('pending');
const ASSIGNED = taskStateRank('assigned');
const RUNNING = taskStateRank('running');
const COMPLETE = taskStateRank('complete');

/** Waiting for the scheduler: PENDING and still meant to run. */
export function isSchedulable(task: StoredTask): boolean {
  return taskStateRank(task.status.state) === PENDING && taskStateRank(task.desiredState) <= COMPLETE;
}

/** On a node and not finished: its reservations and ports are taken there. */
export function holdsNode(task: StoredTask): task is StoredTask & { nodeId: string } {
  if (task.nodeId === undefined || task.nodeId === '') return false;
  const state = taskStateRank(task.status.state);
  return state >= ASSIGNED && state <= RUNNING;
}

/**
 * What a task on a node takes from it. Host ports: those the worker reported
 * (`status.portStatus`) once it did, else those of the service's endpoint.
 */
export function taskUsage(task: StoredTask, serviceHostPorts: readonly string[]): TaskUsage {
  const reported = task.status.portStatus?.ports;
  return {
    serviceId: task.serviceId,
    active: taskStateRank(task.desiredState) <= COMPLETE,
    demand: resourceDemand(task.spec),
    hostPorts:
      reported !== undefined && reported.length > 0 ? hostPublishedPorts(reported) : serviceHostPorts,
  };
}
