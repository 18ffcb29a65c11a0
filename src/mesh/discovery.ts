// Service discovery's building block: a service name resolved to its current endpoints (its tasks
// in rotation, where they run, their addresses on the service's networks, its published ports),
// and a directory that publishes a service's endpoints again whenever they change. Pure
// computation from (services, tasks, nodes), like the endpoint table; a DNS front can sit on it.

import { EventEmitter } from 'node:events';
import { taskStateRank, type Node, type Service, type Task } from '../api/index.js';

export interface TaskEndpoint {
  taskId: string;
  nodeId: string;
  /** The node's address (its status address). */
  nodeAddress: string;
  /** The task's addresses on its networks, without prefix length. */
  addresses: string[];
}

export interface ServiceEndpoints {
  serviceId: string;
  name: string;
  /** The service's virtual IPs (vip endpoint mode), without prefix length. */
  virtualIps: string[];
  /** Published ports in ingress mode, reachable on every node's address. */
  publishedPorts: Array<{ protocol: string; publishedPort: number; targetPort: number }>;
  /** Tasks in rotation, by task id. */
  tasks: TaskEndpoint[];
}

const RUNNING_RANK = taskStateRank('running');

/** Every service's endpoints, by service name. */
export function computeServiceEndpoints(
  services: Iterable<Service>,
  tasks: Iterable<Task>,
  nodes: Iterable<Node>,
): Map<string, ServiceEndpoints> {
  const nodesById = new Map<string, Node>();
  for (const node of nodes) nodesById.set(node.id, node);
  const byService = new Map<string, TaskEndpoint[]>();
  for (const task of tasks) {
    if (task.status.state !== 'running' || taskStateRank(task.desiredState) > RUNNING_RANK) continue;
    const node = task.nodeId === undefined ? undefined : nodesById.get(task.nodeId);
    if (node === undefined || node.status.state === 'down' || node.status.state === 'disconnected') continue;
    let list = byService.get(task.serviceId);
    if (list === undefined) byService.set(task.serviceId, (list = []));
    list.push({
      taskId: task.id,
      nodeId: node.id,
      nodeAddress: node.status.addr,
      addresses: (task.networksAttachments ?? []).flatMap((a) => a.addresses.map(withoutPrefix)),
    });
  }
  const out = new Map<string, ServiceEndpoints>();
  for (const service of services) {
    const ports = service.endpoint?.ports ?? service.spec.endpointSpec?.ports ?? [];
    out.set(service.spec.name, {
      serviceId: service.id,
      name: service.spec.name,
      virtualIps: (service.endpoint?.virtualIps ?? []).map((v) => withoutPrefix(v.addr)),
      publishedPorts: ports
        .filter((p) => (p.publishMode ?? 'ingress') === 'ingress' && p.publishedPort !== undefined)
        .map((p) => ({
          protocol: p.protocol ?? 'tcp',
          publishedPort: p.publishedPort as number,
          targetPort: p.targetPort,
        })),
      tasks: (byService.get(service.id) ?? []).sort((a, b) =>
        a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0,
      ),
    });
  }
  return out;
}

function withoutPrefix(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash === -1 ? cidr : cidr.slice(0, slash);
}

export interface ServiceDirectoryEvents {
  /** A service's endpoints changed; null when the service is gone. */
  change: [name: string, endpoints: ServiceEndpoints | null];
}

/**
 * The current endpoints of every service, fed with cluster states (a store watch, or a client
 * polling the control API), publishing each service whose endpoints changed.
 */
export class ServiceDirectory extends EventEmitter<ServiceDirectoryEvents> {
  private current = new Map<string, ServiceEndpoints>();
  private readonly fingerprints = new Map<string, string>();

  /** Takes a new state; emits `change` for each service whose endpoints differ. */
  update(services: Iterable<Service>, tasks: Iterable<Task>, nodes: Iterable<Node>): void {
    const next = computeServiceEndpoints(services, tasks, nodes);
    const changed: Array<[string, ServiceEndpoints | null]> = [];
    for (const [name, endpoints] of next) {
      const fingerprint = JSON.stringify(endpoints);
      if (this.fingerprints.get(name) !== fingerprint) {
        this.fingerprints.set(name, fingerprint);
        changed.push([name, endpoints]);
      }
    }
    for (const name of this.current.keys())
      if (!next.has(name)) {
        this.fingerprints.delete(name);
        changed.push([name, null]);
      }
    this.current = next;
    for (const [name, endpoints] of changed) this.emit('change', name, endpoints);
  }

  resolve(name: string): ServiceEndpoints | null {
    return this.current.get(name) ?? null;
  }

  /** Calls `listener` now with the service's endpoints and again on every change; returns the unsubscribe. */
  watch(name: string, listener: (endpoints: ServiceEndpoints | null) => void): () => void {
    const onChange = (changed: string, endpoints: ServiceEndpoints | null): void => {
      if (changed === name) listener(endpoints);
    };
    this.on('change', onChange);
    listener(this.resolve(name));
    return () => this.off('change', onChange);
  }
}
