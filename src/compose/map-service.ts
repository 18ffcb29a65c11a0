// One compose service to a Flotilla ServiceSpec, field by field as docker/cli's convert.Service,
// then checked by the API's own validator so a spec Flotilla would refuse is reported here.

import {
  validateServiceSpec,
  type ContainerSpec,
  type ServiceSpec,
  type ConfigReference,
  type SecretReference,
} from '../api/index.js';
import {
  capabilities,
  mapCommands,
  mapEnvironment,
  mapHealthcheck,
  mapMounts,
  mapPullPolicy,
  mapReferences,
} from './map-container.js';
import { labelsOf, mapStrings, withStackLabel, type MapContext } from './map-context.js';
import {
  mapEndpoint,
  mapMode,
  mapNetworks,
  mapResources,
  mapRestartPolicy,
  updateConfig,
} from './map-task.js';
import { STACK_IMAGE_LABEL, type PlannedService, type ServiceDependency } from './plan.js';
import type { DeployShape, ServiceShape } from './project.js';

export function mapService(ctx: MapContext, name: string, service: ServiceShape): PlannedService | undefined {
  const path = `services.${name}`;
  const errorsBefore = ctx.sink.errors.length;
  if (service.build !== undefined) {
    if (service.image === undefined) {
      ctx.sink.error(
        `${path}.build`,
        'Swarm cannot build images: build and push the image, then name it with image:',
      );
    } else {
      ctx.sink.warn(
        `${path}.build`,
        `ignored: stack deploy does not build; the image ${service.image} is used`,
      );
    }
  }
  if (service.image === undefined) {
    if (service.build === undefined)
      ctx.sink.error(path, 'image: required (a stack runs images, it does not build them)');
    return undefined;
  }
  const deploy: DeployShape = service.deploy ?? {};
  const containerSpec: ContainerSpec = {
    image: service.image,
    ...mapCommands(ctx, path, service),
    ...(service.hostname === undefined ? {} : { hostname: service.hostname }),
    ...(mapEnvironment(ctx, path, service) ?? {}),
    labels: withStackLabel(ctx.stack, labelsOf(service.labels)),
    ...(service.working_dir === undefined ? {} : { dir: service.working_dir }),
    ...(service.user === undefined ? {} : { user: service.user }),
  };
  const mounts = mapMounts(ctx, path, service);
  if (mounts.length > 0) containerSpec.mounts = mounts;
  if (service.stop_grace_period !== undefined) containerSpec.stopGracePeriod = service.stop_grace_period;
  if (service.stop_signal !== undefined) containerSpec.stopSignal = service.stop_signal;
  if (service.tty !== undefined) containerSpec.tty = service.tty;
  if (service.stdin_open !== undefined) containerSpec.openStdin = service.stdin_open;
  if (service.read_only !== undefined) containerSpec.readOnly = service.read_only;
  if (service.init !== undefined) containerSpec.init = service.init;
  if (service.group_add !== undefined) containerSpec.groups = service.group_add.map(String);
  if (service.sysctls !== undefined) containerSpec.sysctls = labelsOf(service.sysctls);
  const capAdd = capabilities(service.cap_add);
  const capDrop = capabilities(service.cap_drop);
  if (capAdd.length > 0) containerSpec.capabilityAdd = capAdd;
  if (capDrop.length > 0) containerSpec.capabilityDrop = capDrop;
  if (service.ulimits !== undefined) {
    containerSpec.ulimits = Object.entries(service.ulimits)
      .map(([ulimit, v]) =>
        typeof v === 'number'
          ? { name: ulimit, soft: v, hard: v }
          : { name: ulimit, soft: v.soft, hard: v.hard },
      )
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  const dns = service.dns === undefined ? [] : ([] as string[]).concat(service.dns);
  const dnsSearch = service.dns_search === undefined ? [] : ([] as string[]).concat(service.dns_search);
  if (dns.length > 0 || dnsSearch.length > 0) {
    containerSpec.dnsConfig = {
      ...(dns.length > 0 ? { nameservers: dns } : {}),
      ...(dnsSearch.length > 0 ? { search: dnsSearch } : {}),
    };
  }
  const healthcheck = mapHealthcheck(ctx, path, service);
  if (healthcheck !== undefined) containerSpec.healthcheck = healthcheck;
  const secrets = mapReferences(ctx, path, 'secrets', service.secrets ?? []);
  if (secrets.length > 0)
    containerSpec.secrets = secrets.map((r): SecretReference => ({
      file: r.file,
      secretId: '',
      secretName: r.name,
    }));
  const configs = mapReferences(ctx, path, 'configs', service.configs ?? []);
  if (configs.length > 0)
    containerSpec.configs = configs.map((r): ConfigReference => ({
      file: r.file,
      configId: '',
      configName: r.name,
    }));
  if (service.pull_policy !== undefined) mapPullPolicy(ctx, path, service.pull_policy, containerSpec);

  const spec: ServiceSpec = {
    name: ctx.scope(name),
    labels: { ...withStackLabel(ctx.stack, labelsOf(deploy.labels)), [STACK_IMAGE_LABEL]: service.image },
    taskTemplate: { containerSpec },
  };
  const resources = mapResources(ctx, `${path}.deploy.resources`, deploy);
  if (resources !== undefined) spec.taskTemplate.resources = resources;
  const restartPolicy = mapRestartPolicy(ctx, path, service, deploy);
  if (restartPolicy !== undefined) spec.taskTemplate.restartPolicy = restartPolicy;
  const placement = deploy.placement;
  if (placement !== undefined) {
    const p: NonNullable<ServiceSpec['taskTemplate']['placement']> = {};
    if (placement.constraints !== undefined && placement.constraints.length > 0)
      p.constraints = placement.constraints;
    if (placement.preferences !== undefined && placement.preferences.length > 0) {
      p.preferences = placement.preferences.map((pref) => ({ spread: { spreadDescriptor: pref.spread } }));
    }
    if (placement.max_replicas_per_node !== undefined) p.maxReplicas = placement.max_replicas_per_node;
    if (Object.keys(p).length > 0) spec.taskTemplate.placement = p;
  }
  const networks = mapNetworks(ctx, path, name, service);
  if (networks.length > 0) spec.taskTemplate.networks = networks;
  if (service.logging !== undefined) {
    if (service.logging.driver === undefined)
      ctx.sink.warn(`${path}.logging`, 'ignored: options without a driver');
    else
      spec.taskTemplate.logDriver = {
        name: service.logging.driver,
        options: mapStrings(service.logging.options),
      };
  }
  const mode = mapMode(ctx, `${path}.deploy`, deploy);
  if (mode !== undefined) spec.mode = mode;
  const isJob = mode !== undefined && ('replicatedJob' in mode || 'globalJob' in mode);
  if (deploy.update_config !== undefined) {
    if (isJob)
      ctx.sink.error(`${path}.deploy.update_config`, 'not allowed for jobs (replicated-job, global-job)');
    else spec.updateConfig = updateConfig(deploy.update_config);
  }
  if (deploy.rollback_config !== undefined) {
    if (isJob)
      ctx.sink.error(`${path}.deploy.rollback_config`, 'not allowed for jobs (replicated-job, global-job)');
    else spec.rollbackConfig = updateConfig(deploy.rollback_config);
  }
  const endpoint = mapEndpoint(ctx, path, service, deploy);
  if (endpoint !== undefined) spec.endpointSpec = endpoint;

  if (ctx.sink.errors.length > errorsBefore) return undefined;
  // The API's own rules (name, template syntax, constraint syntax …) checked now, with
  // placeholder ids for the references deploy resolves.
  const checked = ctx.checked(path, () => validateServiceSpec(withPlaceholderIds(spec)));
  if (checked === undefined) return undefined;
  return { name, spec, dependsOn: mapDependsOn(ctx, path, service) };
}

export function mapDependsOn(ctx: MapContext, path: string, service: ServiceShape): ServiceDependency[] {
  const deps = service.depends_on;
  if (deps === undefined) return [];
  const entries: ServiceDependency[] = Array.isArray(deps)
    ? deps.map((d) => ({ service: d, condition: 'created' as const }))
    : Object.entries(deps).map(([d, v]) => ({ service: d, condition: v.condition }));
  return entries.filter((d) => {
    if (Object.prototype.hasOwnProperty.call(ctx.project.model.services, d.service)) return true;
    ctx.sink.error(`${path}.depends_on`, `depends on undefined service ${JSON.stringify(d.service)}`);
    return false;
  });
}

/** A copy of the spec whose reference ids are filled, for the API validator. */
export function withPlaceholderIds(spec: ServiceSpec): ServiceSpec {
  const container = spec.taskTemplate.containerSpec;
  return {
    ...spec,
    taskTemplate: {
      ...spec.taskTemplate,
      containerSpec: {
        ...container,
        ...(container.secrets
          ? { secrets: container.secrets.map((s) => ({ ...s, secretId: s.secretId || 'unresolved' })) }
          : {}),
        ...(container.configs
          ? { configs: container.configs.map((c) => ({ ...c, configId: c.configId || 'unresolved' })) }
          : {}),
      },
    },
  };
}
