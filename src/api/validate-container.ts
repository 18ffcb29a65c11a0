// Validation of a service's ContainerSpec: the image, process, environment, mounts, health
// check, DNS, secret and config references, kernel settings. Rules follow SwarmKit's
// controlapi (validateContainerSpec, validateMounts, validateHealthCheck, validateSecretRefsSpec)
// and the daemon's checks that would otherwise only fail later, on a worker.

import { isIP } from 'node:net';
import {
  arrayOf,
  boolean,
  compact,
  duration,
  fail,
  Fields,
  integer,
  labels,
  nonEmptyString,
  oneOf,
  string,
  stringArray,
  stringMap,
  type Check,
} from './checks.js';
import { MILLISECOND } from './durations.js';
import { isValidImageReference } from './image-reference.js';
import type {
  ConfigReference,
  ContainerSpec,
  DnsConfig,
  FileTarget,
  HealthConfig,
  Mount,
  SecretReference,
  Ulimit,
} from './service-spec.js';
import { parseTemplate, TemplateError } from './templates.js';
import { readDriver } from './validate-common.js';

const absolutePath = string({ nonEmpty: true, pattern: [/^\//, 'must be an absolute path'] });

/** A string that may hold Swarm's templates ({{.Task.Slot}}): it must parse, or the task never could. */
function templated(check: Check<string>): Check<string> {
  return (value, path) => {
    const text = check(value, path);
    try {
      parseTemplate(text);
    } catch (error) {
      if (error instanceof TemplateError) fail(path, `invalid template: ${error.reason}`);
      throw error;
    }
    return text;
  };
}

const envEntry = templated(string({ pattern: [/^[^=]+=/, 'must be KEY=VALUE with a non-empty KEY'] }));

const signal = string({
  pattern: [/^(?:(?:SIG)?[A-Z][A-Z0-9+-]*|[0-9]{1,2})$/i, 'must be a signal name (SIGTERM) or number'],
});

const capability = string({
  pattern: [/^[A-Z_]+$/i, 'must be a capability name such as CAP_NET_ADMIN or ALL'],
});

const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;

const CONTAINER_FIELDS = [
  'image',
  'labels',
  'command',
  'args',
  'hostname',
  'env',
  'dir',
  'user',
  'groups',
  'tty',
  'openStdin',
  'readOnly',
  'mounts',
  'stopSignal',
  'stopGracePeriod',
  'healthcheck',
  'dnsConfig',
  'secrets',
  'configs',
  'init',
  'sysctls',
  'capabilityAdd',
  'capabilityDrop',
  'ulimits',
  'pullPolicy',
] as const;

export const readContainerSpec: Check<ContainerSpec> = (value, path) => {
  const f = Fields.of(value, path, CONTAINER_FIELDS);
  const image = f.required('image', nonEmptyString);
  if (!isValidImageReference(image)) fail(f.at('image'), 'must be a valid image reference');
  const spec: ContainerSpec = {
    image,
    labels: f.optional('labels', labels),
    command: f.optional('command', stringArray),
    args: f.optional('args', stringArray),
    // Hostname, env and mount sources may hold Go templates ({{.Task.Slot}}), so no DNS rule here.
    hostname: f.optional('hostname', templated(string({ maxLength: 255 }))),
    env: f.optional('env', arrayOf(envEntry)),
    dir: f.optional('dir', string({ pattern: [/^(?:\/.*)?$/, 'must be an absolute path'] })),
    user: f.optional('user', string()),
    groups: f.optional('groups', arrayOf(nonEmptyString)),
    tty: f.optional('tty', boolean),
    openStdin: f.optional('openStdin', boolean),
    readOnly: f.optional('readOnly', boolean),
    mounts: f.optional('mounts', readMounts),
    stopSignal: f.optional('stopSignal', signal),
    stopGracePeriod: f.optional('stopGracePeriod', duration),
    healthcheck: f.optional('healthcheck', readHealthConfig),
    dnsConfig: f.optional('dnsConfig', readDnsConfig),
    secrets: f.optional('secrets', readSecretReferences),
    configs: f.optional('configs', readConfigReferences),
    init: f.optional('init', boolean),
    sysctls: f.optional('sysctls', stringMap()),
    capabilityAdd: f.optional('capabilityAdd', arrayOf(capability)),
    capabilityDrop: f.optional('capabilityDrop', arrayOf(capability)),
    ulimits: f.optional('ulimits', arrayOf(readUlimit)),
    pullPolicy: f.optional('pullPolicy', oneOf(['always', 'missing', 'never'] as const)),
  };
  return compact(spec);
};

// ---- mounts --------------------------------------------------------------------------------

const MOUNT_FIELDS = [
  'type',
  'source',
  'target',
  'readOnly',
  'consistency',
  'bindOptions',
  'volumeOptions',
  'tmpfsOptions',
] as const;
const OPTIONS_FOR_TYPE = { bind: 'bindOptions', volume: 'volumeOptions', tmpfs: 'tmpfsOptions' } as const;

const readMount: Check<Mount> = (value, path) => {
  const f = Fields.of(value, path, MOUNT_FIELDS);
  const type = f.required('type', oneOf(['bind', 'volume', 'tmpfs'] as const));
  for (const [other, key] of Object.entries(OPTIONS_FOR_TYPE)) {
    if (other !== type && f.has(key)) fail(f.at(key), `only allowed for ${other} mounts`);
  }
  const source = f.optional('source', templated(type === 'bind' ? absolutePath : string()));
  if (type === 'bind' && source === undefined) fail(f.at('source'), 'required for bind mounts');
  if (type === 'tmpfs' && source !== undefined && source !== '') {
    fail(f.at('source'), 'must be empty for tmpfs mounts');
  }
  const mount: Mount = {
    type,
    source: type === 'tmpfs' ? undefined : source,
    target: f.required('target', absolutePath),
    readOnly: f.optional('readOnly', boolean),
    consistency: f.optional('consistency', oneOf(['default', 'consistent', 'cached', 'delegated'] as const)),
    bindOptions: f.optional('bindOptions', (v, p) => {
      const o = Fields.of(v, p, ['propagation', 'nonRecursive']);
      const propagations = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const;
      return compact({
        propagation: o.optional('propagation', oneOf(propagations)),
        nonRecursive: o.optional('nonRecursive', boolean),
      });
    }),
    volumeOptions: f.optional('volumeOptions', (v, p) => {
      const o = Fields.of(v, p, ['noCopy', 'labels', 'driverConfig']);
      return compact({
        noCopy: o.optional('noCopy', boolean),
        labels: o.optional('labels', labels),
        driverConfig: o.optional('driverConfig', readDriver),
      });
    }),
    tmpfsOptions: f.optional('tmpfsOptions', (v, p) => {
      const o = Fields.of(v, p, ['sizeBytes', 'mode']);
      return compact({
        sizeBytes: o.optional('sizeBytes', integer()),
        mode: o.optional('mode', integer(0, 0o7777)),
      });
    }),
  };
  return compact(mount);
};

const readMounts: Check<Mount[]> = (value, path) => {
  const mounts = arrayOf(readMount)(value, path);
  const targets = new Set<string>();
  mounts.forEach((mount, i) => {
    if (targets.has(mount.target)) fail(`${path}[${i}].target`, `duplicate mount point ${mount.target}`);
    targets.add(mount.target);
  });
  return mounts;
};

// ---- health check and DNS ------------------------------------------------------------------

/** SwarmKit: health check durations are 0 (use the image's or the engine's) or at least 1 ms. */
const healthDuration: Check<number> = (value, path) => {
  const nanoseconds = duration(value, path);
  if (nanoseconds !== 0 && nanoseconds < MILLISECOND) fail(path, 'must be 0 or at least 1000000 (1ms)');
  return nanoseconds;
};

const readHealthConfig: Check<HealthConfig> = (value, path) => {
  const f = Fields.of(value, path, [
    'test',
    'interval',
    'timeout',
    'retries',
    'startPeriod',
    'startInterval',
  ]);
  const test = f.optional('test', stringArray);
  if (test !== undefined && test.length > 0) {
    const [kind] = test;
    const at = f.at('test');
    if (kind === 'NONE' && test.length !== 1) fail(at, 'NONE takes no arguments');
    else if (kind === 'CMD' && test.length < 2) fail(at, 'CMD needs a command');
    else if (kind === 'CMD-SHELL' && test.length !== 2)
      fail(at, 'CMD-SHELL takes exactly one command string');
    else if (kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') {
      fail(`${at}[0]`, 'must be one of NONE, CMD, CMD-SHELL');
    }
  }
  return compact({
    test,
    interval: f.optional('interval', healthDuration),
    timeout: f.optional('timeout', healthDuration),
    retries: f.optional('retries', integer()),
    startPeriod: f.optional('startPeriod', healthDuration),
    startInterval: f.optional('startInterval', healthDuration),
  });
};

const ipAddress = string({ pattern: [(s) => isIP(s) !== 0, 'must be an IP address'] });

const readDnsConfig: Check<DnsConfig> = (value, path) => {
  const f = Fields.of(value, path, ['nameservers', 'search', 'options']);
  return compact({
    nameservers: f.optional('nameservers', arrayOf(ipAddress)),
    search: f.optional('search', arrayOf(nonEmptyString)),
    options: f.optional('options', arrayOf(nonEmptyString)),
  });
};

// ---- secrets and configs -------------------------------------------------------------------

const numericId = string({ pattern: [/^[0-9]+$/, 'must be a numeric id as a string, such as "0"'] });

const readFileTarget: Check<FileTarget> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'uid', 'gid', 'mode']);
  return compact({
    name: f.required('name', nonEmptyString),
    uid: f.optional('uid', numericId),
    gid: f.optional('gid', numericId),
    // Permission bits only: setuid and friends make no sense on a mounted secret.
    mode: f.optional('mode', integer(0, 0o777)),
  });
};

/** SwarmKit: two references may not put their files at the same target. */
function uniqueTargets<T extends { file: FileTarget }>(
  refs: T[],
  path: string,
  nameOf: (ref: T) => string,
): T[] {
  const owners = new Map<string, string>();
  refs.forEach((ref, i) => {
    const owner = owners.get(ref.file.name);
    if (owner !== undefined) {
      fail(`${path}[${i}].file.name`, `target ${JSON.stringify(ref.file.name)} is already used by ${owner}`);
    }
    owners.set(ref.file.name, JSON.stringify(nameOf(ref)));
  });
  return refs;
}

const readSecretReference: Check<SecretReference> = (value, path) => {
  const f = Fields.of(value, path, ['file', 'secretId', 'secretName']);
  return {
    file: f.required('file', readFileTarget),
    secretId: f.required('secretId', nonEmptyString),
    secretName: f.required('secretName', nonEmptyString),
  };
};

const readSecretReferences: Check<SecretReference[]> = (value, path) =>
  uniqueTargets(arrayOf(readSecretReference)(value, path), path, (ref) => ref.secretName);

const readConfigReference: Check<ConfigReference> = (value, path) => {
  const f = Fields.of(value, path, ['file', 'configId', 'configName']);
  return {
    file: f.required('file', readFileTarget),
    configId: f.required('configId', nonEmptyString),
    configName: f.required('configName', nonEmptyString),
  };
};

const readConfigReferences: Check<ConfigReference[]> = (value, path) =>
  uniqueTargets(arrayOf(readConfigReference)(value, path), path, (ref) => ref.configName);

// ---- ulimits -------------------------------------------------------------------------------

const readUlimit: Check<Ulimit> = (value, path) => {
  const f = Fields.of(value, path, ['name', 'soft', 'hard']);
  const ulimit: Ulimit = {
    name: f.required('name', oneOf(ULIMIT_NAMES)),
    soft: f.required('soft', integer(-1)),
    hard: f.required('hard', integer(-1)),
  };
  const rank = (limit: number): number => (limit === -1 ? Infinity : limit);
  if (rank(ulimit.soft) > rank(ulimit.hard)) fail(f.at('soft'), 'must not exceed hard');
  return ulimit;
};
