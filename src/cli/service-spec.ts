// `service create` and `service update` flags → a ServiceSpec. Pure: the secrets and configs a
// command names are looked up first (their ids), then these functions build the spec (create)
// or the new spec from the current one (update, with docker's -add/-rm lists). What they leave
// out, the manager fills with SwarmKit's defaults; what they put in, it validates.

import type {
  ConfigReference,
  HealthConfig,
  PortConfig,
  SecretReference,
  ServiceMode,
  ServiceSpec,
  TaskSpec,
  UpdateConfig,
} from '../client/index.js';
import type { ParsedFlags } from './args.js';
import { UsageError } from './errors.js';
import {
  envKey,
  labelsFrom,
  parseFileReference,
  parseMount,
  parsePlacementPref,
  parsePublish,
  publishMatcher,
  shellWords,
  splitKeyValue,
} from './service-options.js';

/**
 * A name for a service created without --name, as docker makes one up: the image's last path
 * part (letters, digits and dashes) and a random suffix, e.g. `nginx-k3x9`.
 */
export function generatedName(image: string, random: () => number = Math.random): string {
  const base = (image.split('@')[0]!.split('/').pop() ?? 'service')
    .split(':')[0]!
    .replace(/[^a-zA-Z0-9-]/g, '-');
  const stem = base.replace(/^-+|-+$/g, '').slice(0, 50) || 'service';
  const suffix = Array.from(
    { length: 4 },
    () => '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)],
  ).join('');
  return `${/^[a-zA-Z0-9]/.test(stem) ? stem : `s${stem}`}-${suffix}`;
}

/** The ids of the secrets and configs a command names, looked up before the spec is built. */
export interface ReferenceIds {
  secrets: Pick<ReadonlyMap<string, string>, 'get'>;
  configs: Pick<ReadonlyMap<string, string>, 'get'>;
}

/** Ids for any name: to check a command line's syntax before asking a manager for the real ones. */
export const ANY_REFERENCE: ReferenceIds = {
  secrets: { get: () => 'unresolved' },
  configs: { get: () => 'unresolved' },
};

/**
 * Checks every value of a `service update` command line that can be checked without the service
 * (csv syntaxes, enumerations, ranges), so a typo is a usage error before anything is sent.
 */
export function checkUpdateFlags(flags: ParsedFlags): void {
  const probe: ServiceSpec = {
    name: 'probe',
    mode: { replicatedJob: {} },
    taskTemplate: { containerSpec: { image: 'probe' } },
  };
  applyServiceUpdate(probe, flags, ANY_REFERENCE);
}

/** The secret and config names a create or update names, to look up. */
export function referencedNames(flags: ParsedFlags): { secrets: string[]; configs: string[] } {
  const names = (kind: 'secret' | 'config', lists: string[]): string[] => [
    ...new Set(
      lists.flatMap((name) => flags.list(name).map((t) => parseFileReference(t, kind, name).source)),
    ),
  ];
  return {
    secrets: names('secret', ['secret', 'secret-add']),
    configs: names('config', ['config', 'config-add']),
  };
}

const MODES = ['replicated', 'global', 'replicated-job', 'global-job'] as const;

/** `service create [OPTIONS] IMAGE [COMMAND] [ARG...]` → the spec to send. */
export function buildServiceSpec(
  image: string,
  commandLine: string[],
  flags: ParsedFlags,
  refs: ReferenceIds,
  /** The name when --name is absent (docker makes one up; so does the command). */
  defaultName = 'service',
): ServiceSpec {
  const name = flags.str('name') ?? defaultName;
  const containerSpec: TaskSpec['containerSpec'] = { image };
  if (commandLine.length > 0) containerSpec.args = [...commandLine];
  const env = flags.list('env');
  if (env.length > 0) containerSpec.env = env;
  const containerLabels = labelsFrom(flags.list('container-label'), 'container-label');
  if (Object.keys(containerLabels).length > 0) containerSpec.labels = containerLabels;
  const mounts = flags.list('mount').map((m) => parseMount(m));
  if (mounts.length > 0) containerSpec.mounts = mounts;
  const secrets = flags.list('secret').map((t) => secretReference(t, 'secret', refs));
  if (secrets.length > 0) containerSpec.secrets = secrets;
  const configs = flags.list('config').map((t) => configReference(t, 'config', refs));
  if (configs.length > 0) containerSpec.configs = configs;
  const groups = flags.list('group');
  if (groups.length > 0) containerSpec.groups = groups;
  if (flags.list('cap-add').length > 0) containerSpec.capabilityAdd = flags.list('cap-add');
  if (flags.list('cap-drop').length > 0) containerSpec.capabilityDrop = flags.list('cap-drop');
  const sysctls = labelsFrom(flags.list('sysctl'), 'sysctl');
  if (Object.keys(sysctls).length > 0) containerSpec.sysctls = sysctls;
  if (flags.has('dns') || flags.has('dns-search') || flags.has('dns-option'))
    containerSpec.dnsConfig = {
      ...(flags.has('dns') ? { nameservers: flags.list('dns') } : {}),
      ...(flags.has('dns-search') ? { search: flags.list('dns-search') } : {}),
      ...(flags.has('dns-option') ? { options: flags.list('dns-option') } : {}),
    };

  const spec: ServiceSpec = { name, taskTemplate: { containerSpec } };
  const labels = labelsFrom(flags.list('label'), 'label');
  if (Object.keys(labels).length > 0) spec.labels = labels;

  const mode = flags.str('mode') ?? 'replicated';
  if (!(MODES as readonly string[]).includes(mode))
    throw new UsageError(`invalid argument "${mode}" for "--mode" flag: must be one of ${MODES.join(', ')}`);
  spec.mode = modeFrom(mode as (typeof MODES)[number], flags);

  const placement = {
    constraints: flags.list('constraint'),
    preferences: flags.list('placement-pref').map((p) => parsePlacementPref(p)),
  };
  if (placement.constraints.length > 0 || placement.preferences.length > 0)
    spec.taskTemplate.placement = {
      ...(placement.constraints.length > 0 ? { constraints: placement.constraints } : {}),
      ...(placement.preferences.length > 0 ? { preferences: placement.preferences } : {}),
    };
  const ports = flags.list('publish').map((p) => parsePublish(p));
  if (ports.length > 0 || flags.has('endpoint-mode')) spec.endpointSpec = ports.length > 0 ? { ports } : {};
  applySettings(spec, flags);
  return spec;
}

function modeFrom(mode: (typeof MODES)[number], flags: ParsedFlags): ServiceMode {
  const replicas = flags.num('replicas');
  const maxConcurrent = flags.num('max-concurrent');
  if ((mode === 'global' || mode === 'global-job') && replicas !== undefined)
    throw new UsageError(
      `replicas can only be used with replicated or replicated-job mode`,
      'service create',
    );
  if (maxConcurrent !== undefined && mode !== 'replicated-job')
    throw new UsageError(`max-concurrent can only be used with replicated-job mode`, 'service create');
  switch (mode) {
    case 'replicated':
      return { replicated: { replicas: replicas ?? 1 } };
    case 'global':
      return { global: {} };
    case 'replicated-job':
      return {
        replicatedJob: {
          maxConcurrent: maxConcurrent ?? replicas ?? 1,
          totalCompletions: replicas ?? maxConcurrent ?? 1,
        },
      };
    case 'global-job':
      return { globalJob: {} };
  }
}

function secretReference(text: string, flag: string, refs: ReferenceIds): SecretReference {
  const ref = parseFileReference(text, 'secret', flag);
  const id = refs.secrets.get(ref.source);
  if (id === undefined) throw new Error(`secret not found: ${ref.source}`);
  return { secretId: id, secretName: ref.source, file: fileTarget(ref) };
}

function configReference(text: string, flag: string, refs: ReferenceIds): ConfigReference {
  const ref = parseFileReference(text, 'config', flag);
  const id = refs.configs.get(ref.source);
  if (id === undefined) throw new Error(`config not found: ${ref.source}`);
  return { configId: id, configName: ref.source, file: fileTarget(ref) };
}

function fileTarget(ref: ReturnType<typeof parseFileReference>): SecretReference['file'] {
  // docker's defaults: root-owned, world-readable.
  return { name: ref.target, uid: ref.uid ?? '0', gid: ref.gid ?? '0', mode: ref.mode ?? 0o444 };
}

/**
 * The settings create and update share (resources, restart, update/rollback config, health,
 * stop, user, …): each flag given overwrites its field; fields not named stay as they are.
 */
function applySettings(spec: ServiceSpec, flags: ParsedFlags): void {
  const task = spec.taskTemplate;
  const c = task.containerSpec;
  const str = (name: string, set: (v: string) => void): void => {
    const v = flags.str(name);
    if (v !== undefined) set(v);
  };
  const num = (name: string, set: (v: number) => void): void => {
    const v = flags.num(name);
    if (v !== undefined) set(v);
  };
  str('workdir', (v) => (c.dir = v));
  str('user', (v) => (c.user = v));
  str('hostname', (v) => (c.hostname = v));
  str('entrypoint', (v) => (c.command = shellWords(v, 'entrypoint')));
  str('stop-signal', (v) => (c.stopSignal = v));
  num('stop-grace-period', (v) => (c.stopGracePeriod = v));
  if (flags.has('read-only')) c.readOnly = flags.bool('read-only');
  if (flags.has('init')) c.init = flags.bool('init');
  if (flags.has('tty')) c.tty = flags.bool('tty');

  num(
    'limit-cpu',
    (v) => (task.resources = { ...task.resources, limits: { ...task.resources?.limits, nanoCpus: v } }),
  );
  num(
    'limit-memory',
    (v) => (task.resources = { ...task.resources, limits: { ...task.resources?.limits, memoryBytes: v } }),
  );
  num(
    'limit-pids',
    (v) => (task.resources = { ...task.resources, limits: { ...task.resources?.limits, pids: v } }),
  );
  num(
    'reserve-cpu',
    (v) =>
      (task.resources = {
        ...task.resources,
        reservations: { ...task.resources?.reservations, nanoCpus: v },
      }),
  );
  num(
    'reserve-memory',
    (v) =>
      (task.resources = {
        ...task.resources,
        reservations: { ...task.resources?.reservations, memoryBytes: v },
      }),
  );
  num('replicas-max-per-node', (v) => (task.placement = { ...task.placement, maxReplicas: v }));

  str('restart-condition', (v) => {
    const condition = oneOf('restart-condition', v, ['none', 'on-failure', 'any'] as const);
    task.restartPolicy = { ...task.restartPolicy, condition };
  });
  num('restart-delay', (v) => (task.restartPolicy = { ...task.restartPolicy, delay: v }));
  num('restart-max-attempts', (v) => (task.restartPolicy = { ...task.restartPolicy, maxAttempts: v }));
  num('restart-window', (v) => (task.restartPolicy = { ...task.restartPolicy, window: v }));

  for (const prefix of ['update', 'rollback'] as const) {
    const key = prefix === 'update' ? 'updateConfig' : 'rollbackConfig';
    const set = (patch: UpdateConfig): void => {
      spec[key] = { ...spec[key], ...patch };
    };
    num(`${prefix}-parallelism`, (v) => set({ parallelism: v }));
    num(`${prefix}-delay`, (v) => set({ delay: v }));
    num(`${prefix}-monitor`, (v) => set({ monitor: v }));
    num(`${prefix}-max-failure-ratio`, (v) => {
      if (v < 0 || v > 1)
        throw new UsageError(
          `invalid argument "${v}" for "--${prefix}-max-failure-ratio" flag: must be between 0 and 1`,
        );
      set({ maxFailureRatio: v });
    });
    str(`${prefix}-failure-action`, (v) =>
      set({
        failureAction: oneOf(
          `${prefix}-failure-action`,
          v,
          prefix === 'update'
            ? (['pause', 'continue', 'rollback'] as const)
            : (['pause', 'continue'] as const),
        ),
      }),
    );
    str(`${prefix}-order`, (v) =>
      set({ order: oneOf(`${prefix}-order`, v, ['start-first', 'stop-first'] as const) }),
    );
  }

  const healthFlags = [
    'health-cmd',
    'health-interval',
    'health-retries',
    'health-timeout',
    'health-start-period',
  ];
  if (flags.bool('no-healthcheck')) {
    const given = healthFlags.find((f) => flags.has(f));
    if (given !== undefined) throw new UsageError(`--no-healthcheck conflicts with --${given}`);
    c.healthcheck = { test: ['NONE'] };
  } else if (healthFlags.some((f) => flags.has(f))) {
    const health: HealthConfig = { ...c.healthcheck };
    if (health.test?.[0] === 'NONE') delete health.test;
    str('health-cmd', (v) => (health.test = ['CMD-SHELL', v]));
    num('health-interval', (v) => (health.interval = v));
    num('health-retries', (v) => (health.retries = v));
    num('health-timeout', (v) => (health.timeout = v));
    num('health-start-period', (v) => (health.startPeriod = v));
    c.healthcheck = health;
  }
  str('endpoint-mode', (v) => {
    spec.endpointSpec = { ...spec.endpointSpec, mode: oneOf('endpoint-mode', v, ['vip', 'dnsrr'] as const) };
  });
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(
      `invalid argument "${value}" for "--${flag}" flag: must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`,
    );
  return value as T;
}

/** The flags of `service update` that change nothing by themselves. */
const UPDATE_NON_CHANGES = new Set(['detach', 'quiet', 'host', 'data-dir', 'tlscacert', 'tlscert', 'tlskey']);

/** Whether an update's flags ask for any change (docker refuses an update without one). */
export function updateRequested(flags: ParsedFlags): boolean {
  return flags.names().some((n) => !UPDATE_NON_CHANGES.has(n));
}

/**
 * `service update` → the new spec from the current one. Lists are edited as docker does: an
 * `-add` replaces the entry with the same key (env name, label key, mount target, secret or
 * config target, published port) and `-rm` removes by key; scalars are overwritten.
 */
export function applyServiceUpdate(
  current: ServiceSpec,
  flags: ParsedFlags,
  refs: ReferenceIds,
): ServiceSpec {
  const spec = structuredClone(current);
  const task = spec.taskTemplate;
  const c = task.containerSpec;

  const image = flags.str('image');
  if (image !== undefined) c.image = image;
  const args = flags.str('args');
  if (args !== undefined) c.args = shellWords(args, 'args');

  // env: remove the named keys, then add (an added key replaces the same key).
  if (flags.has('env-add') || flags.has('env-rm')) {
    const removed = new Set(flags.list('env-rm').map(envKey));
    const added = flags.list('env-add');
    const addedKeys = new Set(added.map(envKey));
    c.env = [...(c.env ?? []).filter((e) => !removed.has(envKey(e)) && !addedKeys.has(envKey(e))), ...added];
  }
  spec.labels = editLabels(spec.labels, flags, 'label');
  c.labels = editLabels(c.labels, flags, 'container-label');

  if (flags.has('mount-add') || flags.has('mount-rm')) {
    const removed = new Set(flags.list('mount-rm'));
    const added = flags.list('mount-add').map((m) => parseMount(m, 'mount-add'));
    const addedTargets = new Set(added.map((m) => m.target));
    c.mounts = [
      ...(c.mounts ?? []).filter((m) => !removed.has(m.target) && !addedTargets.has(m.target)),
      ...added,
    ];
  }
  if (flags.has('secret-add') || flags.has('secret-rm')) {
    const removed = new Set(flags.list('secret-rm'));
    const added = flags.list('secret-add').map((t) => secretReference(t, 'secret-add', refs));
    const addedTargets = new Set(added.map((s) => s.file.name));
    c.secrets = [
      ...(c.secrets ?? []).filter(
        (s) => !removed.has(s.secretName) && !removed.has(s.secretId) && !addedTargets.has(s.file.name),
      ),
      ...added,
    ];
  }
  if (flags.has('config-add') || flags.has('config-rm')) {
    const removed = new Set(flags.list('config-rm'));
    const added = flags.list('config-add').map((t) => configReference(t, 'config-add', refs));
    const addedTargets = new Set(added.map((s) => s.file.name));
    c.configs = [
      ...(c.configs ?? []).filter(
        (s) => !removed.has(s.configName) && !removed.has(s.configId) && !addedTargets.has(s.file.name),
      ),
      ...added,
    ];
  }
  if (flags.has('group-add') || flags.has('group-rm')) {
    const removed = new Set(flags.list('group-rm'));
    c.groups = [...new Set([...(c.groups ?? []).filter((g) => !removed.has(g)), ...flags.list('group-add')])];
  }
  if (flags.has('publish-add') || flags.has('publish-rm')) {
    const removers = flags.list('publish-rm').map((p) => publishMatcher(p));
    const added = flags.list('publish-add').map((p) => parsePublish(p, 'publish-add'));
    const sameTarget = (a: PortConfig, b: PortConfig): boolean =>
      a.targetPort === b.targetPort &&
      (a.protocol ?? 'tcp') === (b.protocol ?? 'tcp') &&
      a.publishedPort === b.publishedPort;
    const kept = (spec.endpointSpec?.ports ?? []).filter(
      (p) => !removers.some((r) => r(p)) && !added.some((a) => sameTarget(a, p)),
    );
    spec.endpointSpec = { ...spec.endpointSpec, ports: [...kept, ...added] };
  }
  if (flags.has('constraint-add') || flags.has('constraint-rm')) {
    const removed = new Set(flags.list('constraint-rm'));
    const constraints = [
      ...new Set([
        ...(task.placement?.constraints ?? []).filter((k) => !removed.has(k)),
        ...flags.list('constraint-add'),
      ]),
    ];
    task.placement = { ...task.placement, constraints };
  }
  if (flags.has('placement-pref-add') || flags.has('placement-pref-rm')) {
    const removed = new Set(
      flags
        .list('placement-pref-rm')
        .map((p) => parsePlacementPref(p, 'placement-pref-rm').spread.spreadDescriptor),
    );
    const added = flags.list('placement-pref-add').map((p) => parsePlacementPref(p, 'placement-pref-add'));
    task.placement = {
      ...task.placement,
      preferences: [
        ...(task.placement?.preferences ?? []).filter((p) => !removed.has(p.spread.spreadDescriptor)),
        ...added,
      ],
    };
  }

  const replicas = flags.num('replicas');
  if (replicas !== undefined) spec.mode = withReplicas(spec.mode, replicas);
  const maxConcurrent = flags.num('max-concurrent');
  if (maxConcurrent !== undefined) {
    if (spec.mode === undefined || !('replicatedJob' in spec.mode))
      throw new UsageError('max-concurrent can only be used with replicated-job mode', 'service update');
    spec.mode = { replicatedJob: { ...spec.mode.replicatedJob, maxConcurrent } };
  }
  applySettings(spec, flags);
  if (flags.bool('force')) task.forceUpdate = (task.forceUpdate ?? 0) + 1;
  return spec;
}

/** The mode with a new replica count (docker: total completions for a replicated job). */
export function withReplicas(mode: ServiceMode | undefined, replicas: number): ServiceMode {
  if (mode === undefined || 'replicated' in mode)
    return { replicated: { ...(mode?.replicated ?? {}), replicas } };
  if ('replicatedJob' in mode)
    return { replicatedJob: { ...mode.replicatedJob, totalCompletions: replicas } };
  throw new UsageError('replicas can only be used with replicated or replicated-job mode');
}

function editLabels(
  labels: Record<string, string> | undefined,
  flags: ParsedFlags,
  prefix: string,
): Record<string, string> | undefined {
  if (!flags.has(`${prefix}-add`) && !flags.has(`${prefix}-rm`)) return labels;
  const next = { ...labels };
  for (const key of flags.list(`${prefix}-rm`)) delete next[splitKeyValue(key)[0]];
  Object.assign(next, labelsFrom(flags.list(`${prefix}-add`), `${prefix}-add`));
  return next;
}
