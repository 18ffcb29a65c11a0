// The scheduler's picture of one node (SwarmKit's NodeInfo): the node object, what it offers,
// and what the tasks placed on it use — reservations, host-mode ports, and how many tasks of
// each service it runs. Every task's contribution is kept by task id, so recording the same
// task twice (the scheduler's own decision, then the watch event of its commit) counts once.

import type { Node } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';
import { nodeCapacity, type GenericDemand, type NodeCapacity, type ResourceDemand } from './resources.js';

/** What one task placed on a node takes from it. */
export interface TaskUsage {
  serviceId: string;
  /**
   * Counts for spreading and maxReplicas: the task is still meant to run (desired state at most
   * COMPLETE, SwarmKit's ActiveTasksCount). A task told to shut down keeps its reservation until
   * it has actually stopped, but no longer counts as one of the service's replicas.
   */
  active: boolean;
  demand: ResourceDemand;
  /** Host-mode published ports it binds, as `8080/tcp`. */
  hostPorts: readonly string[];
}

const EMPTY_CAPACITY: NodeCapacity = { nanoCpus: 0, memoryBytes: 0, generic: new Map() };

export class NodeInfo {
  /** Undefined while tasks still point at a node the store no longer has. */
  node: DeepReadonly<Node> | undefined;
  capacity: NodeCapacity = EMPTY_CAPACITY;
  /** Ready and active: may receive new tasks (SwarmKit's ReadyFilter). */
  available = false;
  reservedNanoCpus = 0;
  reservedMemoryBytes = 0;
  /** Tasks meant to run here (desired state at most COMPLETE). */
  activeTasks = 0;
  private readonly activeByService = new Map<string, number>();
  private readonly reservedGeneric = new Map<string, number>();
  /** `kind=name` of named generic resources claimed by a task. */
  private readonly claimedNamed = new Map<string, number>();
  private readonly hostPorts = new Map<string, number>();
  private readonly usages = new Map<string, TaskUsage>();

  constructor(readonly id: string) {}

  setNode(node: DeepReadonly<Node> | undefined): void {
    this.node = node;
    this.capacity = node ? nodeCapacity(node) : EMPTY_CAPACITY;
    this.available =
      node !== undefined && node.status.state === 'ready' && node.spec.availability === 'active';
  }

  get taskCount(): number {
    return this.usages.size;
  }

  /** Active tasks of the service on this node. */
  serviceTasks(serviceId: string): number {
    return this.activeByService.get(serviceId) ?? 0;
  }

  usage(taskId: string): TaskUsage | undefined {
    return this.usages.get(taskId);
  }

  /** Records (or replaces) the task's use of this node. */
  addTask(taskId: string, usage: TaskUsage): void {
    const previous = this.usages.get(taskId);
    if (previous) this.apply(previous, -1);
    this.usages.set(taskId, usage);
    this.apply(usage, 1);
  }

  removeTask(taskId: string): boolean {
    const previous = this.usages.get(taskId);
    if (!previous) return false;
    this.usages.delete(taskId);
    this.apply(previous, -1);
    return true;
  }

  // ---- what is left -------------------------------------------------------------------------

  freeMemoryBytes(): number {
    return this.capacity.memoryBytes - this.reservedMemoryBytes;
  }

  freeNanoCpus(): number {
    return this.capacity.nanoCpus - this.reservedNanoCpus;
  }

  /** Whether every generic resource the task reserves is free here. */
  hasGeneric(demands: readonly GenericDemand[]): boolean {
    for (const demand of demands) {
      const offered = this.capacity.generic.get(demand.kind);
      if (!offered) return false;
      if (offered.units - (this.reservedGeneric.get(demand.kind) ?? 0) < demand.units) return false;
      if (demand.named !== undefined) {
        if (!offered.named.has(demand.named)) return false;
        if ((this.claimedNamed.get(`${demand.kind}=${demand.named}`) ?? 0) > 0) return false;
      }
    }
    return true;
  }

  hostPortInUse(port: string): boolean {
    return (this.hostPorts.get(port) ?? 0) > 0;
  }

  private apply(usage: TaskUsage, sign: 1 | -1): void {
    if (usage.active) {
      this.activeTasks += sign;
      bump(this.activeByService, usage.serviceId, sign);
    }
    this.reservedNanoCpus += sign * usage.demand.nanoCpus;
    this.reservedMemoryBytes += sign * usage.demand.memoryBytes;
    for (const generic of usage.demand.generic) {
      bump(this.reservedGeneric, generic.kind, sign * generic.units);
      if (generic.named !== undefined) bump(this.claimedNamed, `${generic.kind}=${generic.named}`, sign);
    }
    for (const port of usage.hostPorts) bump(this.hostPorts, port, sign);
  }
}

function bump(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}
