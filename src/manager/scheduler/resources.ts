// What a node offers and what a task asks for: CPU, memory and generic resources (GPUs, SSDs…),
// as plain numbers the filters compare cheaply. Generic resources come in two shapes, as in
// SwarmKit's api/genericresource: discrete (`ssd=2`) and named (`gpu=GPU-7a1c`, one unit each).

import type { GenericResource, Node, TaskSpec } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';

/** Units of one kind of generic resource a node advertises. */
export interface GenericCapacity {
  /** Discrete units plus one per named resource. */
  units: number;
  /** The named resources of this kind (GPU ids, …). */
  named: ReadonlySet<string>;
}

export interface NodeCapacity {
  nanoCpus: number;
  memoryBytes: number;
  generic: ReadonlyMap<string, GenericCapacity>;
}

/** One generic resource a task reserves: `units` of `kind`, or exactly the named one. */
export interface GenericDemand {
  kind: string;
  units: number;
  /** Set for a named reservation: that very resource must be free on the node. */
  named?: string;
}

export interface ResourceDemand {
  nanoCpus: number;
  memoryBytes: number;
  generic: readonly GenericDemand[];
}

export const NO_DEMAND: ResourceDemand = Object.freeze({ nanoCpus: 0, memoryBytes: 0, generic: [] });

/**
 * The node's advertised capacity. `description.resources.genericResources` is read although
 * src/api's NodeDescription does not declare it yet (SwarmKit's Resources.Generic): the field
 * is narrowed here, so a node that reports none simply has none.
 */
export function nodeCapacity(node: DeepReadonly<Node>): NodeCapacity {
  const resources = node.description?.resources;
  const generic = new Map<string, { units: number; named: Set<string> }>();
  for (const resource of readGenericResources(
    (resources as { genericResources?: unknown } | undefined)?.genericResources,
  )) {
    if ('namedResourceSpec' in resource) {
      const { kind, value } = resource.namedResourceSpec;
      const entry = generic.get(kind) ?? { units: 0, named: new Set<string>() };
      if (!entry.named.has(value)) {
        entry.named.add(value);
        entry.units += 1;
      }
      generic.set(kind, entry);
    } else {
      const { kind, value } = resource.discreteResourceSpec;
      const entry = generic.get(kind) ?? { units: 0, named: new Set<string>() };
      entry.units += value;
      generic.set(kind, entry);
    }
  }
  return {
    nanoCpus: nonNegative(resources?.nanoCpus),
    memoryBytes: nonNegative(resources?.memoryBytes),
    generic,
  };
}

/** What the task reserves (`spec.resources.reservations`); limits do not count, as in SwarmKit. */
export function resourceDemand(spec: DeepReadonly<TaskSpec>): ResourceDemand {
  const reservations = spec.resources?.reservations;
  if (reservations === undefined) return NO_DEMAND;
  const generic: GenericDemand[] = [];
  for (const resource of readGenericResources(reservations.genericResources)) {
    if ('namedResourceSpec' in resource) {
      const { kind, value } = resource.namedResourceSpec;
      generic.push({ kind, units: 1, named: value });
    } else {
      const { kind, value } = resource.discreteResourceSpec;
      if (value > 0) generic.push({ kind, units: value });
    }
  }
  const nanoCpus = nonNegative(reservations.nanoCpus);
  const memoryBytes = nonNegative(reservations.memoryBytes);
  if (nanoCpus === 0 && memoryBytes === 0 && generic.length === 0) return NO_DEMAND;
  return { nanoCpus, memoryBytes, generic };
}

function nonNegative(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** The well-formed entries of a generic resource list; anything else is ignored. */
function readGenericResources(value: unknown): GenericResource[] {
  if (!Array.isArray(value)) return [];
  const result: GenericResource[] = [];
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const named = (entry as { namedResourceSpec?: unknown }).namedResourceSpec;
    const discrete = (entry as { discreteResourceSpec?: unknown }).discreteResourceSpec;
    if (isKindValue(named, 'string')) result.push({ namedResourceSpec: named });
    else if (isKindValue(discrete, 'number') && Number.isFinite(discrete.value) && discrete.value >= 0)
      result.push({ discreteResourceSpec: discrete });
  }
  return result;
}

function isKindValue<T extends 'string' | 'number'>(
  value: unknown,
  type: T,
): value is { kind: string; value: T extends 'string' ? string : number } {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, value: v } = value as { kind?: unknown; value?: unknown };
  return typeof kind === 'string' && kind !== '' && typeof v === type;
}
