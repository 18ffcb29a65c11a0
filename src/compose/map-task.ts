// The scheduling part of a service (docker/cli convert.Service): resources, restart policy,
// networks, mode, update and rollback configs, endpoint and ports.

import type {
  EndpointSpec,
  NetworkAttachmentConfig,
  PortConfig,
  ResourceRequirements,
  RestartPolicy,
  ServiceMode,
  UpdateConfig,
} from '../api/index.js';
import { isExternal, mapStrings, type MapContext } from './map-context.js';
import { comparePorts, parseShortPort } from './ports.js';
import type { DeployShape, ServiceShape } from './project.js';
import { parseCpus } from './units.js';

export function mapResources(
  ctx: MapContext,
  path: string,
  deploy: DeployShape,
): ResourceRequirements | undefined {
  const source = deploy.resources;
  if (source === undefined) return undefined;
  const cpus = (value: number | string | undefined, at: string): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = parseCpus(value);
    if (!parsed.ok) ctx.sink.error(at, parsed.reason);
    return parsed.ok ? parsed.value : undefined;
  };
  const out: ResourceRequirements = {};
  if (source.limits !== undefined) {
    const l = source.limits;
    const nanoCpus = cpus(l.cpus, `${path}.limits.cpus`);
    out.limits = {
      ...(nanoCpus === undefined ? {} : { nanoCpus }),
      ...(l.memory === undefined ? {} : { memoryBytes: l.memory }),
      ...(l.pids === undefined ? {} : { pids: l.pids }),
    };
  }
  if (source.reservations !== undefined) {
    const r = source.reservations;
    const nanoCpus = cpus(r.cpus, `${path}.reservations.cpus`);
    const generic = (r.generic_resources ?? []).flatMap((g, i) => {
      const d = g.discrete_resource_spec;
      if (d?.kind === undefined || d.value === undefined) {
        ctx.sink.error(
          `${path}.reservations.generic_resources[${i}]`,
          'needs discrete_resource_spec with kind and value',
        );
        return [];
      }
      return [{ discreteResourceSpec: { kind: d.kind, value: d.value } }];
    });
    out.reservations = {
      ...(nanoCpus === undefined ? {} : { nanoCpus }),
      ...(r.memory === undefined ? {} : { memoryBytes: r.memory }),
      ...(generic.length === 0 ? {} : { genericResources: generic }),
    };
  }
  return out;
}

/** convert.convertRestartPolicy: deploy.restart_policy, else the plain `restart:` key. */
export function mapRestartPolicy(
  ctx: MapContext,
  path: string,
  service: ServiceShape,
  deploy: DeployShape,
): RestartPolicy | undefined {
  const policy = deploy.restart_policy;
  if (policy !== undefined) {
    if (service.restart !== undefined)
      ctx.sink.warn(`${path}.restart`, 'ignored: deploy.restart_policy is set');
    return {
      ...(policy.condition === undefined ? {} : { condition: policy.condition }),
      ...(policy.delay === undefined ? {} : { delay: policy.delay }),
      ...(policy.max_attempts === undefined ? {} : { maxAttempts: policy.max_attempts }),
      ...(policy.window === undefined ? {} : { window: policy.window }),
    };
  }
  if (service.restart === undefined || service.restart === '') return undefined;
  const match = /^([a-z-]+)(?::(\d+))?$/.exec(service.restart);
  const name = match?.[1];
  const count = match?.[2] === undefined ? 0 : Number(match[2]);
  const attempts = count > 0 ? { maxAttempts: count } : {};
  if (match !== null && count > 0 && name !== 'on-failure') {
    ctx.sink.error(`${path}.restart`, 'a maximum retry count can only be used with on-failure');
    return undefined;
  }
  switch (name) {
    case 'no':
      // docker/cli sets no policy for `no`, so Swarm's default (any) applies: say so.
      ctx.sink.warn(
        `${path}.restart`,
        'restart: no sets no restart policy, so the default (condition any) applies, as with docker stack deploy; use deploy.restart_policy.condition: none',
      );
      return undefined;
    case 'always':
    case 'unless-stopped':
      return { condition: 'any', ...attempts };
    case 'on-failure':
      return { condition: 'on-failure', ...attempts };
    default:
      ctx.sink.error(
        `${path}.restart`,
        `unknown restart policy ${JSON.stringify(service.restart)} (no, always, on-failure[:N], unless-stopped)`,
      );
      return undefined;
  }
}

/** convert.convertServiceNetworks: `default` when none, `<stack>_<name>` unless named, sorted. */
export function mapNetworks(
  ctx: MapContext,
  path: string,
  service: string,
  shape: ServiceShape,
): NetworkAttachmentConfig[] {
  const declared = ctx.project.model.networks;
  const entries: Array<[string, { aliases?: string[]; driver_opts?: Record<string, unknown> } | null]> =
    shape.networks === undefined
      ? [['default', null]]
      : Array.isArray(shape.networks)
        ? shape.networks.map((n) => [n, null])
        : Object.entries(shape.networks);
  if (entries.length === 0) entries.push(['default', null]);
  const out: NetworkAttachmentConfig[] = [];
  entries.forEach(([name, options]) => {
    const has = Object.prototype.hasOwnProperty.call(declared, name);
    if (!has && name !== 'default') {
      ctx.sink.error(
        `${path}.networks`,
        `undefined network ${JSON.stringify(name)}: declare it in the top-level networks section`,
      );
      return;
    }
    const network = has ? declared[name] : null;
    const target = network?.name ?? (isExternal(network) ? name : ctx.scope(name));
    const aliases = [...(options?.aliases ?? [])];
    // docker/cli adds the service name as an alias on user-defined networks only.
    if (!['host', 'bridge', 'none', 'default'].includes(target) && !target.startsWith('container:'))
      aliases.push(service);
    out.push({
      target,
      ...(aliases.length > 0 ? { aliases } : {}),
      ...(options?.driver_opts === undefined ? {} : { driverOpts: mapStrings(options.driver_opts) }),
    });
  });
  return out.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** convert.convertDeployMode. */
export function mapMode(ctx: MapContext, path: string, deploy: DeployShape): ServiceMode | undefined {
  const replicas = deploy.replicas;
  switch (deploy.mode ?? 'replicated') {
    case 'global':
    case 'global-job':
      if (replicas !== undefined) {
        ctx.sink.error(
          `${path}.replicas`,
          'replicas can only be used with replicated or replicated-job mode',
        );
        return undefined;
      }
      return deploy.mode === 'global' ? { global: {} } : { globalJob: {} };
    case 'replicated-job':
      return {
        replicatedJob: replicas === undefined ? {} : { maxConcurrent: replicas, totalCompletions: replicas },
      };
    default:
      return { replicated: replicas === undefined ? {} : { replicas } };
  }
}

/** convert.convertEndpointSpec with the loader's port syntaxes. */
export function mapEndpoint(
  ctx: MapContext,
  path: string,
  service: ServiceShape,
  deploy: DeployShape,
): EndpointSpec | undefined {
  const ports: PortConfig[] = [];
  (service.ports ?? []).forEach((entry, i) => {
    const at = `${path}.ports[${i}]`;
    if (typeof entry === 'number' || typeof entry === 'string') {
      const parsed = parseShortPort(String(entry));
      if (!parsed.ok) {
        ctx.sink.error(at, parsed.reason);
        return;
      }
      if (parsed.value.ignoredIp !== undefined) {
        ctx.sink.warn(
          at,
          `ignored host address ${parsed.value.ignoredIp}: the service listens on every address`,
        );
      }
      ports.push(...parsed.value.ports);
      return;
    }
    const port: PortConfig = { targetPort: entry.target };
    if (entry.name !== undefined) port.name = entry.name;
    if (entry.protocol !== undefined) port.protocol = entry.protocol;
    if (entry.mode !== undefined) port.publishMode = entry.mode;
    if (entry.published !== undefined) {
      const published =
        typeof entry.published === 'number'
          ? entry.published
          : /^\d+$/.test(entry.published)
            ? Number(entry.published)
            : NaN;
      if (!Number.isInteger(published) || published < 0 || published > 65535) {
        ctx.sink.error(`${at}.published`, 'must be a port number (ranges need the short syntax)');
        return;
      }
      if (published > 0) port.publishedPort = published;
    }
    ports.push(port);
  });
  if (ports.length === 0 && deploy.endpoint_mode === undefined) return undefined;
  return {
    ...(deploy.endpoint_mode === undefined ? {} : { mode: deploy.endpoint_mode }),
    ...(ports.length === 0 ? {} : { ports: ports.sort(comparePorts) }),
  };
}

export function updateConfig(source: NonNullable<DeployShape['update_config']>): UpdateConfig {
  // docker/cli: parallelism 1 unless given; the rest only when the file sets it.
  return {
    parallelism: source.parallelism ?? 1,
    ...(source.delay === undefined ? {} : { delay: source.delay }),
    ...(source.failure_action === undefined ? {} : { failureAction: source.failure_action }),
    ...(source.monitor === undefined ? {} : { monitor: source.monitor }),
    ...(source.max_failure_ratio === undefined ? {} : { maxFailureRatio: source.max_failure_ratio }),
    ...(source.order === undefined ? {} : { order: source.order }),
  };
}
