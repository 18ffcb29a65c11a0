// Published ports cluster-wide, as pure functions over the services in the store. Ingress-mode
// ports are published on every node by the routing mesh, so one port/protocol belongs to one
// service; a port left out is picked from Docker's dynamic range 30000–32767 (lowest free).
// Host-mode ports are per node and are the scheduler's business, except that they cannot share
// a port with an ingress one (SwarmKit's controlapi checkPortConflicts).

import {
  ValidationError,
  type Endpoint,
  type EndpointSpec,
  type PortConfig,
  type Service,
} from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';

export const DYNAMIC_PORT_START = 30000;
export const DYNAMIC_PORT_END = 32767;

type StoredService = DeepReadonly<Service>;
type Port = DeepReadonly<PortConfig>;

/** The fields of a service the port checks read. */
export interface PublishingService {
  readonly id: string;
  readonly spec: { readonly name: string; readonly endpointSpec?: DeepReadonly<EndpointSpec> };
  readonly endpoint?: DeepReadonly<Endpoint>;
}

/** `8080/tcp`. */
export function portKey(publishedPort: number, protocol: string | undefined): string {
  return `${publishedPort}/${protocol ?? 'tcp'}`;
}

function modeOf(port: Port): 'ingress' | 'host' {
  return port.publishMode ?? 'ingress';
}

// ---- validation at create / update time --------------------------------------------------

/**
 * Throws ValidationError if a port the spec publishes is taken by another service: an ingress
 * port by any published port of another service in ingress mode, or by a host-mode one; a
 * host-mode port by another service's ingress port. Both the other services' specs and their
 * allocated endpoints count (an automatic port is as taken as an explicit one). `serviceId` is
 * the service being updated (its own ports are no conflict); undefined for a create.
 */
export function checkPortConflicts(
  endpointSpec: DeepReadonly<EndpointSpec> | undefined,
  serviceId: string | undefined,
  services: Iterable<PublishingService>,
  path = 'spec.endpointSpec',
): void {
  const ports = endpointSpec?.ports ?? [];
  if (!ports.some((p) => p.publishedPort !== undefined && p.publishedPort > 0)) return;
  // Who publishes what: an ingress publisher wins over a host-mode one (it conflicts with more).
  const taken = new Map<string, { name: string; mode: 'ingress' | 'host' }>();
  for (const service of services) {
    if (service.id === serviceId) continue;
    for (const port of [...(service.spec.endpointSpec?.ports ?? []), ...(service.endpoint?.ports ?? [])]) {
      if (port.publishedPort === undefined || port.publishedPort <= 0) continue;
      const key = portKey(port.publishedPort, port.protocol);
      const mode = modeOf(port);
      const known = taken.get(key);
      if (!known || (known.mode === 'host' && mode === 'ingress'))
        taken.set(key, { name: service.spec.name, mode });
    }
  }
  ports.forEach((port, i) => {
    if (port.publishedPort === undefined || port.publishedPort <= 0) return;
    const key = portKey(port.publishedPort, port.protocol);
    const other = taken.get(key);
    if (!other) return;
    const mode = modeOf(port);
    if (mode === 'host' && other.mode === 'host') return; // the scheduler keeps them on different nodes
    const at = `${path}.ports[${i}].publishedPort`;
    if (mode === 'ingress' && other.mode === 'ingress')
      throw new ValidationError(at, `port ${key} is already published by service ${other.name}`);
    if (mode === 'ingress')
      throw new ValidationError(at, `port ${key} is already published by service ${other.name} in host mode`);
    throw new ValidationError(
      at,
      `port ${key} is already published by service ${other.name} in ingress mode (on every node)`,
    );
  });
}

// ---- allocation ----------------------------------------------------------------------------

export interface EndpointAllocation<S extends StoredService = StoredService> {
  /** Services whose endpoint must be written (new, or its spec changed), with the endpoint. */
  updates: Array<{ service: S; endpoint: Endpoint }>;
  /** Services that cannot be allocated now, and why; their tasks wait. */
  failures: Array<{ service: S; reason: string }>;
  /** Services whose endpoint is current once the updates are written. */
  allocated: Set<string>;
}

/**
 * Decides every service's endpoint from the store's services alone, so any manager computes the
 * same. Endpoints already current keep their ports; the others are allocated oldest service
 * first: their explicit ports before anyone's automatic ones (an automatic port never takes a
 * port another service asked for), then automatic ports, reusing the one a port had before when
 * it is still free. Ports of removed services, or that a service no longer publishes, are simply
 * not claimed any more: they are free.
 */
export function allocateEndpoints<S extends StoredService>(services: readonly S[]): EndpointAllocation<S> {
  const result: EndpointAllocation<S> = { updates: [], failures: [], allocated: new Set() };
  const claims = new Map<string, string>(); // port key → service name
  // Claims only grow while allocating (except when a failed service gives its back), so the
  // lowest free port of a protocol only moves up: scanning resumes where it stopped.
  const scanFrom = new Map<string, number>();
  const lowestFree = (protocol: string): number | undefined => {
    for (let port = scanFrom.get(protocol) ?? DYNAMIC_PORT_START; port <= DYNAMIC_PORT_END; port++)
      if (!claims.has(portKey(port, protocol))) {
        scanFrom.set(protocol, port);
        return port;
      }
    scanFrom.set(protocol, DYNAMIC_PORT_END + 1);
    return undefined;
  };
  const claimAll = (service: S, keys: readonly string[]): string | undefined => {
    for (const key of keys) {
      const owner = claims.get(key);
      if (owner !== undefined) return `port ${key} is already published by service ${owner}`;
    }
    for (const key of keys) claims.set(key, service.spec.name);
    return undefined;
  };

  const toAllocate: S[] = [];
  for (const service of [...services].sort(byId)) {
    if (isEndpointCurrent(service) && claimAll(service, ingressKeys(service.endpoint!.ports)) === undefined)
      result.allocated.add(service.id);
    else toAllocate.push(service);
  }
  toAllocate.sort(byAge);

  const explicitOk: S[] = [];
  for (const service of toAllocate) {
    const conflict = claimAll(service, ingressKeys(service.spec.endpointSpec?.ports ?? []));
    if (conflict === undefined) explicitOk.push(service);
    else result.failures.push({ service, reason: conflict });
  }

  for (const service of explicitOk) {
    const ports: PortConfig[] = [];
    let failure: string | undefined;
    for (const port of service.spec.endpointSpec?.ports ?? []) {
      const filled = withDefaults(port);
      if (
        filled.publishMode === 'ingress' &&
        (filled.publishedPort === undefined || filled.publishedPort <= 0)
      ) {
        const chosen = previousDynamicPort(service, filled, claims) ?? lowestFree(filled.protocol ?? 'tcp');
        if (chosen === undefined) {
          failure = `no free port in ${DYNAMIC_PORT_START}-${DYNAMIC_PORT_END} for ${filled.protocol ?? 'tcp'}`;
          break;
        }
        filled.publishedPort = chosen;
        claims.set(portKey(chosen, filled.protocol), service.spec.name);
      }
      ports.push(filled);
    }
    if (failure !== undefined) {
      // Give back what it claimed, so the ports are free for the others next time round.
      for (const [key, owner] of [...claims]) if (owner === service.spec.name) claims.delete(key);
      scanFrom.clear();
      result.failures.push({ service, reason: failure });
      continue;
    }
    const endpoint: Endpoint = {
      spec: copy<EndpointSpec>(service.spec.endpointSpec ?? {}),
      ports,
      virtualIps: copy<Endpoint['virtualIps']>(service.endpoint?.virtualIps ?? []),
    };
    result.updates.push({ service, endpoint });
    result.allocated.add(service.id);
  }
  return result;
}

/** Whether the service's endpoint was allocated for its current endpoint spec. */
export function isEndpointCurrent(service: StoredService): boolean {
  const endpoint = service.endpoint;
  if (endpoint === undefined) return false;
  if (canonicalSpec(endpoint.spec) !== canonicalSpec(service.spec.endpointSpec)) return false;
  return endpoint.ports.every(
    (p) => modeOf(p) !== 'ingress' || (p.publishedPort !== undefined && p.publishedPort > 0),
  );
}

/** Two endpoint specs that differ only by defaults left out are the same. */
function canonicalSpec(spec: DeepReadonly<EndpointSpec> | undefined): string {
  return JSON.stringify([
    spec?.mode ?? 'vip',
    (spec?.ports ?? []).map((p) => [
      p.name ?? '',
      p.protocol ?? 'tcp',
      p.targetPort,
      p.publishedPort ?? 0,
      modeOf(p),
    ]),
  ]);
}

function ingressKeys(ports: readonly Port[]): string[] {
  const keys: string[] = [];
  for (const port of ports)
    if (modeOf(port) === 'ingress' && port.publishedPort !== undefined && port.publishedPort > 0)
      keys.push(portKey(port.publishedPort, port.protocol));
  return keys;
}

function withDefaults(port: Port): PortConfig {
  const filled: PortConfig = {
    protocol: port.protocol ?? 'tcp',
    targetPort: port.targetPort,
    publishMode: modeOf(port),
  };
  if (port.name !== undefined) filled.name = port.name;
  if (port.publishedPort !== undefined && port.publishedPort > 0) filled.publishedPort = port.publishedPort;
  return filled;
}

/**
 * The automatic port this port had in the service's previous endpoint (same name, target and
 * protocol), if it is still free: a spec update elsewhere does not move a service's ports.
 */
function previousDynamicPort(
  service: StoredService,
  port: PortConfig,
  claims: ReadonlyMap<string, string>,
): number | undefined {
  for (const previous of service.endpoint?.ports ?? []) {
    const published = previous.publishedPort;
    if (
      published !== undefined &&
      published >= DYNAMIC_PORT_START &&
      published <= DYNAMIC_PORT_END &&
      modeOf(previous) === 'ingress' &&
      (previous.name ?? '') === (port.name ?? '') &&
      previous.targetPort === port.targetPort &&
      (previous.protocol ?? 'tcp') === port.protocol &&
      !claims.has(portKey(published, port.protocol))
    )
      return published;
  }
  return undefined;
}

function byId(a: StoredService, b: StoredService): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Oldest first (the service that asked first keeps a contested port); ties by id. */
function byAge(a: StoredService, b: StoredService): number {
  const ca = a.meta.createdAt;
  const cb = b.meta.createdAt;
  return ca < cb ? -1 : ca > cb ? 1 : byId(a, b);
}

function copy<T>(value: DeepReadonly<T>): T {
  return structuredClone(value) as T;
}
