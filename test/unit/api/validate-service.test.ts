// ServiceSpec validation: a realistic spec passes and survives JSON; the service-level fields
// (name, mode, update and rollback configs, endpoint) each refuse bad values with the field's path.

import { describe, expect, it } from 'vitest';
import { validateServiceSpec, type ServiceSpec } from '../../../src/api/index.js';
import { expectRejected, minimalService, withField } from './helpers.js';

/** `docker service create --name web --replicas 3 -p 8080:80 --constraint node.role==worker
 *  --update-parallelism 2 nginx`, as the Docker CLI would send it (camelCased). */
const dockerServiceCreate = {
  name: 'web',
  labels: {},
  taskTemplate: {
    containerSpec: {
      image: 'nginx:latest@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31',
      init: false,
      stopGracePeriod: 10_000_000_000,
      dnsConfig: {},
    },
    resources: { limits: {}, reservations: {} },
    restartPolicy: { condition: 'any', delay: 5_000_000_000, maxAttempts: 0 },
    placement: { constraints: ['node.role==worker'] },
    forceUpdate: 0,
  },
  mode: { replicated: { replicas: 3 } },
  updateConfig: {
    parallelism: 2,
    failureAction: 'pause',
    monitor: 5_000_000_000,
    maxFailureRatio: 0,
    order: 'stop-first',
  },
  rollbackConfig: {
    parallelism: 1,
    failureAction: 'pause',
    monitor: 5_000_000_000,
    maxFailureRatio: 0,
    order: 'stop-first',
  },
  endpointSpec: {
    mode: 'vip',
    ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }],
  },
};

describe('validateServiceSpec', () => {
  it('accepts what `docker service create` sends and returns the same spec', () => {
    const spec = validateServiceSpec(dockerServiceCreate);
    expect(spec).toEqual(dockerServiceCreate);
    expect(spec.mode).toEqual({ replicated: { replicas: 3 } });
  });

  it('returns a spec that survives a JSON round trip and validates again unchanged', () => {
    const spec = validateServiceSpec(dockerServiceCreate);
    const again = validateServiceSpec(JSON.parse(JSON.stringify(spec)));
    expect(again).toEqual(spec);
    expect(JSON.stringify(again)).toBe(JSON.stringify(spec));
  });

  it('returns a fresh object that shares nothing with the input', () => {
    const input = structuredClone(dockerServiceCreate);
    const spec = validateServiceSpec(input);
    input.taskTemplate.placement.constraints.push('node.role==manager');
    input.endpointSpec.ports[0]!.publishedPort = 9090;
    expect(spec.taskTemplate.placement?.constraints).toEqual(['node.role==worker']);
    expect(spec.endpointSpec?.ports?.[0]?.publishedPort).toBe(8080);
  });

  it('drops null fields, which Docker (Go) reads as absent', () => {
    const spec = validateServiceSpec({ ...minimalService(), labels: null, mode: null });
    expect(spec).toEqual({ name: 'web', taskTemplate: { containerSpec: { image: 'nginx' } } });
    expect(Object.keys(spec)).toEqual(['name', 'taskTemplate']);
  });

  it('accepts every mode, with or without its counts', () => {
    const modes: ServiceSpec['mode'][] = [
      { replicated: {} },
      { replicated: { replicas: 0 } },
      { global: {} },
      { replicatedJob: { maxConcurrent: 2, totalCompletions: 10 } },
      { replicatedJob: {} },
      { globalJob: {} },
    ];
    for (const mode of modes) expect(validateServiceSpec({ ...minimalService(), mode }).mode).toEqual(mode);
  });

  it('accepts host-published ports with dnsrr and the same port number over tcp and udp', () => {
    const endpointSpec = {
      mode: 'dnsrr',
      ports: [
        { targetPort: 53, publishedPort: 53, protocol: 'udp', publishMode: 'host' },
        { targetPort: 53, publishedPort: 53, protocol: 'tcp', publishMode: 'host' },
        { targetPort: 9000, publishMode: 'host' },
      ],
    };
    expect(validateServiceSpec({ ...minimalService(), endpointSpec }).endpointSpec).toEqual(endpointSpec);
  });

  const rejections: Array<[string, string, unknown, string, string]> = [
    ['a missing name', 'name', undefined, 'spec.name', 'required'],
    ['an empty name', 'name', '', 'spec.name', 'must not be empty'],
    ['a name that is not a string', 'name', 42, 'spec.name', 'must be a string'],
    [
      'a name with a dot',
      'name',
      'web.1',
      'spec.name',
      'must start and end with a letter or digit and contain only letters, digits, - and _',
    ],
    [
      'a name ending in a dash',
      'name',
      'web-',
      'spec.name',
      'must start and end with a letter or digit and contain only letters, digits, - and _',
    ],
    ['a name of 64 characters', 'name', 'a'.repeat(64), 'spec.name', 'must be at most 63 characters'],
    ['labels that are not strings', 'labels.tier', 1, 'spec.labels.tier', 'must be a string'],
    ['labels that are a list', 'labels', ['a=b'], 'spec.labels', 'must be an object of strings'],
    ['a missing task template', 'taskTemplate', undefined, 'spec.taskTemplate', 'required'],
    [
      'a missing container spec',
      'taskTemplate.containerSpec',
      undefined,
      'spec.taskTemplate.containerSpec',
      'required',
    ],
    [
      'an empty mode',
      'mode',
      {},
      'spec.mode',
      'must have exactly one of replicated, global, replicatedJob, globalJob',
    ],
    [
      'two modes at once',
      'mode',
      { replicated: {}, global: {} },
      'spec.mode',
      'must have exactly one of replicated, global, replicatedJob, globalJob',
    ],
    ['an unknown mode', 'mode', { daemon: {} }, 'spec.mode.daemon', 'unknown field'],
    [
      'negative replicas',
      'mode.replicated.replicas',
      -1,
      'spec.mode.replicated.replicas',
      'must be at least 0',
    ],
    [
      'fractional replicas',
      'mode.replicated.replicas',
      1.5,
      'spec.mode.replicated.replicas',
      'must be an integer',
    ],
    [
      'replicas as a string',
      'mode.replicated.replicas',
      '3',
      'spec.mode.replicated.replicas',
      'must be an integer',
    ],
    [
      'fields inside global mode',
      'mode',
      { global: { replicas: 2 } },
      'spec.mode.global.replicas',
      'unknown field',
    ],
    [
      'a job that may never run a task',
      'mode',
      { replicatedJob: { maxConcurrent: 0 } },
      'spec.mode.replicatedJob.maxConcurrent',
      'must be at least 1',
    ],
    [
      'negative parallelism',
      'updateConfig.parallelism',
      -1,
      'spec.updateConfig.parallelism',
      'must be at least 0',
    ],
    [
      'a delay given as text',
      'updateConfig.delay',
      '10s',
      'spec.updateConfig.delay',
      'must be a non-negative integer (nanoseconds)',
    ],
    [
      'a negative monitor period',
      'updateConfig.monitor',
      -5,
      'spec.updateConfig.monitor',
      'must be a non-negative integer (nanoseconds)',
    ],
    [
      'a duration of 2^63 nanoseconds',
      'updateConfig.monitor',
      2 ** 63,
      'spec.updateConfig.monitor',
      'must be less than 2^63 nanoseconds',
    ],
    [
      'an unknown failure action',
      'updateConfig.failureAction',
      'retry',
      'spec.updateConfig.failureAction',
      'must be one of pause, continue, rollback',
    ],
    [
      'rollback as the failure action of a rollback',
      'rollbackConfig.failureAction',
      'rollback',
      'spec.rollbackConfig.failureAction',
      'must be one of pause, continue',
    ],
    [
      'a failure ratio above 1',
      'updateConfig.maxFailureRatio',
      1.5,
      'spec.updateConfig.maxFailureRatio',
      'must be between 0 and 1',
    ],
    [
      'an unknown update order',
      'updateConfig.order',
      'random',
      'spec.updateConfig.order',
      'must be one of stop-first, start-first',
    ],
    [
      'an unknown endpoint mode',
      'endpointSpec.mode',
      'lb',
      'spec.endpointSpec.mode',
      'must be one of vip, dnsrr',
    ],
    ['ports that are not a list', 'endpointSpec.ports', {}, 'spec.endpointSpec.ports', 'must be an array'],
    [
      'a port without a target',
      'endpointSpec.ports[0]',
      { publishedPort: 80 },
      'spec.endpointSpec.ports[0].targetPort',
      'required',
    ],
    [
      'a target port of 0',
      'endpointSpec.ports[0]',
      { targetPort: 0 },
      'spec.endpointSpec.ports[0].targetPort',
      'must be between 1 and 65535',
    ],
    [
      'a published port of 65536',
      'endpointSpec.ports[0]',
      { targetPort: 80, publishedPort: 65536 },
      'spec.endpointSpec.ports[0].publishedPort',
      'must be between 1 and 65535',
    ],
    [
      'an unknown protocol',
      'endpointSpec.ports[0]',
      { targetPort: 80, protocol: 'icmp' },
      'spec.endpointSpec.ports[0].protocol',
      'must be one of tcp, udp, sctp',
    ],
    [
      'an unknown publish mode',
      'endpointSpec.ports[0]',
      { targetPort: 80, publishMode: 'nodeport' },
      'spec.endpointSpec.ports[0].publishMode',
      'must be one of ingress, host',
    ],
  ];

  it.each(rejections)('refuses %s', (_what, field, value, path, rule) => {
    expectRejected(() => validateServiceSpec(withField(minimalService(), field, value)), path, rule);
  });

  it('refuses the same published port twice for one protocol', () => {
    const ports = [
      { targetPort: 80, publishedPort: 8080 },
      { targetPort: 81, publishedPort: 8080, protocol: 'udp' },
      { targetPort: 82, publishedPort: 8080, protocol: 'tcp' },
    ];
    expectRejected(
      () => validateServiceSpec({ ...minimalService(), endpointSpec: { ports } }),
      'spec.endpointSpec.ports[2].publishedPort',
      'duplicate published port 8080/tcp',
    );
  });

  it('refuses ports published through the routing mesh with dnsrr, which has no virtual IP', () => {
    expectRejected(
      () =>
        validateServiceSpec({
          ...minimalService(),
          endpointSpec: { mode: 'dnsrr', ports: [{ targetPort: 80 }] },
        }),
      'spec.endpointSpec.ports[0].publishMode',
      'must be host when the endpoint mode is dnsrr',
    );
  });

  it('refuses update and rollback configs on jobs, as SwarmKit does', () => {
    const job = { ...minimalService(), mode: { globalJob: {} } };
    expectRejected(
      () => validateServiceSpec({ ...job, updateConfig: { parallelism: 1 } }),
      'spec.updateConfig',
      'not allowed for jobs',
    );
    expectRejected(
      () => validateServiceSpec({ ...job, rollbackConfig: {} }),
      'spec.rollbackConfig',
      'not allowed for jobs',
    );
  });

  it('refuses a per-node replica limit outside replicated mode', () => {
    const spec = withField(minimalService(), 'taskTemplate.placement.maxReplicas', 2);
    expect(validateServiceSpec(spec).taskTemplate.placement?.maxReplicas).toBe(2);
    expectRejected(
      () => validateServiceSpec({ ...spec, mode: { global: {} } }),
      'spec.taskTemplate.placement.maxReplicas',
      'only allowed in replicated mode',
    );
  });

  it('names the root path it is given', () => {
    expectRejected(
      () => validateServiceSpec(withField(minimalService(), 'name', ''), 'request.spec'),
      'request.spec.name',
      'must not be empty',
    );
  });
});
