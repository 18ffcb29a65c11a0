// One consistent read of what the orchestration loops decide over: services, nodes, the tasks of
// every service, and the cluster's orchestration settings. Taken synchronously, so nothing is
// applied in between; the pure decision functions never touch the store themselves.

import { DEFAULT_ORCHESTRATION } from '../../api/index.js';
import type { ApiStore } from '../control/index.js';
import type { StoredNode, StoredService, StoredTask } from './types.js';

export interface ClusterSnapshot {
  services: ReadonlyMap<string, StoredService>;
  nodes: ReadonlyMap<string, StoredNode>;
  /** Tasks with a serviceId, by that id (the service may no longer exist); in id order. */
  tasksByService: ReadonlyMap<string, readonly StoredTask[]>;
  /** The cluster's `orchestration.taskHistoryRetentionLimit` (default 5; negative: keep all). */
  taskHistoryRetentionLimit: number;
}

export function readSnapshot(store: ApiStore): ClusterSnapshot {
  const services = new Map(store.list('service').map((s) => [s.id, s] as const));
  const nodes = new Map(store.list('node').map((n) => [n.id, n] as const));
  const tasksByService = new Map<string, StoredTask[]>();
  for (const task of store.list('task')) {
    // Tasks without a service are not the orchestrators' (SwarmKit: network attachment tasks).
    if (!task.serviceId) continue;
    let tasks = tasksByService.get(task.serviceId);
    if (!tasks) tasksByService.set(task.serviceId, (tasks = []));
    tasks.push(task);
  }
  const cluster = store.list('cluster')[0];
  const taskHistoryRetentionLimit =
    cluster?.spec.orchestration?.taskHistoryRetentionLimit ?? DEFAULT_ORCHESTRATION.taskHistoryRetentionLimit;
  return { services, nodes, tasksByService, taskHistoryRetentionLimit };
}

/** A snapshot from plain arrays: what tests and benchmarks build without a store. */
export function snapshotOf(parts: {
  services?: readonly StoredService[];
  nodes?: readonly StoredNode[];
  tasks?: readonly StoredTask[];
  taskHistoryRetentionLimit?: number;
}): ClusterSnapshot {
  const tasksByService = new Map<string, StoredTask[]>();
  for (const task of parts.tasks ?? []) {
    if (!task.serviceId) continue;
    const tasks = tasksByService.get(task.serviceId) ?? [];
    tasks.push(task);
    tasksByService.set(task.serviceId, tasks);
  }
  return {
    services: new Map((parts.services ?? []).map((s) => [s.id, s] as const)),
    nodes: new Map((parts.nodes ?? []).map((n) => [n.id, n] as const)),
    tasksByService,
    taskHistoryRetentionLimit:
      parts.taskHistoryRetentionLimit ?? DEFAULT_ORCHESTRATION.taskHistoryRetentionLimit,
  };
}
