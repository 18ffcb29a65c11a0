// Validation of a ServiceSpec: name, mode, update and rollback configs, endpoint spec, and the
// rules that span them. Rules follow SwarmKit's controlapi (validateServiceSpec, validateMode,
// validateJob, validateUpdate, validateEndpointSpec) and the Docker CLI's checks.

import {
  arrayOf,
  compact,
  duration,
  fail,
  Fields,
  integer,
  labels,
  number,
  oneOf,
  string,
  type Check,
} from './checks.js';
import type {
  EndpointSpec,
  FailureAction,
  PortConfig,
  ServiceMode,
  ServiceSpec,
  UpdateConfig,
} from './service-spec.js';
import { DNS_NAME, DNS_NAME_RULE, MAX_DNS_NAME_LENGTH } from './validate-common.js';
import { readTaskSpec } from './validate-task.js';

const SERVICE_FIELDS = [
  'name',
  'labels',
  'taskTemplate',
  'mode',
  'updateConfig',
  'rollbackConfig',
  'endpointSpec',
] as const;

export const serviceName = string({
  nonEmpty: true,
  maxLength: MAX_DNS_NAME_LENGTH,
  pattern: [DNS_NAME, DNS_NAME_RULE],
});

export const readServiceSpec: Check<ServiceSpec> = (value, path) => {
  const f = Fields.of(value, path, SERVICE_FIELDS);
  const spec: ServiceSpec = compact({
    name: f.required('name', serviceName),
    labels: f.optional('labels', labels),
    taskTemplate: f.required('taskTemplate', readTaskSpec),
    mode: f.optional('mode', readMode),
    updateConfig: f.optional('updateConfig', readUpdateConfig(['pause', 'continue', 'rollback'])),
    // The Docker CLI offers no `rollback` on failure of a rollback: it would loop.
    rollbackConfig: f.optional('rollbackConfig', readUpdateConfig(['pause', 'continue'])),
    endpointSpec: f.optional('endpointSpec', readEndpointSpec),
  });

  const mode = spec.mode ?? { replicated: {} };
  if ('replicatedJob' in mode || 'globalJob' in mode) {
    // SwarmKit: "Jobs may not have an update config"; a job is re-run, never rolled.
    if (spec.updateConfig !== undefined) fail(f.at('updateConfig'), 'not allowed for jobs');
    if (spec.rollbackConfig !== undefined) fail(f.at('rollbackConfig'), 'not allowed for jobs');
  }
  const maxReplicas = spec.taskTemplate.placement?.maxReplicas ?? 0;
  if (maxReplicas > 0 && !('replicated' in mode)) {
    fail(`${f.at('taskTemplate')}.placement.maxReplicas`, 'only allowed in replicated mode');
  }
  return spec;
};

// ---- mode ----------------------------------------------------------------------------------

const MODES = ['replicated', 'global', 'replicatedJob', 'globalJob'] as const;

const emptyObject: Check<Record<string, never>> = (value, path) => {
  Fields.of(value, path, []);
  return {};
};

const readMode: Check<ServiceMode> = (value, path) => {
  const f = Fields.of(value, path, MODES);
  const present = MODES.filter((mode) => f.has(mode));
  if (present.length !== 1) fail(path, `must have exactly one of ${MODES.join(', ')}`);
  switch (present[0]) {
    case 'replicated':
      return {
        replicated: f.required('replicated', (v, p) => {
          const o = Fields.of(v, p, ['replicas']);
          return compact({ replicas: o.optional('replicas', integer()) });
        }),
      };
    case 'replicatedJob':
      return {
        replicatedJob: f.required('replicatedJob', (v, p) => {
          const o = Fields.of(v, p, ['maxConcurrent', 'totalCompletions']);
          // SwarmKit takes 0, and such a job would never run a task: refuse it instead.
          return compact({
            maxConcurrent: o.optional('maxConcurrent', integer(1)),
            totalCompletions: o.optional('totalCompletions', integer()),
          });
        }),
      };
    case 'global':
      return { global: f.required('global', emptyObject) };
    default:
      return { globalJob: f.required('globalJob', emptyObject) };
  }
};

// ---- update and rollback -------------------------------------------------------------------

function readUpdateConfig(failureActions: readonly FailureAction[]): Check<UpdateConfig> {
  return (value, path) => {
    const f = Fields.of(value, path, [
      'parallelism',
      'delay',
      'failureAction',
      'monitor',
      'maxFailureRatio',
      'order',
    ]);
    return compact({
      parallelism: f.optional('parallelism', integer()),
      delay: f.optional('delay', duration),
      failureAction: f.optional('failureAction', oneOf(failureActions)),
      monitor: f.optional('monitor', duration),
      maxFailureRatio: f.optional('maxFailureRatio', number(0, 1)),
      order: f.optional('order', oneOf(['stop-first', 'start-first'] as const)),
    });
  };
}

// ---- endpoint ------------------------------------------------------------------------------

const port = integer(1, 65535);

const readPort: Check<PortConfig> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'protocol', 'targetPort', 'publishedPort', 'publishMode']);
  return compact({
    name: f.optional('name', string()),
    protocol: f.optional('protocol', oneOf(['tcp', 'udp', 'sctp'] as const)),
    targetPort: f.required('targetPort', port),
    publishedPort: f.optional('publishedPort', port),
    publishMode: f.optional('publishMode', oneOf(['ingress', 'host'] as const)),
  });
};

const readEndpointSpec: Check<EndpointSpec> = (value, path) => {
  const f = Fields.of(value, path, ['mode', 'ports']);
  const spec: EndpointSpec = compact({
    mode: f.optional('mode', oneOf(['vip', 'dnsrr'] as const)),
    ports: f.optional('ports', arrayOf(readPort)),
  });
  const published = new Set<string>();
  (spec.ports ?? []).forEach((p, i) => {
    const at = `${f.at('ports')}[${i}]`;
    // SwarmKit: the routing mesh balances over a virtual IP, which DNS round robin has not.
    if (spec.mode === 'dnsrr' && (p.publishMode ?? 'ingress') === 'ingress') {
      fail(`${at}.publishMode`, 'must be host when the endpoint mode is dnsrr');
    }
    if (p.publishedPort === undefined) return;
    const key = `${p.publishedPort}/${p.protocol ?? 'tcp'}`;
    if (published.has(key)) fail(`${at}.publishedPort`, `duplicate published port ${key}`);
    published.add(key);
  });
  return spec;
};
