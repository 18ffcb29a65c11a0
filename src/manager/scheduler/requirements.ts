// What a task needs of a node, compiled once per task group: reservations, constraints,
// platforms, host-mode ports, maxReplicas and spread preferences. Tasks of one service with
// the same requirements are placed together (SwarmKit groups by service and spec version).

import type { Node, PortConfig, Task } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';
import { compileConstraints, type NodePredicate } from './constraints.js';
import { resourceDemand, type ResourceDemand } from './resources.js';

export interface TaskRequirements {
  serviceId: string;
  demand: ResourceDemand;
  constraints: NodePredicate;
  /** Normalized platforms the task runs on; empty means any. */
  platforms: ReadonlyArray<{ os: string; architecture: string }>;
  /** Host-mode published ports, as `8080/tcp`. */
  hostPorts: readonly string[];
  /** At most this many active tasks of the service per node; 0 means no limit. */
  maxReplicas: number;
  /** `spread` descriptors in order (`node.labels.zone`, …): the levels of the preference tree. */
  spread: readonly string[];
}

type StoredTask = DeepReadonly<Task>;

export function taskRequirements(task: StoredTask, hostPorts: readonly string[]): TaskRequirements {
  const placement = task.spec.placement;
  return {
    serviceId: task.serviceId,
    demand: resourceDemand(task.spec),
    constraints: compileConstraints(placement?.constraints ?? []),
    platforms: (placement?.platforms ?? []).map((p) => ({
      os: (p.os ?? '').toLowerCase(),
      architecture: normalizeArchitecture(p.architecture ?? ''),
    })),
    hostPorts,
    maxReplicas: placement?.maxReplicas ?? 0,
    spread: (placement?.preferences ?? []).map((p) => p.spread.spreadDescriptor),
  };
}

/**
 * Tasks with equal keys have equal requirements and are placed as one batch. Only the fields
 * the filters and the scoring read take part, so tasks that differ elsewhere (a new image in a
 * rolling update) still share a batch.
 */
export function requirementsKey(task: StoredTask, hostPorts: readonly string[]): string {
  const { placement, resources } = task.spec;
  return JSON.stringify([task.serviceId, resources?.reservations ?? null, placement ?? null, hostPorts]);
}

/** Host-mode ports with a published port, as `8080/tcp`, sorted and without duplicates. */
export function hostPublishedPorts(ports: ReadonlyArray<DeepReadonly<PortConfig>> | undefined): string[] {
  if (ports === undefined || ports.length === 0) return [];
  const keys = new Set<string>();
  for (const port of ports)
    if (port.publishMode === 'host' && port.publishedPort !== undefined && port.publishedPort > 0)
      keys.add(`${port.publishedPort}/${port.protocol ?? 'tcp'}`);
  return [...keys].sort();
}

/** SwarmKit's PlatformFilter: x86_64 is amd64 and aarch64 is arm64. */
export function normalizeArchitecture(architecture: string): string {
  const lower = architecture.toLowerCase();
  if (lower === 'x86_64') return 'amd64';
  if (lower === 'aarch64') return 'arm64';
  return lower;
}

/**
 * The node's value for a spread descriptor (`node.labels.zone`, `engine.labels.disk`); a node
 * without the label is in the branch of the empty value, as SwarmKit puts it.
 */
export function spreadValue(node: DeepReadonly<Node>, descriptor: string): string {
  const lower = descriptor.toLowerCase();
  let labels: Readonly<Record<string, string>> | undefined;
  let label: string;
  if (lower.startsWith('node.labels.')) {
    labels = node.spec.labels;
    label = descriptor.slice('node.labels.'.length);
  } else if (lower.startsWith('engine.labels.')) {
    labels = node.description?.engine.labels;
    label = descriptor.slice('engine.labels.'.length);
  } else {
    return '';
  }
  return labels !== undefined && Object.hasOwn(labels, label) ? (labels[label] ?? '') : '';
}
