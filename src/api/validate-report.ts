// Validation of what nodes report about themselves and their tasks (the dispatcher's input): a
// NodeDescription when a session opens and each TaskStatus a worker sends. Workers are trusted to
// be cluster members, not to send well-formed data, so both are read field by field like specs.

import {
  arrayOf,
  compact,
  Fields,
  integer,
  labels,
  nonEmptyString,
  oneOf,
  string,
  type Check,
} from './checks.js';
import type { ContainerStatus, NodeDescription, TaskStatus } from './objects.js';
import type { PortConfig } from './service-spec.js';
import { TASK_STATES } from './task-state.js';

const shortString = string({ maxLength: 1024 });
// Messages carry engine errors verbatim; long ones are legitimate but bounded.
const message = string({ maxLength: 16 * 1024 });

const readPlatform: Check<NodeDescription['platform']> = (value, path) => {
  const f = Fields.of(value, path, ['architecture', 'os']);
  return { architecture: f.required('architecture', shortString), os: f.required('os', shortString) };
};

const readResources: Check<NodeDescription['resources']> = (value, path) => {
  const f = Fields.of(value, path, ['nanoCpus', 'memoryBytes']);
  return { nanoCpus: f.required('nanoCpus', integer()), memoryBytes: f.required('memoryBytes', integer()) };
};

const readPlugin: Check<{ type: string; name: string }> = (value, path) => {
  const f = Fields.of(value, path, ['type', 'name']);
  return { type: f.required('type', shortString), name: f.required('name', shortString) };
};

const readEngine: Check<NodeDescription['engine']> = (value, path) => {
  const f = Fields.of(value, path, ['engineVersion', 'labels', 'plugins']);
  return {
    engineVersion: f.required('engineVersion', shortString),
    labels: f.optional('labels', labels) ?? {},
    plugins: f.optional('plugins', arrayOf(readPlugin)) ?? [],
  };
};

export const readNodeDescription: Check<NodeDescription> = (value, path) => {
  const f = Fields.of(value, path, ['hostname', 'platform', 'resources', 'engine']);
  return {
    hostname: f.required('hostname', nonEmptyString),
    platform: f.required('platform', readPlatform),
    resources: f.required('resources', readResources),
    engine: f.required('engine', readEngine),
  };
};

const readContainerStatus: Check<ContainerStatus> = (value, path) => {
  const f = Fields.of(value, path, ['containerId', 'pid', 'exitCode']);
  return {
    containerId: f.optional('containerId', shortString) ?? '',
    pid: f.optional('pid', integer()) ?? 0,
    exitCode: f.optional('exitCode', integer(-2_147_483_648, 2_147_483_647)) ?? 0,
  };
};

const readPortStatusEntry: Check<PortConfig> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'protocol', 'targetPort', 'publishedPort', 'publishMode']);
  return compact({
    name: f.optional('name', shortString),
    protocol: f.optional('protocol', oneOf(['tcp', 'udp', 'sctp'] as const)),
    targetPort: f.required('targetPort', integer(1, 65_535)),
    publishedPort: f.optional('publishedPort', integer(0, 65_535)),
    publishMode: f.optional('publishMode', oneOf(['ingress', 'host'] as const)),
  });
};

const readPortStatus: Check<{ ports: PortConfig[] }> = (value, path) => {
  const f = Fields.of(value, path, ['ports']);
  return { ports: f.optional('ports', arrayOf(readPortStatusEntry)) ?? [] };
};

const timestamp = string({
  pattern: [
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
    'must be an RFC 3339 timestamp',
  ],
});

export const readTaskStatus: Check<TaskStatus> = (value, path) => {
  const f = Fields.of(value, path, ['timestamp', 'state', 'message', 'err', 'containerStatus', 'portStatus']);
  return compact({
    timestamp: f.required('timestamp', timestamp),
    state: f.required('state', oneOf(TASK_STATES)),
    message: f.optional('message', message) ?? '',
    err: f.optional('err', message),
    containerStatus: f.optional('containerStatus', readContainerStatus),
    portStatus: f.optional('portStatus', readPortStatus),
  });
};
