// The endpoint table as a pure function of (services, tasks, nodes): which ports, which tasks are
// in rotation (RUNNING, desired RUNNING, node not down), draining deadlines, labels, and deltas.

import { describe, expect, it } from 'vitest';
import { SECOND } from '../../../src/api/index.js';
import {
  applyEndpointDelta,
  computeEndpointTable,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_UDP_IDLE_TIMEOUT_MS,
  diffEndpointTables,
  isEmptyDelta,
  MESH_LABELS,
  parseDurationMs,
  type EndpointTable,
} from '../../../src/mesh/index.js';
import { makeNode, makeService, makeTask } from './fixtures.js';

const OPTS = { tunnelPort: 7947, version: 5 };
const nodes = [makeNode('n1', '10.0.0.1'), makeNode('n2', '10.0.0.2'), makeNode('n3', '10.0.0.3', 'down')];

describe('computeEndpointTable', () => {
  it('lists each ingress port with the running tasks of its service, in rotation', () => {
    const service = makeService('s1', [
      { targetPort: 80, publishedPort: 8080 },
      { targetPort: 53, publishedPort: 5353, protocol: 'udp' },
    ]);
    const tasks = [makeTask('t2', 's1', 'n2'), makeTask('t1', 's1', 'n1')];
    const table = computeEndpointTable([service], tasks, nodes, OPTS);
    expect(table.version).toBe(5);
    expect(table.ports.map((p) => `${p.protocol}/${p.publishedPort}`)).toEqual(['tcp/8080', 'udp/5353']);
    const tcp = table.ports[0]!;
    expect(tcp).toMatchObject({
      serviceId: 's1',
      serviceName: 'svc-s1',
      balance: 'round-robin',
      proxyProtocol: 'off',
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    });
    expect(tcp.backends).toEqual([
      { taskId: 't1', nodeId: 'n1', targetPort: 80, ready: true },
      { taskId: 't2', nodeId: 'n2', targetPort: 80, ready: true },
    ]);
    expect(table.ports[1]!.idleTimeoutMs).toBe(DEFAULT_UDP_IDLE_TIMEOUT_MS);
    expect(table.ports[1]!.backends.map((b) => b.targetPort)).toEqual([53, 53]);
    // Every node that is up, with the tunnel port; the down one is left out.
    expect(table.nodes).toEqual({
      n1: { host: '10.0.0.1', port: 7947 },
      n2: { host: '10.0.0.2', port: 7947 },
    });
  });

  it('lists a manager without a session (no executor) while Raft hears from it, at its Raft host', () => {
    const manager = (id: string, reachability: 'reachable' | 'unreachable', addr = '') => ({
      ...makeNode(id, addr, 'down'),
      managerStatus: { reachability, addr: `10.0.1.${id.slice(1)}:4242` },
    });
    const table = computeEndpointTable(
      [],
      [],
      [
        ...nodes,
        manager('m1', 'reachable'),
        manager('m2', 'unreachable'),
        manager('m3', 'reachable', '10.0.2.3'),
      ],
      OPTS,
    );
    expect(table.nodes).toEqual({
      m1: { host: '10.0.1.1', port: 7947 },
      m3: { host: '10.0.2.3', port: 7947 },
      n1: { host: '10.0.0.1', port: 7947 },
      n2: { host: '10.0.0.2', port: 7947 },
    });
  });

  it('leaves out tasks that are not RUNNING and tasks on down or disconnected nodes', () => {
    const service = makeService('s1', [{ targetPort: 80, publishedPort: 8080 }]);
    const tasks = [
      makeTask('starting', 's1', 'n1', 'starting'),
      makeTask('failed', 's1', 'n1', 'failed', 'shutdown'),
      makeTask('complete', 's1', 'n1', 'complete'),
      makeTask('on-down-node', 's1', 'n3'),
      makeTask('on-unknown-node', 's1', 'n9'),
      makeTask('ok', 's1', 'n2'),
    ];
    const withDisconnected = [...nodes, makeNode('n4', '10.0.0.4', 'disconnected')];
    tasks.push(makeTask('on-disconnected', 's1', 'n4'));
    const table = computeEndpointTable([service], tasks, withDisconnected, OPTS);
    expect(table.ports[0]!.backends.map((b) => b.taskId)).toEqual(['ok']);
  });

  it('marks a task asked to stop as draining until its stop request plus its grace period', () => {
    const service = makeService('s1', [{ targetPort: 80, publishedPort: 8080 }]);
    const stopAt = '2026-03-01T10:00:00.000Z';
    const tasks = [
      makeTask('custom', 's1', 'n1', 'running', 'shutdown', {
        updatedAt: stopAt,
        stopGracePeriodNs: 30 * SECOND,
      }),
      makeTask('default', 's1', 'n1', 'running', 'shutdown', { updatedAt: stopAt }),
    ];
    const [custom, dflt] = computeEndpointTable([service], tasks, nodes, OPTS).ports[0]!.backends;
    expect(custom).toEqual({
      taskId: 'custom',
      nodeId: 'n1',
      targetPort: 80,
      ready: false,
      drainingUntil: Date.parse(stopAt) + 30_000,
    });
    expect(dflt?.drainingUntil).toBe(Date.parse(stopAt) + 10_000);
  });

  it('serves only ingress TCP/UDP ports that have a published port, preferring the allocated ones', () => {
    const service = makeService('s1', [
      { targetPort: 80, publishedPort: 8080, publishMode: 'host' },
      { targetPort: 81, publishedPort: 8081, protocol: 'sctp' },
      { targetPort: 82 },
      { targetPort: 83, publishedPort: 8083 },
    ]);
    expect(computeEndpointTable([service], [], nodes, OPTS).ports.map((p) => p.publishedPort)).toEqual([
      8083,
    ]);
    service.endpoint = {
      spec: service.spec.endpointSpec!,
      ports: [{ targetPort: 82, publishedPort: 30001, protocol: 'tcp', publishMode: 'ingress' }],
      virtualIps: [],
    };
    expect(computeEndpointTable([service], [], nodes, OPTS).ports.map((p) => p.publishedPort)).toEqual([
      30001,
    ]);
  });

  it('reads balance, PROXY protocol and idle timeout from service labels, ignoring unreadable values', () => {
    const labelled = makeService('s1', [{ targetPort: 80, publishedPort: 8080 }], {
      [MESH_LABELS.balance]: 'least-conn',
      [MESH_LABELS.proxyProtocol]: 'v2',
      [MESH_LABELS.idleTimeout]: '5m',
    });
    const odd = makeService('s2', [{ targetPort: 80, publishedPort: 8081 }], {
      [MESH_LABELS.balance]: 'random',
      [MESH_LABELS.proxyProtocol]: 'v3',
      [MESH_LABELS.idleTimeout]: 'soon',
    });
    const [a, b] = computeEndpointTable([labelled, odd], [], nodes, OPTS).ports;
    expect(a).toMatchObject({ balance: 'least-conn', proxyProtocol: 'v2', idleTimeoutMs: 300_000 });
    expect(b).toMatchObject({
      balance: 'round-robin',
      proxyProtocol: 'off',
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    });
  });

  it('gives a published port claimed twice to the service with the lower id, deterministically', () => {
    const first = makeService('aaa', [{ targetPort: 80, publishedPort: 8080 }]);
    const second = makeService('bbb', [{ targetPort: 81, publishedPort: 8080 }]);
    const t1 = computeEndpointTable([second, first], [], nodes, OPTS);
    const t2 = computeEndpointTable([first, second], [], nodes, OPTS);
    expect(t1).toEqual(t2);
    expect(t1.ports.map((p) => p.serviceId)).toEqual(['aaa']);
  });
});

describe('parseDurationMs', () => {
  it('reads Go-style durations in ms, s, m, h and their sums', () => {
    expect(parseDurationMs('1500ms')).toBe(1500);
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(parseDurationMs('0')).toBe(0);
    expect(parseDurationMs('0.5s')).toBe(500);
    expect(parseDurationMs('10')).toBeNull();
    expect(parseDurationMs('s')).toBeNull();
    expect(parseDurationMs('5 m')).toBeNull();
  });
});

describe('endpoint table deltas', () => {
  const service = makeService('s1', [{ targetPort: 80, publishedPort: 8080 }]);
  const other = makeService('s2', [{ targetPort: 80, publishedPort: 9090 }]);
  const before = computeEndpointTable([service, other], [makeTask('t1', 's1', 'n1')], nodes, {
    tunnelPort: 7947,
    version: 1,
  });

  it('carries only the ports that changed, and rebuilds the same table', () => {
    const after = computeEndpointTable(
      [service],
      [makeTask('t1', 's1', 'n1'), makeTask('t2', 's1', 'n2')],
      [makeNode('n1', '10.0.0.1'), makeNode('n2', '10.0.0.22')],
      { tunnelPort: 7947, version: 2 },
    );
    const delta = diffEndpointTables(before, after);
    expect(delta.upsertPorts.map((p) => p.publishedPort)).toEqual([8080]);
    expect(delta.removePorts).toEqual(['tcp/9090']);
    expect(delta.upsertNodes).toEqual({ n2: { host: '10.0.0.22', port: 7947 } });
    expect(delta.removeNodes).toEqual([]);
    expect(applyEndpointDelta(before, delta)).toEqual(after);
  });

  it('is empty between equal tables', () => {
    const same: EndpointTable = JSON.parse(JSON.stringify(before)) as EndpointTable;
    expect(isEmptyDelta(diffEndpointTables(before, same))).toBe(true);
  });
});
