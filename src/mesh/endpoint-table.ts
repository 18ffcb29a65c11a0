// The endpoint table: for every ingress-published port, the service behind it, how to balance
// and proxy, and the tasks that serve it. Computed by a pure function of (services, tasks, nodes)
// on the manager side and sent to every node's mesh; tests build it the same way. Deltas
// (diffEndpointTables / applyEndpointDelta) let a sender ship a complete table once and then
// only the ports that changed, as the dispatcher does with assignments.

import {
  DEFAULT_STOP_GRACE_PERIOD,
  taskStateRank,
  toMilliseconds,
  type Node,
  type PortConfig,
  type Service,
  type Task,
} from '../api/index.js';
import { hostOf } from '../util/host.js';

export type MeshProtocol = 'tcp' | 'udp';
export type BalanceMode = 'round-robin' | 'least-conn';
export type ProxyProtocolMode = 'off' | 'v1' | 'v2';

/** Service labels that tune the mesh for a service (every published port of it). */
export const MESH_LABELS = {
  /** `round-robin` (default) or `least-conn`. */
  balance: 'com.flotilla.mesh.balance',
  /** `off` (default), `v1` or `v2`: a PROXY protocol header towards the task (TCP only). */
  proxyProtocol: 'com.flotilla.mesh.proxy-protocol',
  /** Idle timeout of a TCP connection or UDP flow, as `300s`, `5m`, `1500ms` or `0` (none). */
  idleTimeout: 'com.flotilla.mesh.idle-timeout',
} as const;

/** An idle TCP connection is closed after this long unless the service says otherwise. */
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60 * 1000;
/** A UDP flow (one client address) is forgotten after this long without a datagram. */
export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 60 * 1000;

/** One task that serves a published port. */
export interface MeshBackend {
  taskId: string;
  nodeId: string;
  targetPort: number;
  /** In rotation: RUNNING (which, for a task with a healthcheck, the worker reports only once healthy). */
  ready: boolean;
  /**
   * Set when the task is being stopped: out of rotation, but connections already open to it
   * continue until this time (ms since the epoch: the stop request plus the stop grace period).
   */
  drainingUntil?: number;
}

export interface PublishedPortEntry {
  protocol: MeshProtocol;
  publishedPort: number;
  serviceId: string;
  serviceName: string;
  balance: BalanceMode;
  proxyProtocol: ProxyProtocolMode;
  /** 0: never. */
  idleTimeoutMs: number;
  /** Sorted by task id, so equal inputs give equal tables. */
  backends: MeshBackend[];
}

/** Where a node's mesh accepts tunnels. */
export interface MeshNodeAddress {
  host: string;
  port: number;
}

export interface EndpointTable {
  /** The store version the table was computed at (0 when unknown): newer tables win. */
  version: number;
  /** Sorted by key (portKey). */
  ports: PublishedPortEntry[];
  /** The tunnel address of every node that is not down. */
  nodes: Record<string, MeshNodeAddress>;
}

export interface EndpointTableOptions {
  /** The port every node's mesh listens on for tunnels. */
  tunnelPort: number;
  /** The store version the inputs were read at. */
  version?: number;
}

/** `tcp/8080`: a published port's identity on a node. */
export function portKey(entry: { protocol: MeshProtocol; publishedPort: number }): string {
  return `${entry.protocol}/${entry.publishedPort}`;
}

const RUNNING_RANK = taskStateRank('running');

/**
 * The endpoint table of a cluster state. Pure: the same inputs give the same table (no clock:
 * draining deadlines come from the tasks' own timestamps).
 *
 * - A port is in the table when a service publishes it in ingress mode (the allocated
 *   `service.endpoint.ports` when present, else the spec's) with a published port and TCP or UDP.
 * - A task serves it while it is RUNNING on a node that is not down or disconnected. It is
 *   `ready` when its desired state is still RUNNING; a task asked to stop is draining until its
 *   stop request (its last write) plus its stop grace period.
 */
export function computeEndpointTable(
  services: Iterable<Service>,
  tasks: Iterable<Task>,
  nodes: Iterable<Node>,
  options: EndpointTableOptions,
): EndpointTable {
  const nodesById = new Map<string, Node>();
  for (const node of nodes) nodesById.set(node.id, node);

  const tasksByService = new Map<string, Task[]>();
  for (const task of tasks) {
    if (task.status.state !== 'running' || task.nodeId === undefined) continue;
    const node = nodesById.get(task.nodeId);
    if (node === undefined || node.status.state === 'down' || node.status.state === 'disconnected') continue;
    let list = tasksByService.get(task.serviceId);
    if (list === undefined) tasksByService.set(task.serviceId, (list = []));
    list.push(task);
  }

  const ports: PublishedPortEntry[] = [];
  const claimed = new Set<string>();
  const sortedServices = [...services].sort((a, b) => compare(a.id, b.id));
  for (const service of sortedServices) {
    const settings = serviceSettings(service);
    const serviceTasks = (tasksByService.get(service.id) ?? []).sort((a, b) => compare(a.id, b.id));
    for (const port of ingressPorts(service)) {
      const key = portKey(port);
      // The allocator never gives one published port to two services; should a store hold such
      // a state anyway, the first service (by id) keeps it, deterministically.
      if (claimed.has(key)) continue;
      claimed.add(key);
      const backends: MeshBackend[] = [];
      for (const task of serviceTasks) {
        const nodeId = task.nodeId as string;
        const backend: MeshBackend = { taskId: task.id, nodeId, targetPort: port.targetPort, ready: true };
        if (taskStateRank(task.desiredState) > RUNNING_RANK) {
          backend.ready = false;
          backend.drainingUntil = drainDeadline(task);
        }
        backends.push(backend);
      }
      ports.push({
        protocol: port.protocol,
        publishedPort: port.publishedPort,
        serviceId: service.id,
        serviceName: service.spec.name,
        ...settings,
        idleTimeoutMs:
          settings.idleTimeoutMs ??
          (port.protocol === 'udp' ? DEFAULT_UDP_IDLE_TIMEOUT_MS : DEFAULT_IDLE_TIMEOUT_MS),
        backends,
      });
    }
  }
  ports.sort((a, b) => compare(portKey(a), portKey(b)));

  // Every node that is up, not only those with backends: any of them may dial a tunnel, and
  // without TLS the accepting side admits a tunnel by its node's address. A manager that runs no
  // tasks (no executor) has no dispatcher session, so the dispatcher counts it down, yet it serves
  // published ports from its own copy of the store: while Raft hears from it, it is listed too,
  // at its session's address if it ever had one, else at its Raft address's host.
  const nodeAddresses: Record<string, MeshNodeAddress> = {};
  for (const node of [...nodesById.values()].sort((a, b) => compare(a.id, b.id))) {
    const host = meshHostOf(node);
    if (host !== undefined) nodeAddresses[node.id] = { host, port: options.tunnelPort };
  }
  return { version: options.version ?? 0, ports, nodes: nodeAddresses };
}

/** Where a node's mesh is reached, for a node that takes part in the mesh now. */
function meshHostOf(node: Node): string | undefined {
  if (node.status.state !== 'down') return node.status.addr || undefined;
  const manager = node.managerStatus;
  if (manager?.reachability !== 'reachable') return undefined;
  return node.status.addr || hostOf(manager.addr) || undefined;
}

/** The ingress ports of a service that the mesh can serve. */
function ingressPorts(
  service: Service,
): Array<{ protocol: MeshProtocol; publishedPort: number; targetPort: number }> {
  const configs: PortConfig[] = service.endpoint?.ports ?? service.spec.endpointSpec?.ports ?? [];
  const out: Array<{ protocol: MeshProtocol; publishedPort: number; targetPort: number }> = [];
  for (const port of configs) {
    const protocol = port.protocol ?? 'tcp';
    if ((port.publishMode ?? 'ingress') !== 'ingress') continue;
    // SCTP has no user-space socket API in Node: not served by the mesh (README).
    if (protocol !== 'tcp' && protocol !== 'udp') continue;
    if (port.publishedPort === undefined || port.publishedPort <= 0) continue;
    out.push({ protocol, publishedPort: port.publishedPort, targetPort: port.targetPort });
  }
  return out;
}

interface ServiceSettings {
  balance: BalanceMode;
  proxyProtocol: ProxyProtocolMode;
  idleTimeoutMs: number | undefined;
}

/** The mesh settings a service's labels ask for; an unreadable label falls back to the default. */
export function serviceSettings(service: Service): ServiceSettings {
  const labels = service.spec.labels ?? {};
  const balance = labels[MESH_LABELS.balance];
  const proxy = labels[MESH_LABELS.proxyProtocol];
  const idle = labels[MESH_LABELS.idleTimeout];
  return {
    balance: balance === 'least-conn' ? 'least-conn' : 'round-robin',
    proxyProtocol: proxy === 'v1' || proxy === 'v2' ? proxy : 'off',
    idleTimeoutMs: idle === undefined ? undefined : (parseDurationMs(idle) ?? undefined),
  };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1500ms`, `30s`, `5m`, `1h`, `1m30s` or a bare `0`; null when not a duration. */
export function parseDurationMs(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let matched = 0;
  while (re.lastIndex < trimmed.length) {
    const m = re.exec(trimmed);
    if (m === null) return null;
    total += Number(m[1]) * (DURATION_UNITS_MS[m[2] as string] as number);
    matched++;
  }
  return matched > 0 ? Math.round(total) : null;
}

function drainDeadline(task: Task): number {
  const grace = task.spec.containerSpec.stopGracePeriod ?? DEFAULT_STOP_GRACE_PERIOD;
  const since = Date.parse(task.meta.updatedAt);
  return (Number.isFinite(since) ? since : 0) + toMilliseconds(grace);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- Deltas ---------------------------------------------------------------------------------

/** What changed between two tables: whole port entries replaced or removed, node addresses. */
export interface EndpointDelta {
  /** The version of the table the delta applies to, and the one it makes. */
  fromVersion: number;
  version: number;
  upsertPorts: PublishedPortEntry[];
  /** portKey of each removed entry. */
  removePorts: string[];
  /** Node addresses set (added or changed). */
  upsertNodes: Record<string, MeshNodeAddress>;
  removeNodes: string[];
}

export function diffEndpointTables(from: EndpointTable, to: EndpointTable): EndpointDelta {
  const before = new Map(from.ports.map((p) => [portKey(p), p]));
  const after = new Map(to.ports.map((p) => [portKey(p), p]));
  const upsertPorts = to.ports.filter((p) => !sameJson(before.get(portKey(p)), p));
  const removePorts = [...before.keys()].filter((k) => !after.has(k));
  const upsertNodes: Record<string, MeshNodeAddress> = {};
  for (const [id, addr] of Object.entries(to.nodes))
    if (!sameJson(from.nodes[id], addr)) upsertNodes[id] = addr;
  const removeNodes = Object.keys(from.nodes).filter((id) => !(id in to.nodes));
  return {
    fromVersion: from.version,
    version: to.version,
    upsertPorts,
    removePorts,
    upsertNodes,
    removeNodes,
  };
}

export function isEmptyDelta(delta: EndpointDelta): boolean {
  return (
    delta.upsertPorts.length === 0 &&
    delta.removePorts.length === 0 &&
    Object.keys(delta.upsertNodes).length === 0 &&
    delta.removeNodes.length === 0
  );
}

/** The table a delta makes of `table`. Pure: `table` is not changed. */
export function applyEndpointDelta(table: EndpointTable, delta: EndpointDelta): EndpointTable {
  const ports = new Map(table.ports.map((p) => [portKey(p), p]));
  for (const key of delta.removePorts) ports.delete(key);
  for (const entry of delta.upsertPorts) ports.set(portKey(entry), entry);
  const nodes = { ...table.nodes, ...delta.upsertNodes };
  for (const id of delta.removeNodes) delete nodes[id];
  return {
    version: delta.version,
    ports: [...ports.values()].sort((a, b) => compare(portKey(a), portKey(b))),
    nodes,
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
