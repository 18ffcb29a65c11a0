// One scheduling pass as a pure function: the pending tasks and the cluster view in, the task
// updates to write out (and the view updated with every placement). Tasks already bound to a
// node (global services) are confirmed first, as SwarmKit does; the others are grouped by
// service and requirements and each group is placed as one batch. A task that fits nowhere
// gets a "no suitable node (…)" error, written only when it differs from the one it has.

import type { Task } from '../../api/index.js';
import type { DeepReadonly, ObjectInput } from '../store/index.js';
import type { ClusterView } from './cluster-view.js';
import { explainNoSuitableNode, formatExplanation, rejection } from './filters.js';
import type { TaskUsage } from './node-info.js';
import { placeBatch } from './placement.js';
import { requirementsKey, taskRequirements, type TaskRequirements } from './requirements.js';

type StoredTask = DeepReadonly<Task>;

export const ASSIGNED_MESSAGE = 'scheduler assigned task to node';
export const PREASSIGNED_MESSAGE = 'scheduler confirmed task can run on preassigned node';

export interface SchedulingDecision {
  /** The task as read: the update names its version. */
  task: StoredTask;
  /** The task as it is to be written. */
  updated: ObjectInput<Task>;
  /** Set when the task was placed on (or confirmed for) this node. */
  nodeId?: string;
}

export interface PassInput {
  view: ClusterView;
  /** Tasks to schedule (isSchedulable), in any order. */
  pending: Iterable<StoredTask>;
  /** Host-mode published ports (`8080/tcp`) of the service's tasks. */
  hostPortsOf: (serviceId: string) => readonly string[];
  /** Timestamp of the statuses written. */
  at: string;
}

/**
 * Decides placements for the pending tasks. The view is updated with every placement; the
 * caller takes them back out (ClusterView.removeTask) for the updates it fails to commit.
 * Decisions come out in a deterministic order whatever the order of `pending`.
 */
export function schedulePass(input: PassInput): SchedulingDecision[] {
  const { view, hostPortsOf, at } = input;
  const decisions: SchedulingDecision[] = [];
  const preassigned: StoredTask[] = [];
  const groups = new Map<string, StoredTask[]>();
  for (const task of input.pending) {
    if (task.nodeId !== undefined && task.nodeId !== '') {
      preassigned.push(task);
      continue;
    }
    const key = requirementsKey(task, hostPortsOf(task.serviceId));
    const group = groups.get(key);
    if (group) group.push(task);
    else groups.set(key, [task]);
  }

  preassigned.sort(byId);
  for (const task of preassigned) {
    const decision = confirmPreassigned(view, task, hostPortsOf(task.serviceId), at);
    if (decision) decisions.push(decision);
  }

  const keys = [...groups.keys()].sort();
  for (const key of keys) {
    const tasks = groups.get(key)!.sort(bySlotThenId);
    const req = taskRequirements(tasks[0]!, hostPortsOf(tasks[0]!.serviceId));
    const usage = usageFor(req);
    let next = 0;
    placeBatch(view, req, tasks.length, (nodeId) => {
      const task = tasks[next++]!;
      view.placeTask(task.id, nodeId, usage);
      decisions.push({ task, updated: assigned(task, nodeId, ASSIGNED_MESSAGE, at), nodeId });
    });
    if (next < tasks.length) {
      const err = explainNoSuitableNode(view.nodes(), req);
      for (const task of tasks.slice(next)) {
        if (task.status.err !== err) decisions.push({ task, updated: withError(task, err, at) });
      }
    }
  }
  return decisions;
}

/** SwarmKit's taskFitNode: the node was chosen at creation; check it can take the task. */
function confirmPreassigned(
  view: ClusterView,
  task: StoredTask,
  hostPorts: readonly string[],
  at: string,
): SchedulingDecision | undefined {
  const nodeId = task.nodeId!;
  const req = taskRequirements(task, hostPorts);
  const info = view.node(nodeId);
  const reason = info ? rejection(info, req) : null;
  if (info && reason === null) {
    view.placeTask(task.id, nodeId, usageFor(req));
    return { task, updated: assigned(task, nodeId, PREASSIGNED_MESSAGE, at), nodeId };
  }
  const err =
    reason === null
      ? `no suitable node (node ${nodeId} is not in the cluster)`
      : formatExplanation(new Map([[reason, 1]]));
  return task.status.err === err ? undefined : { task, updated: withError(task, err, at) };
}

function usageFor(req: TaskRequirements): TaskUsage {
  return { serviceId: req.serviceId, active: true, demand: req.demand, hostPorts: req.hostPorts };
}

/** A fresh status, as SwarmKit writes it: no error, no container or port status yet. */
function assigned(task: StoredTask, nodeId: string, message: string, at: string): ObjectInput<Task> {
  return { ...task, nodeId, status: { state: 'assigned', timestamp: at, message } };
}

function withError(task: StoredTask, err: string, at: string): ObjectInput<Task> {
  return { ...task, status: { ...task.status, timestamp: at, err } };
}

function byId(a: StoredTask, b: StoredTask): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Lower slots first, so replica 1 gets the best node; then by id. */
function bySlotThenId(a: StoredTask, b: StoredTask): number {
  const sa = a.slot ?? Number.MAX_SAFE_INTEGER;
  const sb = b.slot ?? Number.MAX_SAFE_INTEGER;
  return sa !== sb ? sa - sb : byId(a, b);
}
