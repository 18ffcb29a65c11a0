// TaskSpec validation outside the container: resources, restart policy, placement (constraints,
// preferences, platforms), networks, log driver.

import { describe, expect, it } from 'vitest';
import { parseConstraint, validateServiceSpec } from '../../../src/api/index.js';
import { expectRejected, minimalService, withField } from './helpers.js';

const T = 'taskTemplate';
const P = `spec.${T}`;

function withTask(fields: Record<string, unknown>): Record<string, unknown> {
  return withField(minimalService(), T, { containerSpec: { image: 'nginx' }, ...fields });
}

describe('TaskSpec validation', () => {
  it('accepts resources, restart policy, placement, networks and a log driver', () => {
    const task = {
      containerSpec: { image: 'nginx' },
      resources: {
        limits: { nanoCpus: 500_000_000, memoryBytes: 256 * 1024 * 1024, pids: 100 },
        reservations: {
          nanoCpus: 250_000_000,
          memoryBytes: 128 * 1024 * 1024,
          genericResources: [
            { discreteResourceSpec: { kind: 'gpu', value: 2 } },
            { namedResourceSpec: { kind: 'fpga', value: 'fpga-1' } },
          ],
        },
      },
      restartPolicy: {
        condition: 'on-failure',
        delay: 1_000_000_000,
        maxAttempts: 3,
        window: 60_000_000_000,
      },
      placement: {
        constraints: ['node.labels.zone == eu-1', 'engine.labels.ssd!=false', 'node.hostname!=db-*'],
        preferences: [{ spread: { spreadDescriptor: 'node.labels.datacenter' } }],
        maxReplicas: 2,
        platforms: [{ architecture: 'amd64', os: 'linux' }],
      },
      networks: [
        { target: 'backend', aliases: ['api'] },
        { target: 'frontend', driverOpts: { mtu: '1400' } },
      ],
      logDriver: { name: 'json-file', options: { 'max-size': '10m' } },
      forceUpdate: 4,
    };
    expect(validateServiceSpec(withField(minimalService(), T, task)).taskTemplate).toEqual(task);
  });

  const rejections: Array<[string, Record<string, unknown>, string, string]> = [
    ['resources that are a number', { resources: 1 }, `${P}.resources`, 'must be an object'],
    [
      'a CPU limit under 0.001 CPU',
      { resources: { limits: { nanoCpus: 999_999 } } },
      `${P}.resources.limits.nanoCpus`,
      'must be 0 or at least 1000000 (0.001 CPU)',
    ],
    [
      'a memory reservation under 4 MiB',
      { resources: { reservations: { memoryBytes: 1024 } } },
      `${P}.resources.reservations.memoryBytes`,
      'must be 0 or at least 4194304 (4 MiB)',
    ],
    [
      'a fractional memory limit',
      { resources: { limits: { memoryBytes: 5e6 + 0.5 } } },
      `${P}.resources.limits.memoryBytes`,
      'must be an integer',
    ],
    [
      'negative pids',
      { resources: { limits: { pids: -1 } } },
      `${P}.resources.limits.pids`,
      'must be at least 0',
    ],
    [
      'generic resources in limits',
      { resources: { limits: { genericResources: [] } } },
      `${P}.resources.limits.genericResources`,
      'unknown field',
    ],
    [
      'a generic resource of both kinds',
      {
        resources: {
          reservations: {
            genericResources: [
              { namedResourceSpec: { kind: 'a', value: 'b' }, discreteResourceSpec: { kind: 'a', value: 1 } },
            ],
          },
        },
      },
      `${P}.resources.reservations.genericResources[0]`,
      'must have exactly one of namedResourceSpec, discreteResourceSpec',
    ],
    [
      'a memory reservation above the limit',
      { resources: { limits: { memoryBytes: 8 << 20 }, reservations: { memoryBytes: 16 << 20 } } },
      `${P}.resources.reservations.memoryBytes`,
      'must not exceed limits.memoryBytes (8388608)',
    ],
    [
      'an unknown restart condition',
      { restartPolicy: { condition: 'always' } },
      `${P}.restartPolicy.condition`,
      'must be one of none, on-failure, any',
    ],
    [
      'a negative restart delay',
      { restartPolicy: { delay: -1 } },
      `${P}.restartPolicy.delay`,
      'must be a non-negative integer (nanoseconds)',
    ],
    [
      'negative max attempts',
      { restartPolicy: { maxAttempts: -1 } },
      `${P}.restartPolicy.maxAttempts`,
      'must be at least 0',
    ],
    [
      'a constraint without an operator',
      { placement: { constraints: ['node.role'] } },
      `${P}.placement.constraints[0]`,
      'must be <key>==<value> or <key>!=<value>',
    ],
    [
      'a constraint with an unknown key',
      { placement: { constraints: ['node.label.zone==eu'] } },
      `${P}.placement.constraints[0]`,
      'unknown key "node.label.zone" (known: node.id, node.hostname, node.ip, node.role, node.platform.os, node.platform.arch, node.labels.<label>, engine.labels.<label>)',
    ],
    [
      'a constraint with a single =',
      { placement: { constraints: ['node.role=manager'] } },
      `${P}.placement.constraints[0]`,
      'must be <key>==<value> or <key>!=<value>',
    ],
    [
      'a constraint on an unknown role',
      { placement: { constraints: ['node.role==leader'] } },
      `${P}.placement.constraints[0]`,
      'node.role must be compared with manager or worker',
    ],
    [
      'a constraint with an operator character in its value',
      { placement: { constraints: ['node.labels.a==b<c'] } },
      `${P}.placement.constraints[0]`,
      'value "b<c" is invalid',
    ],
    [
      'a constraint with an empty value',
      { placement: { constraints: ['node.labels.a=='] } },
      `${P}.placement.constraints[0]`,
      'value "" is invalid',
    ],
    [
      'a spread over the hostname',
      { placement: { preferences: [{ spread: { spreadDescriptor: 'node.hostname' } }] } },
      `${P}.placement.preferences[0].spread.spreadDescriptor`,
      'must be node.labels.<label> or engine.labels.<label>',
    ],
    [
      'a preference other than spread',
      { placement: { preferences: [{ pack: {} }] } },
      `${P}.placement.preferences[0].pack`,
      'unknown field',
    ],
    [
      'negative max replicas',
      { placement: { maxReplicas: -1 } },
      `${P}.placement.maxReplicas`,
      'must be at least 0',
    ],
    ['a network without a target', { networks: [{ aliases: ['x'] }] }, `${P}.networks[0].target`, 'required'],
    [
      'a network listed twice',
      { networks: [{ target: 'a' }, { target: 'a' }] },
      `${P}.networks[1].target`,
      'duplicate network a',
    ],
    ['a log driver without a name', { logDriver: { options: {} } }, `${P}.logDriver.name`, 'required'],
    [
      'log options that are not strings',
      { logDriver: { name: 'json-file', options: { 'max-file': 3 } } },
      `${P}.logDriver.options["max-file"]`,
      'must be a string',
    ],
    ['a negative force-update counter', { forceUpdate: -1 }, `${P}.forceUpdate`, 'must be at least 0'],
  ];

  it.each(rejections)('refuses %s', (_what, fields, path, rule) => {
    expectRejected(() => validateServiceSpec(withTask(fields)), path, rule);
  });
});

describe('parseConstraint', () => {
  it('splits key, operator and value, trimming spaces, as SwarmKit does', () => {
    expect(parseConstraint('node.role == worker')).toEqual({
      field: 'node.role',
      operator: '==',
      value: 'worker',
    });
    expect(parseConstraint('node.labels.Zone!=eu-1')).toEqual({
      field: 'node.labels',
      label: 'Zone',
      operator: '!=',
      value: 'eu-1',
    });
    expect(parseConstraint('engine.labels.storage==ssd')).toMatchObject({
      field: 'engine.labels',
      label: 'storage',
    });
    expect(parseConstraint('NODE.PLATFORM.OS==Linux')).toEqual({
      field: 'node.platform.os',
      operator: '==',
      value: 'Linux',
    });
  });

  it('accepts node ids, hostnames, architectures and node addresses or networks', () => {
    for (const expression of [
      'node.id==2ipi0jzubp5egeon9ilq2mnxi',
      'node.hostname!=db.example.com',
      'node.platform.arch==x86_64',
      'node.ip==10.0.0.5',
      'node.ip!=10.0.0.0/24',
      'node.ip==2001:db8::/32',
      'node.role==Manager',
    ]) {
      expect(() => parseConstraint(expression)).not.toThrow();
    }
  });

  it('refuses a node address that is neither an address nor a network', () => {
    expectRejected(
      () => parseConstraint('node.ip==10.0.0.0/33', 'c'),
      'c',
      'node.ip must be compared with an IP address or a CIDR network',
    );
  });

  it('refuses a key with characters SwarmKit does not allow', () => {
    expectRejected(() => parseConstraint('node labels.a==b', 'c'), 'c', 'key "node labels.a" is invalid');
  });
});
