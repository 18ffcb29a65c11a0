// Published ports cluster-wide as pure functions: the conflict check the control API runs at
// create and update time, and the allocation of endpoints (automatic ports included).

import { describe, expect, it } from 'vitest';
import { ValidationError, type Endpoint, type PortConfig, type Service } from '../../../../src/api/index.js';
import {
  allocateEndpoints,
  checkPortConflicts,
  isEndpointCurrent,
} from '../../../../src/manager/allocator/index.js';
import type { DeepReadonly } from '../../../../src/manager/store/index.js';

let clock = 0;
function service(
  id: string,
  ports: PortConfig[] | undefined,
  endpoint?: Endpoint,
  createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)).toISOString(),
): DeepReadonly<Service> {
  const svc: Service = {
    id,
    meta: { version: { index: 1 }, createdAt, updatedAt: createdAt },
    spec: { name: id, taskTemplate: { containerSpec: { image: 'nginx' } } },
  };
  if (ports) svc.spec.endpointSpec = { ports };
  if (endpoint) svc.endpoint = endpoint;
  return svc;
}

const ingress = (
  targetPort: number,
  publishedPort?: number,
  protocol: 'tcp' | 'udp' = 'tcp',
): PortConfig => ({
  targetPort,
  protocol,
  publishMode: 'ingress',
  ...(publishedPort !== undefined ? { publishedPort } : {}),
});
const host = (targetPort: number, publishedPort: number): PortConfig => ({
  targetPort,
  publishedPort,
  publishMode: 'host',
});

function conflict(fn: () => void): { path: string; rule: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { path: err.path, rule: err.rule };
  }
}

describe('checkPortConflicts', () => {
  const web = service('web', [ingress(80, 8080)]);

  it('refuses an ingress port another service publishes, naming the field and the service', () => {
    expect(
      conflict(() => checkPortConflicts({ ports: [ingress(81, 9000), ingress(80, 8080)] }, undefined, [web])),
    ).toEqual({
      path: 'spec.endpointSpec.ports[1].publishedPort',
      rule: 'port 8080/tcp is already published by service web',
    });
  });

  it('allows the same number on another protocol, and the service’s own ports on update', () => {
    expect(
      conflict(() => checkPortConflicts({ ports: [ingress(80, 8080, 'udp')] }, undefined, [web])),
    ).toBeUndefined();
    expect(conflict(() => checkPortConflicts({ ports: [ingress(80, 8080)] }, 'web', [web]))).toBeUndefined();
  });

  it('counts ports the allocator chose automatically', () => {
    const auto = service('auto', [ingress(80)], {
      spec: { ports: [ingress(80)] },
      ports: [ingress(80, 30000)],
      virtualIps: [],
    });
    expect(conflict(() => checkPortConflicts({ ports: [ingress(80, 30000)] }, undefined, [auto]))?.rule).toBe(
      'port 30000/tcp is already published by service auto',
    );
  });

  it('lets host-mode ports share a number, but not with an ingress port either way', () => {
    const hosted = service('hosted', [host(80, 9090)]);
    expect(
      conflict(() => checkPortConflicts({ ports: [host(80, 9090)] }, undefined, [hosted])),
    ).toBeUndefined();
    expect(
      conflict(() => checkPortConflicts({ ports: [ingress(80, 9090)] }, undefined, [hosted]))?.rule,
    ).toBe('port 9090/tcp is already published by service hosted in host mode');
    expect(conflict(() => checkPortConflicts({ ports: [host(80, 8080)] }, undefined, [web]))?.rule).toBe(
      'port 8080/tcp is already published by service web in ingress mode (on every node)',
    );
  });

  it('has nothing to check for ports without a published port', () => {
    expect(conflict(() => checkPortConflicts({ ports: [ingress(80)] }, undefined, [web]))).toBeUndefined();
    expect(conflict(() => checkPortConflicts(undefined, undefined, [web]))).toBeUndefined();
  });
});

describe('allocateEndpoints', () => {
  it('fills in the lowest free port from 30000 for ingress ports without one, per protocol', () => {
    const plan = allocateEndpoints([
      service('a', [ingress(80), ingress(53, undefined, 'udp')]),
      service('b', [ingress(80), ingress(443, 30001)]),
    ]);
    const ports = Object.fromEntries(
      plan.updates.map((u) => [u.service.id, u.endpoint.ports.map((p) => p.publishedPort)]),
    );
    expect(ports).toEqual({ a: [30000, 30000], b: [30002, 30001] });
    expect(plan.failures).toEqual([]);
    expect([...plan.allocated].sort()).toEqual(['a', 'b']);
  });

  it('records the spec, every port with its defaults, and no virtual IPs', () => {
    const plan = allocateEndpoints([service('a', [{ targetPort: 80 }, host(22, 2222)])]);
    expect(plan.updates[0]!.endpoint).toEqual({
      spec: { ports: [{ targetPort: 80 }, host(22, 2222)] },
      ports: [
        { targetPort: 80, protocol: 'tcp', publishMode: 'ingress', publishedPort: 30000 },
        { targetPort: 22, protocol: 'tcp', publishMode: 'host', publishedPort: 2222 },
      ],
      virtualIps: [],
    });
  });

  it('gives services without published ports an empty endpoint', () => {
    const plan = allocateEndpoints([service('plain', undefined)]);
    expect(plan.updates[0]!.endpoint).toEqual({ spec: {}, ports: [], virtualIps: [] });
  });

  it('leaves current endpoints alone and allocates around their ports', () => {
    const a = service('a', [ingress(80)], {
      spec: { ports: [ingress(80)] },
      ports: [ingress(80, 30000)],
      virtualIps: [],
    });
    expect(isEndpointCurrent(a)).toBe(true);
    const plan = allocateEndpoints([a, service('b', [ingress(80)])]);
    expect(plan.updates.map((u) => [u.service.id, u.endpoint.ports[0]!.publishedPort])).toEqual([
      ['b', 30001],
    ]);
    expect(plan.allocated.has('a')).toBe(true);
  });

  it('frees the ports of a removed service or of a port no longer published', () => {
    const a = service('a', [ingress(80)], {
      spec: { ports: [ingress(80)] },
      ports: [ingress(80, 30000)],
      virtualIps: [],
    });
    // Removed: a is simply not among the services any more.
    expect(
      allocateEndpoints([service('c', [ingress(80)])]).updates[0]!.endpoint.ports[0]!.publishedPort,
    ).toBe(30000);
    // Changed: a now publishes 8080 explicitly, so 30000 is free for c.
    const changed = { ...a, spec: { ...a.spec, endpointSpec: { ports: [ingress(80, 8080)] } } };
    const plan = allocateEndpoints([changed, service('c', [ingress(80)])]);
    expect(
      Object.fromEntries(plan.updates.map((u) => [u.service.id, u.endpoint.ports[0]!.publishedPort])),
    ).toEqual({
      a: 8080,
      c: 30000,
    });
  });

  it('keeps a port’s automatic number when the service’s endpoint spec changes elsewhere', () => {
    const a = service('a', [ingress(80), ingress(443)], {
      spec: { ports: [ingress(80), ingress(443)] },
      ports: [ingress(80, 30005), ingress(443, 30006)],
      virtualIps: [],
    });
    const changed = { ...a, spec: { ...a.spec, endpointSpec: { ports: [ingress(443), ingress(9000)] } } };
    const plan = allocateEndpoints([changed]);
    expect(plan.updates[0]!.endpoint.ports.map((p) => p.publishedPort)).toEqual([30006, 30000]);
  });

  it('never gives an automatic port that another service asks for explicitly', () => {
    const plan = allocateEndpoints([
      service('auto', [ingress(80)]),
      service('explicit', [ingress(80, 30000)]),
    ]);
    expect(
      Object.fromEntries(plan.updates.map((u) => [u.service.id, u.endpoint.ports[0]!.publishedPort])),
    ).toEqual({
      auto: 30001,
      explicit: 30000,
    });
  });

  it('lets the older of two services asking for the same port have it, and says why the other waits', () => {
    const older = service('older', [ingress(80, 8080)]);
    const younger = service('younger', [ingress(80, 8080)]);
    const plan = allocateEndpoints([younger, older]);
    expect(plan.updates.map((u) => u.service.id)).toEqual(['older']);
    expect(plan.failures.map((f) => [f.service.id, f.reason])).toEqual([
      ['younger', 'port 8080/tcp is already published by service older'],
    ]);
    expect(plan.allocated.has('younger')).toBe(false);
  });

  it('reports an exhausted range', () => {
    const many = Array.from({ length: 2768 }, (_, i) => ingress(i + 1));
    const plan = allocateEndpoints([service('greedy', many), service('late', [ingress(80)])]);
    expect(plan.updates.map((u) => u.service.id)).toEqual(['greedy']);
    expect(plan.failures[0]).toMatchObject({ reason: 'no free port in 30000-32767 for tcp' });
  });

  it('decides the same whatever order the services come in', () => {
    const services = [
      service('s1', [ingress(80)]),
      service('s2', [ingress(80), ingress(81, 30002)]),
      service('s3', [ingress(80, undefined, 'udp')]),
    ];
    const summary = (plan: ReturnType<typeof allocateEndpoints>): string[] =>
      plan.updates
        .map((u) => `${u.service.id}:${u.endpoint.ports.map((p) => p.publishedPort).join(',')}`)
        .sort();
    expect(summary(allocateEndpoints([...services].reverse()))).toEqual(summary(allocateEndpoints(services)));
  });
});
