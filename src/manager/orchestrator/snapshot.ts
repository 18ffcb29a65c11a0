// One consistent read of what the orchestration loops decide over: services, nodes, the tasks of
// every service (or of the services a pass is scoped to), and the cluster's orchestration
// settings. Taken synchronously, so nothing is applied in between; the pure decision functions
// never touch the store themselves.

import { DEFAULT_ORCHESTRATION } from '../../api/index.js';
import type { ApiStore } from '../control/index.js';
import type { PassScope } from './loop.js';
import { modeOf, type ModeName } from './service-mode.js';
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

/**
 * Reads the services in `scope` (every one by default) with their tasks, and every node. Given
 * `modes`, only services of those modes are read, and no tasks of services that no longer exist:
 * what a loop that decides for some modes only needs (a 10,000-task replicated service is not the
 * global orchestrator's to read on every change).
 */
export function readSnapshot(
  store: ApiStore,
  scope: PassScope = 'all',
  modes?: ReadonlySet<ModeName>,
): ClusterSnapshot {
  const services = new Map<string, StoredService>();
  const candidates =
    scope === 'all' ? store.list('service') : [...scope].flatMap((id) => store.get('service', id) ?? []);
  for (const service of candidates)
    if (!modes || modes.has(modeOf(service))) services.set(service.id, service);
  const nodes = new Map(store.list('node').map((n) => [n.id, n] as const));
  const tasksByService = new Map<string, StoredTask[]>();
  // Those of the services read; unfiltered, also those of services in scope that no longer exist.
  let ofServices: string[] | undefined;
  if (modes) ofServices = [...services.keys()];
  else if (scope !== 'all') ofServices = [...scope];
  const taskFilter = ofServices === undefined ? {} : { serviceId: ofServices };
  for (const task of store.list('task', taskFilter)) {
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
