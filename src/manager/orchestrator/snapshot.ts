// One consistent read of what the orchestration loops decide over: services, nodes, the tasks of
// every service (or of the services a pass is scoped to), and the cluster's orchestration
// settings. Taken synchronously, so nothing is applied in between; the pure decision functions
// never touch the store themselves.

import { DEFAULT_ORCHESTRATION } from '../../api/index.js';
import type { ApiStore } from '../control/index.js';
import type { PassScope } from './loop.js';
import type { StoredNode, StoredService, StoredTask } from './types.js';

export interface ClusterSnapshot {
  /** The services in scope that exist. */
  services: ReadonlyMap<string, StoredService>;
  /** Every node. */
  nodes: ReadonlyMap<string, StoredNode>;
  /** Tasks with a serviceId in scope, by that id (the service may no longer exist); in id order. */
  tasksByService: ReadonlyMap<string, readonly StoredTask[]>;
  /** The cluster's `orchestration.taskHistoryRetentionLimit` (default 5; negative: keep all). */
  taskHistoryRetentionLimit: number;
}

/** Reads the services in `scope` (every one by default) with their tasks, and every node. */
export function readSnapshot(store: ApiStore, scope: PassScope = 'all'): ClusterSnapshot {
  const inScope = scope === 'all' ? undefined : [...scope];
  const services = new Map<string, StoredService>();
  if (inScope === undefined) for (const service of store.list('service')) services.set(service.id, service);
  else
    for (const id of inScope) {
      const service = store.get('service', id);
      if (service) services.set(id, service);
    }
  const nodes = new Map(store.list('node').map((n) => [n.id, n] as const));
  const tasksByService = new Map<string, StoredTask[]>();
  for (const task of store.list('task', inScope === undefined ? {} : { serviceId: inScope })) {
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
