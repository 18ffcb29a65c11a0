// The container part of a service (docker/cli convert.Service's ContainerSpec): command and
// entrypoint, environment (env files, then environment, values from the environment for empty
// ones), health check, mounts (convert.Volumes), secret and config references.

import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import type { ContainerSpec, HealthConfig, Mount, SecretReference } from '../api/index.js';
import { parseEnvFile } from './interpolate.js';
import {
  envFiles,
  isExternal,
  labelsOf,
  mapStrings,
  withStackLabel,
  type MapContext,
} from './map-context.js';
import { asDict, type ServiceShape } from './project.js';
import { shellSplit } from './shell-split.js';
import { parseShortVolume } from './volumes.js';

export function mapCommands(
  ctx: MapContext,
  path: string,
  service: ServiceShape,
): Pick<ContainerSpec, 'command' | 'args'> {
  const split = (key: 'entrypoint' | 'command'): string[] | undefined => {
    const value = service[key];
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    try {
      return shellSplit(value);
    } catch (err) {
      ctx.sink.error(`${path}.${key}`, `cannot split into words: ${(err as Error).message}`);
      return undefined;
    }
  };
  // docker/cli: the entrypoint replaces the image's entrypoint (Command), command its CMD (Args).
  const command = split('entrypoint');
  const args = split('command');
  return { ...(command === undefined ? {} : { command }), ...(args === undefined ? {} : { args }) };
}

/** loader.resolveEnvironment + convert.convertEnvironment: env files, then environment; sorted. */
export function mapEnvironment(
  ctx: MapContext,
  path: string,
  service: ServiceShape,
): { env: string[] } | undefined {
  const values = new Map<string, string | null>();
  const { lookup } = ctx.project;
  const set = (key: string, value: string | null): void => {
    // An empty or missing value is taken from the environment when it has the variable.
    const fromEnv = lookup(key);
    values.set(key, (value === null || value === '') && fromEnv !== undefined ? fromEnv : value);
  };
  envFiles(service).forEach((entry, i) => {
    const at = typeof service.env_file === 'string' ? `${path}.env_file` : `${path}.env_file[${i}]`;
    const absolute = resolvePath(ctx.project.workingDir, entry.path);
    const data = ctx.files.get(absolute);
    if (data === undefined || !(data instanceof Uint8Array)) {
      if (entry.required)
        ctx.sink.error(
          at,
          `env file ${entry.path} (${absolute}) ${data?.code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`,
        );
      return;
    }
    const parsed = parseEnvFile(Buffer.from(data).toString('utf8'), { dotenv: false, lookup });
    for (const e of parsed.errors) ctx.sink.error(at, `${entry.path} line ${e.line}: ${e.reason}`);
    for (const [key, value] of parsed.entries) set(key, value);
  });
  for (const [key, value] of Object.entries(asDict(service.environment))) {
    set(key, value === null ? null : String(value));
  }
  if (values.size === 0) return undefined;
  const env: string[] = [];
  for (const [key, value] of values) {
    if (value === null)
      ctx.sink.warn(`${path}.environment`, `${key} has no value and is not set in the environment: left out`);
    else env.push(`${key}=${value}`);
  }
  return { env: env.sort() };
}

export function mapHealthcheck(
  ctx: MapContext,
  path: string,
  service: ServiceShape,
): HealthConfig | undefined {
  const h = service.healthcheck;
  if (h === undefined) return undefined;
  const at = `${path}.healthcheck`;
  if (h.disable === true) {
    if (h.test !== undefined && !(Array.isArray(h.test) && h.test[0] === 'NONE')) {
      ctx.sink.error(at, "test and disable can't be set at the same time");
    }
    return { test: ['NONE'] };
  }
  const health: HealthConfig = {};
  if (h.test !== undefined) {
    const test = typeof h.test === 'string' ? ['CMD-SHELL', h.test] : h.test;
    const [kind] = test;
    if (test.length > 0 && kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') {
      ctx.sink.error(`${at}.test`, 'a list must start with CMD, CMD-SHELL or NONE');
    }
    health.test = test;
  }
  if (h.interval !== undefined) health.interval = h.interval;
  if (h.timeout !== undefined) health.timeout = h.timeout;
  if (h.retries !== undefined) health.retries = h.retries;
  if (h.start_period !== undefined) health.startPeriod = h.start_period;
  if (h.start_interval !== undefined) health.startInterval = h.start_interval;
  return health;
}

/** convert.Volumes, plus the short `tmpfs:` key (which docker/cli leaves out) as tmpfs mounts. */
export function mapMounts(ctx: MapContext, path: string, service: ServiceShape): Mount[] {
  const mounts: Mount[] = [];
  (service.volumes ?? []).forEach((entry, i) => {
    const at = `${path}.volumes[${i}]`;
    let type: Mount['type'];
    let source: string | undefined;
    let target: string | undefined;
    const mount: Partial<Mount> = {};
    let noCopy: boolean | undefined;
    if (typeof entry === 'string') {
      const parsed = parseShortVolume(entry);
      if (!parsed.ok) {
        ctx.sink.error(at, parsed.reason);
        return;
      }
      ({ type, source, target } = parsed.value);
      if (parsed.value.readOnly !== undefined) mount.readOnly = parsed.value.readOnly;
      if (parsed.value.propagation !== undefined)
        mount.bindOptions = { propagation: parsed.value.propagation };
      noCopy = parsed.value.noCopy;
      if (parsed.value.ignoredOptions.length > 0)
        ctx.sink.warn(at, `ignored volume options: ${parsed.value.ignoredOptions.join(', ')}`);
    } else {
      if (entry.type === 'cluster' || entry.type === 'npipe' || entry.type === 'image') {
        ctx.sink.error(`${at}.type`, `${entry.type} mounts are not supported`);
        return;
      }
      type = entry.type;
      source = entry.source;
      target = entry.target;
      if (entry.read_only !== undefined) mount.readOnly = entry.read_only;
      if (entry.consistency !== undefined) {
        if (['default', 'consistent', 'cached', 'delegated'].includes(entry.consistency))
          mount.consistency = entry.consistency as Mount['consistency'];
        else
          ctx.sink.warn(
            `${at}.consistency`,
            `ignored: ${entry.consistency} is not a consistency Docker knows`,
          );
      }
      const wrongOptions = (['bind', 'volume', 'tmpfs'] as const).filter(
        (k) => k !== type && entry[k] !== undefined,
      );
      for (const k of wrongOptions)
        ctx.sink.error(`${at}.${k}`, `${k} options are incompatible with type ${type}`);
      if (entry.bind?.propagation !== undefined) mount.bindOptions = { propagation: entry.bind.propagation };
      noCopy = entry.volume?.nocopy;
      if (type === 'tmpfs' && entry.tmpfs !== undefined) {
        mount.tmpfsOptions = {
          ...(entry.tmpfs.size === undefined ? {} : { sizeBytes: entry.tmpfs.size }),
          ...(entry.tmpfs.mode === undefined ? {} : { mode: entry.tmpfs.mode }),
        };
      }
    }
    if (target === undefined || target === '') {
      ctx.sink.error(at, 'target: required');
      return;
    }
    if (type === 'bind') {
      if (source === undefined || source === '') {
        ctx.sink.error(at, 'a bind mount needs a source');
        return;
      }
      source = hostPath(ctx, source);
    } else if (type === 'tmpfs') {
      if (source !== undefined && source !== '') {
        ctx.sink.error(at, 'a tmpfs mount takes no source');
        return;
      }
      source = undefined;
    } else if (source !== undefined && source !== '') {
      const volume = Object.prototype.hasOwnProperty.call(ctx.project.model.volumes, source)
        ? ctx.project.model.volumes[source]
        : undefined;
      if (volume === undefined) {
        ctx.sink.error(
          at,
          `undefined volume ${JSON.stringify(source)}: declare it in the top-level volumes section`,
        );
        return;
      }
      const options: NonNullable<Mount['volumeOptions']> = {};
      if (noCopy !== undefined) options.noCopy = noCopy;
      const external = isExternal(volume);
      source = volume?.name ?? (external ? source : ctx.scope(source));
      if (!external) {
        options.labels = withStackLabel(ctx.stack, labelsOf(volume?.labels));
        if (volume?.driver !== undefined || volume?.driver_opts !== undefined) {
          options.driverConfig = {
            name: volume?.driver ?? 'local',
            options: mapStrings(volume?.driver_opts),
          };
        }
      }
      mount.volumeOptions = options;
    } else {
      source = undefined;
      if (noCopy !== undefined) mount.volumeOptions = { noCopy };
    }
    mounts.push({ type, ...(source === undefined ? {} : { source }), target, ...mount });
  });
  const tmpfs = service.tmpfs === undefined ? [] : ([] as string[]).concat(service.tmpfs);
  tmpfs.forEach((entry, i) => {
    const [target = '', options] = entry.split(/:(.*)/s);
    if (options !== undefined && options !== '')
      ctx.sink.warn(`${path}.tmpfs`, `ignored tmpfs options of ${target}: ${options}`);
    if (!isAbsolute(target))
      ctx.sink.error(
        `${path}.tmpfs${typeof service.tmpfs === 'string' ? '' : `[${i}]`}`,
        `${JSON.stringify(target)} must be an absolute path`,
      );
    else mounts.push({ type: 'tmpfs', target });
  });
  return mounts;
}

/** loader.resolveVolumePaths: `~` is $HOME, a relative path is relative to the compose file. */
export function hostPath(ctx: MapContext, source: string): string {
  let path = source;
  if (path.startsWith('~')) {
    const home = ctx.project.lookup('HOME');
    if (home !== undefined) path = home + path.slice(1);
  }
  return isAbsolute(path) ? path : join(ctx.project.workingDir, path);
}

/** convert.convertServiceSecrets / convertServiceConfigObjs: sorted by object name. */
export function mapReferences(
  ctx: MapContext,
  path: string,
  kind: 'secrets' | 'configs',
  entries: NonNullable<ServiceShape['secrets']>,
): Array<{ name: string; file: SecretReference['file'] }> {
  const declared = ctx.project.model[kind];
  const refs: Array<{ name: string; file: SecretReference['file'] }> = [];
  entries.forEach((entry, i) => {
    const ref = typeof entry === 'string' ? { source: entry } : entry;
    const object = Object.prototype.hasOwnProperty.call(declared, ref.source)
      ? declared[ref.source]
      : undefined;
    if (object === undefined) {
      ctx.sink.error(
        `${path}.${kind}[${i}]`,
        `undefined ${kind === 'secrets' ? 'secret' : 'config'} ${JSON.stringify(ref.source)}: declare it in the top-level ${kind} section`,
      );
      return;
    }
    const file: SecretReference['file'] = {
      name: ref.target ?? ref.source,
      uid: ref.uid === undefined ? '0' : String(ref.uid),
      gid: ref.gid === undefined ? '0' : String(ref.gid),
      mode: ref.mode ?? 0o444,
    };
    refs.push({ name: ctx.objectName(ref.source, object), file });
  });
  return refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function mapPullPolicy(ctx: MapContext, path: string, policy: string, spec: ContainerSpec): void {
  if (policy === 'always') spec.pullPolicy = 'always';
  else if (policy === 'missing' || policy === 'if_not_present') spec.pullPolicy = 'missing';
  else if (policy === 'never') spec.pullPolicy = 'never';
  else
    ctx.sink.warn(
      `${path}.pull_policy`,
      `ignored: ${policy} is not a policy Flotilla has (always, missing, never)`,
    );
}

export function capabilities(list: string[] | undefined): string[] {
  const names = (list ?? []).map((c) => {
    const upper = c.toUpperCase();
    return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  });
  return [...new Set(names)].sort();
}
