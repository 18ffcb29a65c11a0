// Validation of a service's TaskSpec apart from its container: resources, restart policy,
// placement, networks, log driver. Rules follow SwarmKit's controlapi (validateResources,
// validateRestartPolicy, validatePlacement) and its scheduler's spread preferences.

import {
  arrayOf,
  compact,
  duration,
  fail,
  Fields,
  integer,
  nonEmptyString,
  oneOf,
  string,
  stringArray,
  stringMap,
  type Check,
} from './checks.js';
import { parseConstraint } from './constraints.js';
import type {
  GenericResource,
  Limit,
  NetworkAttachmentConfig,
  Placement,
  PlacementPreference,
  Platform,
  ResourceRequirements,
  Resources,
  RestartPolicy,
  TaskSpec,
} from './service-spec.js';
import { readContainerSpec } from './validate-container.js';
import { readDriver } from './validate-common.js';

const TASK_FIELDS = [
  'containerSpec',
  'resources',
  'restartPolicy',
  'placement',
  'networks',
  'logDriver',
  'forceUpdate',
] as const;

export const readTaskSpec: Check<TaskSpec> = (value, path) => {
  const f = Fields.of(value, path, TASK_FIELDS);
  return compact({
    containerSpec: f.required('containerSpec', readContainerSpec),
    resources: f.optional('resources', readResourceRequirements),
    restartPolicy: f.optional('restartPolicy', readRestartPolicy),
    placement: f.optional('placement', readPlacement),
    networks: f.optional('networks', readNetworks),
    logDriver: f.optional('logDriver', readDriver),
    forceUpdate: f.optional('forceUpdate', integer()),
  });
};

// ---- resources -----------------------------------------------------------------------------

/** SwarmKit: a CPU amount is 0 (none) or at least 0.001 CPU. */
const nanoCpus: Check<number> = (value, path) => {
  const n = integer()(value, path);
  if (n !== 0 && n < 1e6) fail(path, 'must be 0 or at least 1000000 (0.001 CPU)');
  return n;
};

/** SwarmKit: a memory amount is 0 (none) or at least 4 MiB. */
const memoryBytes: Check<number> = (value, path) => {
  const n = integer()(value, path);
  if (n !== 0 && n < 4 * 1024 * 1024) fail(path, 'must be 0 or at least 4194304 (4 MiB)');
  return n;
};

const readLimit: Check<Limit> = (value, path) => {
  const f = Fields.of(value, path, ['nanoCpus', 'memoryBytes', 'pids']);
  return compact({
    nanoCpus: f.optional('nanoCpus', nanoCpus),
    memoryBytes: f.optional('memoryBytes', memoryBytes),
    pids: f.optional('pids', integer()),
  });
};

const readGenericResource: Check<GenericResource> = (value, path) => {
  const f = Fields.of(value, path, ['namedResourceSpec', 'discreteResourceSpec']);
  if (f.has('namedResourceSpec') === f.has('discreteResourceSpec')) {
    fail(path, 'must have exactly one of namedResourceSpec, discreteResourceSpec');
  }
  const named = f.optional('namedResourceSpec', (v, p) => {
    const o = Fields.of(v, p, ['kind', 'value']);
    return { kind: o.required('kind', nonEmptyString), value: o.required('value', nonEmptyString) };
  });
  if (named !== undefined) return { namedResourceSpec: named };
  return {
    discreteResourceSpec: f.required('discreteResourceSpec', (v, p) => {
      const o = Fields.of(v, p, ['kind', 'value']);
      return { kind: o.required('kind', nonEmptyString), value: o.required('value', integer()) };
    }),
  };
};

const readResources: Check<Resources> = (value, path) => {
  const f = Fields.of(value, path, ['nanoCpus', 'memoryBytes', 'genericResources']);
  return compact({
    nanoCpus: f.optional('nanoCpus', nanoCpus),
    memoryBytes: f.optional('memoryBytes', memoryBytes),
    genericResources: f.optional('genericResources', arrayOf(readGenericResource)),
  });
};

const readResourceRequirements: Check<ResourceRequirements> = (value, path) => {
  const f = Fields.of(value, path, ['limits', 'reservations']);
  const requirements = compact({
    limits: f.optional('limits', readLimit),
    reservations: f.optional('reservations', readResources),
  });
  // dockerd refuses a memory reservation above the limit when it creates the container; say so now.
  const limit = requirements.limits?.memoryBytes ?? 0;
  const reserved = requirements.reservations?.memoryBytes ?? 0;
  if (limit > 0 && reserved > limit) {
    fail(`${f.at('reservations')}.memoryBytes`, `must not exceed limits.memoryBytes (${limit})`);
  }
  return requirements;
};

// ---- restart policy ------------------------------------------------------------------------

const readRestartPolicy: Check<RestartPolicy> = (value, path) => {
  const f = Fields.of(value, path, ['condition', 'delay', 'maxAttempts', 'window']);
  return compact({
    condition: f.optional('condition', oneOf(['none', 'on-failure', 'any'] as const)),
    delay: f.optional('delay', duration),
    maxAttempts: f.optional('maxAttempts', integer()),
    window: f.optional('window', duration),
  });
};

// ---- placement -----------------------------------------------------------------------------

const constraintExpression: Check<string> = (value, path) => {
  const expression = string()(value, path);
  parseConstraint(expression, path);
  return expression;
};

/** SwarmKit's scheduler spreads over node or engine labels only; anything else it ignores. */
const spreadDescriptor = string({
  pattern: [/^(?:node|engine)\.labels\..+$/i, 'must be node.labels.<label> or engine.labels.<label>'],
});

const readPreference: Check<PlacementPreference> = (value, path) => {
  const f = Fields.of(value, path, ['spread']);
  return {
    spread: f.required('spread', (v, p) => {
      const o = Fields.of(v, p, ['spreadDescriptor']);
      return { spreadDescriptor: o.required('spreadDescriptor', spreadDescriptor) };
    }),
  };
};

const readPlatform: Check<Platform> = (value, path) => {
  const f = Fields.of(value, path, ['architecture', 'os']);
  return compact({ architecture: f.optional('architecture', string()), os: f.optional('os', string()) });
};

const readPlacement: Check<Placement> = (value, path) => {
  const f = Fields.of(value, path, ['constraints', 'preferences', 'maxReplicas', 'platforms']);
  return compact({
    constraints: f.optional('constraints', arrayOf(constraintExpression)),
    preferences: f.optional('preferences', arrayOf(readPreference)),
    maxReplicas: f.optional('maxReplicas', integer()),
    platforms: f.optional('platforms', arrayOf(readPlatform)),
  });
};

// ---- networks ------------------------------------------------------------------------------

const readNetwork: Check<NetworkAttachmentConfig> = (value, path) => {
  const f = Fields.of(value, path, ['target', 'aliases', 'driverOpts']);
  return compact({
    target: f.required('target', nonEmptyString),
    aliases: f.optional('aliases', stringArray),
    driverOpts: f.optional('driverOpts', stringMap()),
  });
};

const readNetworks: Check<NetworkAttachmentConfig[]> = (value, path) => {
  const networks = arrayOf(readNetwork)(value, path);
  const targets = new Set<string>();
  networks.forEach((network, i) => {
    if (targets.has(network.target)) fail(`${path}[${i}].target`, `duplicate network ${network.target}`);
    targets.add(network.target);
  });
  return networks;
};
