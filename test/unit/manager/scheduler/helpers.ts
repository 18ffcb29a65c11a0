// Builders for the scheduler's tests: nodes and tasks as the store holds them, with only the
// fields a test cares about spelled out.

import type {
  GenericResource,
  Node,
  NodeAvailability,
  NodeRole,
  NodeState,
  Placement,
  Task,
  TaskState,
} from '../../../../src/api/index.js';
import type { DeepReadonly } from '../../../../src/manager/store/index.js';

export const GB = 1024 ** 3;
export const CPU = 1e9;
export const AT = '2026-01-01T00:00:00.000Z';

export interface NodeOptions {
  state?: NodeState;
  availability?: NodeAvailability;
  role?: NodeRole;
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  hostname?: string;
  os?: string;
  arch?: string;
  cpus?: number;
  memoryGb?: number;
  generic?: GenericResource[];
  addr?: string;
  version?: number;
  /** No description at all (a node that has not reported yet). */
  bare?: boolean;
}

export function makeNode(id: string, o: NodeOptions = {}): Omit<Node, 'meta'> {
  const node: Omit<Node, 'meta'> = {
    id,
    spec: { role: o.role ?? 'worker', availability: o.availability ?? 'active', labels: o.labels ?? {} },
    status: { state: o.state ?? 'ready', addr: o.addr ?? '10.0.0.1' },
  };
  if (!o.bare) {
    const resources: Record<string, unknown> = {
      nanoCpus: (o.cpus ?? 4) * CPU,
      memoryBytes: (o.memoryGb ?? 8) * GB,
    };
    if (o.generic) resources.genericResources = o.generic;
    node.description = {
      hostname: o.hostname ?? `host-${id}`,
      platform: { os: o.os ?? 'linux', architecture: o.arch ?? 'x86_64' },
      resources: resources as unknown as { nanoCpus: number; memoryBytes: number },
      engine: { engineVersion: '27.0.0', labels: o.engineLabels ?? {}, plugins: [] },
    };
  }
  return node;
}

export function node(id: string, o: NodeOptions = {}): DeepReadonly<Node> {
  return withMeta(makeNode(id, o), o.version ?? 1);
}

export interface TaskOptions {
  service?: string;
  slot?: number;
  state?: TaskState;
  desired?: TaskState;
  nodeId?: string;
  memoryGb?: number;
  cpus?: number;
  generic?: GenericResource[];
  placement?: Placement;
  err?: string;
  version?: number;
  hostPorts?: number[];
}

export function makeTask(id: string, o: TaskOptions = {}): Omit<Task, 'meta'> {
  const task: Omit<Task, 'meta'> = {
    id,
    labels: {},
    serviceId: o.service ?? 'svc',
    spec: { containerSpec: { image: 'nginx:1.27' } },
    status: { state: o.state ?? 'pending', timestamp: AT, message: 'pending task scheduling' },
    desiredState: o.desired ?? 'running',
  };
  if (o.slot !== undefined) task.slot = o.slot;
  if (o.nodeId !== undefined) task.nodeId = o.nodeId;
  if (o.err !== undefined) task.status.err = o.err;
  if (o.memoryGb !== undefined || o.cpus !== undefined || o.generic !== undefined) {
    task.spec.resources = {
      reservations: {
        ...(o.memoryGb !== undefined ? { memoryBytes: o.memoryGb * GB } : {}),
        ...(o.cpus !== undefined ? { nanoCpus: o.cpus * CPU } : {}),
        ...(o.generic !== undefined ? { genericResources: o.generic } : {}),
      },
    };
  }
  if (o.placement) task.spec.placement = o.placement;
  if (o.hostPorts)
    task.status.portStatus = {
      ports: o.hostPorts.map((p) => ({
        targetPort: 80,
        publishedPort: p,
        protocol: 'tcp',
        publishMode: 'host',
      })),
    };
  return task;
}

export function task(id: string, o: TaskOptions = {}): DeepReadonly<Task> {
  return withMeta(makeTask(id, o), o.version ?? 1);
}

/** `count` pending tasks `${prefix}1…`, slots 1…count. */
export function pendingTasks(prefix: string, count: number, o: TaskOptions = {}): Array<DeepReadonly<Task>> {
  return Array.from({ length: count }, (_, i) => task(`${prefix}${i + 1}`, { slot: i + 1, ...o }));
}

function withMeta<T extends object>(object: T, version: number): DeepReadonly<T & { meta: Node['meta'] }> {
  return { ...object, meta: { version: { index: version }, createdAt: AT, updatedAt: AT } } as DeepReadonly<
    T & { meta: Node['meta'] }
  >;
}

/** How many tasks each node got, from a map task → node. */
export function countByNode(placements: ReadonlyMap<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const nodeId of placements.values()) counts[nodeId] = (counts[nodeId] ?? 0) + 1;
  return counts;
}
