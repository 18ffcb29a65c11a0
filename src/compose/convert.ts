// A compose project to the objects `docker stack deploy` creates (docker/cli cli/compose/convert):
// services named `<stack>_<service>`, secrets and configs named `<stack>_<name>`, everything
// labelled `com.docker.stack.namespace=<stack>`. Files (secrets, configs, env files) are read
// first; the mapping itself is pure. Whatever Flotilla's model cannot express is a warning.

import { readFile as fsReadFile } from 'node:fs/promises';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import {
  validateConfigSpec,
  validateSecretSpec,
  validateServiceSpec,
  ValidationError,
  type ConfigReference,
  type ConfigSpec,
  type ContainerSpec,
  type EndpointSpec,
  type HealthConfig,
  type Labels,
  type Mount,
  type NetworkAttachmentConfig,
  type PortConfig,
  type ResourceRequirements,
  type RestartPolicy,
  type SecretReference,
  type SecretSpec,
  type ServiceMode,
  type ServiceSpec,
  type UpdateConfig,
} from '../api/index.js';
import { parseEnvFile } from './interpolate.js';
import { comparePorts, parseShortPort } from './ports.js';
import { ComposeError, ProblemSink, type ComposeProblem } from './problems.js';
import { asDict, type ComposeProject, type DeployShape, type FileObjectShape, type ServiceShape } from './project.js';
import { shellSplit } from './shell-split.js';
import { parseCpus } from './units.js';
import { parseShortVolume } from './volumes.js';

/** docker/cli convert.LabelNamespace: on every object of a stack. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
/** docker/cli convert.LabelImage: the image as the compose file names it. */
export const STACK_IMAGE_LABEL = 'com.docker.stack.image';
/** Flotilla's own: a digest of a stack secret's data, since the API never returns the data. */
export const SECRET_DIGEST_LABEL = 'com.flotilla.stack.secret-digest';

export type DependencyCondition =
  | 'created'
  | 'service_started'
  | 'service_healthy'
  | 'service_completed_successfully';

export interface ServiceDependency {
  /** The compose name of the service depended on. */
  service: string;
  /** `created` for list syntax: only the order of creation. */
  condition: DependencyCondition;
}

export interface PlannedService {
  /** The compose name (`vote`); `spec.name` is the stack's (`voting_vote`). */
  name: string;
  /** Secret and config references carry empty ids, resolved by name when deploying. */
  spec: ServiceSpec;
  dependsOn: ServiceDependency[];
}

export interface PlannedSecret {
  /** The compose name (`db-password`). */
  key: string;
  spec: SecretSpec;
}

export interface PlannedConfig {
  key: string;
  spec: ConfigSpec;
}

/** Everything a deploy creates or updates, in dependency order, and what was warned about. */
export interface StackPlan {
  stack: string;
  services: PlannedService[];
  secrets: PlannedSecret[];
  configs: PlannedConfig[];
  /** Secrets and configs the file declares `external`: they must exist already. */
  externalSecrets: string[];
  externalConfigs: string[];
  warnings: ComposeProblem[];
}

export interface PlanOptions {
  /** Reads secret, config and env files; default fs.readFile. */
  readFile?: (path: string) => Promise<Uint8Array>;
}

const STACK_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_-]*[a-zA-Z0-9])?$/;

/** Maps a loaded project to the stack's objects; throws ComposeError listing every error. */
export async function planStack(project: ComposeProject, stack: string, options: PlanOptions = {}): Promise<StackPlan> {
  const sink = new ProblemSink(project.positionOf, [], [...project.warnings]);
  if (!STACK_NAME.test(stack)) {
    sink.error('', `invalid stack name ${JSON.stringify(stack)}: letters and digits, joined by - or _`);
    sink.throwIfErrors();
  }
  const read = options.readFile ?? ((path: string) => fsReadFile(path));
  const files = await readFiles(project, read);
  const mapper = new Mapper(project, stack, sink, files);
  const plan = mapper.plan();
  sink.throwIfErrors();
  return { ...plan, warnings: sink.warnings };
}

type FileContents = Map<string, Uint8Array | NodeJS.ErrnoException>;

/** The I/O edge: every file the mapping needs, read up front (missing ones kept as errors). */
async function readFiles(project: ComposeProject, read: (path: string) => Promise<Uint8Array>): Promise<FileContents> {
  const paths = new Set<string>();
  for (const objects of [project.model.secrets, project.model.configs]) {
    for (const object of Object.values(objects)) {
      if (object.file !== undefined && !isExternal(object)) paths.add(resolvePath(project.workingDir, object.file));
    }
  }
  for (const service of Object.values(project.model.services)) {
    for (const entry of envFiles(service)) paths.add(resolvePath(project.workingDir, entry.path));
  }
  const contents: FileContents = new Map();
  await Promise.all(
    [...paths].map(async (path) => {
      try {
        contents.set(path, await read(path));
      } catch (err) {
        contents.set(path, err as NodeJS.ErrnoException);
      }
    }),
  );
  return contents;
}

function envFiles(service: ServiceShape): Array<{ path: string; required: boolean }> {
  const list = service.env_file === undefined ? [] : typeof service.env_file === 'string' ? [service.env_file] : service.env_file;
  return list.map((entry) => (typeof entry === 'string' ? { path: entry, required: true } : { path: entry.path, required: entry.required ?? true }));
}

function isExternal(object: { external?: boolean | { name?: string } } | null | undefined): boolean {
  return object?.external !== undefined && object.external !== false;
}

function stringify(value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

function labelsOf(value: ServiceShape['labels']): Labels {
  const out: Labels = {};
  for (const [key, v] of Object.entries(asDict(value))) out[key] = stringify(v);
  return out;
}

function withStackLabel(stack: string, labels: Labels): Labels {
  return { ...labels, [STACK_NAMESPACE_LABEL]: stack };
}

class Mapper {
  constructor(
    private readonly project: ComposeProject,
    private readonly stack: string,
    private readonly sink: ProblemSink,
    private readonly files: FileContents,
  ) {}

  private scope(name: string): string {
    return `${this.stack}_${name}`;
  }

  plan(): Omit<StackPlan, 'warnings'> {
    const { model } = this.project;
    const secrets: PlannedSecret[] = [];
    const configs: PlannedConfig[] = [];
    const externalSecrets: string[] = [];
    const externalConfigs: string[] = [];
    for (const [key, object] of Object.entries(model.secrets)) {
      if (isExternal(object)) externalSecrets.push(this.objectName(key, object));
      else {
        const spec = this.secret(key, object);
        if (spec !== undefined) secrets.push({ key, spec });
      }
    }
    for (const [key, object] of Object.entries(model.configs)) {
      if (isExternal(object)) externalConfigs.push(this.objectName(key, object));
      else {
        const spec = this.config(key, object);
        if (spec !== undefined) configs.push({ key, spec });
      }
    }
    const services: PlannedService[] = [];
    for (const [name, service] of Object.entries(model.services)) {
      const planned = this.service(name, service);
      if (planned !== undefined) services.push(planned);
    }
    const networks = new Set(services.flatMap((s) => (s.spec.taskTemplate.networks ?? []).map((n) => n.target)));
    if (networks.size > 0) {
      this.sink.warn(
        'networks',
        `Flotilla does not create networks: the services record their attachments (${[...networks].sort().join(', ')}) but their tasks use each engine's default network`,
      );
    }
    return { stack: this.stack, services: this.order(services), secrets, configs, externalSecrets, externalConfigs };
  }

  // ---- secrets and configs (convert.Secrets, convert.Configs) --------------------------------

  private objectName(key: string, object: FileObjectShape): string {
    if (object.name !== undefined) return object.name;
    // An external object without a name is found under its key (loader.loadFileObjectConfig).
    if (isExternal(object)) return typeof object.external === 'object' && object.external.name !== undefined ? object.external.name : key;
    return this.scope(key);
  }

  private objectData(kind: 'secrets' | 'configs', key: string, object: FileObjectShape): Uint8Array | undefined {
    const path = `${kind}.${key}`;
    if (object.file !== undefined) {
      const absolute = resolvePath(this.project.workingDir, object.file);
      const data = this.files.get(absolute);
      if (data === undefined || !(data instanceof Uint8Array)) {
        const reason = data?.code === 'ENOENT' ? 'does not exist' : `cannot be read (${data?.message ?? 'unknown error'})`;
        this.sink.error(`${path}.file`, `file ${object.file} (${absolute}) ${reason}`);
        return undefined;
      }
      return data;
    }
    if (object.content !== undefined) return Buffer.from(object.content, 'utf8');
    if (object.environment !== undefined) {
      const value = this.project.lookup(object.environment);
      if (value === undefined) {
        this.sink.error(`${path}.environment`, `variable ${object.environment} is not set`);
        return undefined;
      }
      return Buffer.from(value, 'utf8');
    }
    this.sink.error(path, `needs one of file, ${kind === 'configs' ? 'content, ' : ''}environment${kind === 'secrets' ? ', driver' : ''} or external`);
    return undefined;
  }

  private secret(key: string, object: FileObjectShape): SecretSpec | undefined {
    const path = `secrets.${key}`;
    const labels = withStackLabel(this.stack, labelsOf(object.labels));
    const spec: SecretSpec = { name: this.objectName(key, object), labels };
    if (object.driver !== undefined) {
      if (object.file !== undefined) this.sink.error(`${path}.driver`, 'driver and file conflict: use only driver');
      spec.driver = { name: object.driver, options: mapStrings(object.driver_opts) };
    } else {
      const data = this.objectData('secrets', key, object);
      if (data === undefined) return undefined;
      spec.data = data;
    }
    if (object.template_driver !== undefined) spec.templating = { name: object.template_driver };
    return this.checked(path, () => validateSecretSpec(spec));
  }

  private config(key: string, object: FileObjectShape): ConfigSpec | undefined {
    const path = `configs.${key}`;
    const data = this.objectData('configs', key, object);
    if (data === undefined) return undefined;
    const spec: ConfigSpec = { name: this.objectName(key, object), labels: withStackLabel(this.stack, labelsOf(object.labels)), data };
    if (object.template_driver !== undefined) spec.templating = { name: object.template_driver };
    return this.checked(path, () => validateConfigSpec(spec));
  }

  /** Runs an API validator, reporting its error at the compose path. */
  private checked<T>(path: string, validate: () => T): T | undefined {
    try {
      return validate();
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      this.sink.error(path, `Flotilla refuses the result: ${err.message}`);
      return undefined;
    }
  }

  // ---- services (convert.Service) ------------------------------------------------------------

  private service(name: string, service: ServiceShape): PlannedService | undefined {
    const path = `services.${name}`;
    const errorsBefore = this.sink.errors.length;
    if (service.build !== undefined) {
      if (service.image === undefined) {
        this.sink.error(`${path}.build`, 'Swarm cannot build images: build and push the image, then name it with image:');
      } else {
        this.sink.warn(`${path}.build`, `ignored: stack deploy does not build; the image ${service.image} is used`);
      }
    }
    if (service.image === undefined) {
      if (service.build === undefined) this.sink.error(path, 'image: required (a stack runs images, it does not build them)');
      return undefined;
    }
    const deploy: DeployShape = service.deploy ?? {};
    const containerSpec: ContainerSpec = {
      image: service.image,
      ...this.commands(path, service),
      ...(service.hostname === undefined ? {} : { hostname: service.hostname }),
      ...(this.environment(path, service) ?? {}),
      labels: withStackLabel(this.stack, labelsOf(service.labels)),
      ...(service.working_dir === undefined ? {} : { dir: service.working_dir }),
      ...(service.user === undefined ? {} : { user: service.user }),
    };
    const mounts = this.mounts(path, service);
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
        .map(([ulimit, v]) => (typeof v === 'number' ? { name: ulimit, soft: v, hard: v } : { name: ulimit, soft: v.soft, hard: v.hard }))
        .sort((a, b) => a.name.localeCompare(b.name));
    }
    const dns = service.dns === undefined ? [] : ([] as string[]).concat(service.dns);
    const dnsSearch = service.dns_search === undefined ? [] : ([] as string[]).concat(service.dns_search);
    if (dns.length > 0 || dnsSearch.length > 0) {
      containerSpec.dnsConfig = { ...(dns.length > 0 ? { nameservers: dns } : {}), ...(dnsSearch.length > 0 ? { search: dnsSearch } : {}) };
    }
    const healthcheck = this.healthcheck(path, service);
    if (healthcheck !== undefined) containerSpec.healthcheck = healthcheck;
    const secrets = this.references(path, 'secrets', service.secrets ?? []);
    if (secrets.length > 0) containerSpec.secrets = secrets.map((r): SecretReference => ({ file: r.file, secretId: '', secretName: r.name }));
    const configs = this.references(path, 'configs', service.configs ?? []);
    if (configs.length > 0) containerSpec.configs = configs.map((r): ConfigReference => ({ file: r.file, configId: '', configName: r.name }));
    if (service.pull_policy !== undefined) this.pullPolicy(path, service.pull_policy, containerSpec);

    const spec: ServiceSpec = {
      name: this.scope(name),
      labels: { ...withStackLabel(this.stack, labelsOf(deploy.labels)), [STACK_IMAGE_LABEL]: service.image },
      taskTemplate: { containerSpec },
    };
    const resources = this.resources(`${path}.deploy.resources`, deploy);
    if (resources !== undefined) spec.taskTemplate.resources = resources;
    const restartPolicy = this.restartPolicy(path, service, deploy);
    if (restartPolicy !== undefined) spec.taskTemplate.restartPolicy = restartPolicy;
    const placement = deploy.placement;
    if (placement !== undefined) {
      const p: NonNullable<ServiceSpec['taskTemplate']['placement']> = {};
      if (placement.constraints !== undefined && placement.constraints.length > 0) p.constraints = placement.constraints;
      if (placement.preferences !== undefined && placement.preferences.length > 0) {
        p.preferences = placement.preferences.map((pref) => ({ spread: { spreadDescriptor: pref.spread } }));
      }
      if (placement.max_replicas_per_node !== undefined) p.maxReplicas = placement.max_replicas_per_node;
      if (Object.keys(p).length > 0) spec.taskTemplate.placement = p;
    }
    const networks = this.networks(path, name, service);
    if (networks.length > 0) spec.taskTemplate.networks = networks;
    if (service.logging !== undefined) {
      if (service.logging.driver === undefined) this.sink.warn(`${path}.logging`, 'ignored: options without a driver');
      else spec.taskTemplate.logDriver = { name: service.logging.driver, options: mapStrings(service.logging.options) };
    }
    const mode = this.mode(`${path}.deploy`, deploy);
    if (mode !== undefined) spec.mode = mode;
    const isJob = mode !== undefined && ('replicatedJob' in mode || 'globalJob' in mode);
    if (deploy.update_config !== undefined) {
      if (isJob) this.sink.error(`${path}.deploy.update_config`, 'not allowed for jobs (replicated-job, global-job)');
      else spec.updateConfig = updateConfig(deploy.update_config);
    }
    if (deploy.rollback_config !== undefined) {
      if (isJob) this.sink.error(`${path}.deploy.rollback_config`, 'not allowed for jobs (replicated-job, global-job)');
      else spec.rollbackConfig = updateConfig(deploy.rollback_config);
    }
    const endpoint = this.endpoint(path, service, deploy);
    if (endpoint !== undefined) spec.endpointSpec = endpoint;

    if (this.sink.errors.length > errorsBefore) return undefined;
    // The API's own rules (name, template syntax, constraint syntax …) checked now, with
    // placeholder ids for the references deploy resolves.
    const checked = this.checked(path, () => validateServiceSpec(withPlaceholderIds(spec)));
    if (checked === undefined) return undefined;
    return { name, spec, dependsOn: this.dependsOn(path, service) };
  }

  private commands(path: string, service: ServiceShape): Pick<ContainerSpec, 'command' | 'args'> {
    const split = (key: 'entrypoint' | 'command'): string[] | undefined => {
      const value = service[key];
      if (value === undefined || value === null) return undefined;
      if (Array.isArray(value)) return value;
      try {
        return shellSplit(value);
      } catch (err) {
        this.sink.error(`${path}.${key}`, `cannot split into words: ${(err as Error).message}`);
        return undefined;
      }
    };
    // docker/cli: the entrypoint replaces the image's entrypoint (Command), command its CMD (Args).
    const command = split('entrypoint');
    const args = split('command');
    return { ...(command === undefined ? {} : { command }), ...(args === undefined ? {} : { args }) };
  }

  /** loader.resolveEnvironment + convert.convertEnvironment: env files, then environment; sorted. */
  private environment(path: string, service: ServiceShape): { env: string[] } | undefined {
    const values = new Map<string, string | null>();
    const { lookup } = this.project;
    const set = (key: string, value: string | null): void => {
      // An empty or missing value is taken from the environment when it has the variable.
      const fromEnv = lookup(key);
      values.set(key, (value === null || value === '') && fromEnv !== undefined ? fromEnv : value);
    };
    envFiles(service).forEach((entry, i) => {
      const at = typeof service.env_file === 'string' ? `${path}.env_file` : `${path}.env_file[${i}]`;
      const absolute = resolvePath(this.project.workingDir, entry.path);
      const data = this.files.get(absolute);
      if (data === undefined || !(data instanceof Uint8Array)) {
        if (entry.required) this.sink.error(at, `env file ${entry.path} (${absolute}) ${data?.code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`);
        return;
      }
      const parsed = parseEnvFile(Buffer.from(data).toString('utf8'), { dotenv: false, lookup });
      for (const e of parsed.errors) this.sink.error(at, `${entry.path} line ${e.line}: ${e.reason}`);
      for (const [key, value] of parsed.entries) set(key, value);
    });
    for (const [key, value] of Object.entries(asDict(service.environment))) {
      set(key, value === null ? null : String(value));
    }
    if (values.size === 0) return undefined;
    const env: string[] = [];
    for (const [key, value] of values) {
      if (value === null) this.sink.warn(`${path}.environment`, `${key} has no value and is not set in the environment: left out`);
      else env.push(`${key}=${value}`);
    }
    return { env: env.sort() };
  }

  private healthcheck(path: string, service: ServiceShape): HealthConfig | undefined {
    const h = service.healthcheck;
    if (h === undefined) return undefined;
    const at = `${path}.healthcheck`;
    if (h.disable === true) {
      if (h.test !== undefined && !(Array.isArray(h.test) && h.test[0] === 'NONE')) {
        this.sink.error(at, "test and disable can't be set at the same time");
      }
      return { test: ['NONE'] };
    }
    const health: HealthConfig = {};
    if (h.test !== undefined) {
      const test = typeof h.test === 'string' ? ['CMD-SHELL', h.test] : h.test;
      const [kind] = test;
      if (test.length > 0 && kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') {
        this.sink.error(`${at}.test`, 'a list must start with CMD, CMD-SHELL or NONE');
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
  private mounts(path: string, service: ServiceShape): Mount[] {
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
          this.sink.error(at, parsed.reason);
          return;
        }
        ({ type, source, target } = parsed.value);
        if (parsed.value.readOnly !== undefined) mount.readOnly = parsed.value.readOnly;
        if (parsed.value.propagation !== undefined) mount.bindOptions = { propagation: parsed.value.propagation };
        noCopy = parsed.value.noCopy;
        if (parsed.value.ignoredOptions.length > 0) this.sink.warn(at, `ignored volume options: ${parsed.value.ignoredOptions.join(', ')}`);
      } else {
        if (entry.type === 'cluster' || entry.type === 'npipe' || entry.type === 'image') {
          this.sink.error(`${at}.type`, `${entry.type} mounts are not supported`);
          return;
        }
        type = entry.type;
        source = entry.source;
        target = entry.target;
        if (entry.read_only !== undefined) mount.readOnly = entry.read_only;
        if (entry.consistency !== undefined) {
          if (['default', 'consistent', 'cached', 'delegated'].includes(entry.consistency)) mount.consistency = entry.consistency as Mount['consistency'];
          else this.sink.warn(`${at}.consistency`, `ignored: ${entry.consistency} is not a consistency Docker knows`);
        }
        const wrongOptions = (['bind', 'volume', 'tmpfs'] as const).filter((k) => k !== type && entry[k] !== undefined);
        for (const k of wrongOptions) this.sink.error(`${at}.${k}`, `${k} options are incompatible with type ${type}`);
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
        this.sink.error(at, 'target: required');
        return;
      }
      if (type === 'bind') {
        if (source === undefined || source === '') {
          this.sink.error(at, 'a bind mount needs a source');
          return;
        }
        source = this.hostPath(source);
      } else if (type === 'tmpfs') {
        if (source !== undefined && source !== '') {
          this.sink.error(at, 'a tmpfs mount takes no source');
          return;
        }
        source = undefined;
      } else if (source !== undefined && source !== '') {
        const volume = Object.prototype.hasOwnProperty.call(this.project.model.volumes, source) ? this.project.model.volumes[source] : undefined;
        if (volume === undefined) {
          this.sink.error(at, `undefined volume ${JSON.stringify(source)}: declare it in the top-level volumes section`);
          return;
        }
        const options: NonNullable<Mount['volumeOptions']> = {};
        if (noCopy !== undefined) options.noCopy = noCopy;
        const external = isExternal(volume);
        source = volume?.name ?? (external ? source : this.scope(source));
        if (!external) {
          options.labels = withStackLabel(this.stack, labelsOf(volume?.labels));
          if (volume?.driver !== undefined || volume?.driver_opts !== undefined) {
            options.driverConfig = { name: volume?.driver ?? 'local', options: mapStrings(volume?.driver_opts) };
          }
        }
        mount.volumeOptions = options;
      } else {
        source = undefined;
        if (noCopy !== undefined) mount.volumeOptions = { noCopy };
      }
      mounts.push({ type, ...(source === undefined ? {} : { source }), target, ...mount } as Mount);
    });
    const tmpfs = service.tmpfs === undefined ? [] : ([] as string[]).concat(service.tmpfs);
    tmpfs.forEach((entry, i) => {
      const [target = '', options] = entry.split(/:(.*)/s);
      if (options !== undefined && options !== '') this.sink.warn(`${path}.tmpfs`, `ignored tmpfs options of ${target}: ${options}`);
      if (!isAbsolute(target)) this.sink.error(`${path}.tmpfs${typeof service.tmpfs === 'string' ? '' : `[${i}]`}`, `${JSON.stringify(target)} must be an absolute path`);
      else mounts.push({ type: 'tmpfs', target });
    });
    return mounts;
  }

  /** loader.resolveVolumePaths: `~` is $HOME, a relative path is relative to the compose file. */
  private hostPath(source: string): string {
    let path = source;
    if (path.startsWith('~')) {
      const home = this.project.lookup('HOME');
      if (home !== undefined) path = home + path.slice(1);
    }
    return isAbsolute(path) ? path : join(this.project.workingDir, path);
  }

  /** convert.convertServiceSecrets / convertServiceConfigObjs: sorted by object name. */
  private references(
    path: string,
    kind: 'secrets' | 'configs',
    entries: NonNullable<ServiceShape['secrets']>,
  ): Array<{ name: string; file: SecretReference['file'] }> {
    const declared = this.project.model[kind];
    const refs: Array<{ name: string; file: SecretReference['file'] }> = [];
    entries.forEach((entry, i) => {
      const ref = typeof entry === 'string' ? { source: entry } : entry;
      const object = Object.prototype.hasOwnProperty.call(declared, ref.source) ? declared[ref.source] : undefined;
      if (object === undefined) {
        this.sink.error(`${path}.${kind}[${i}]`, `undefined ${kind === 'secrets' ? 'secret' : 'config'} ${JSON.stringify(ref.source)}: declare it in the top-level ${kind} section`);
        return;
      }
      const file: SecretReference['file'] = {
        name: ref.target ?? ref.source,
        uid: ref.uid === undefined ? '0' : String(ref.uid),
        gid: ref.gid === undefined ? '0' : String(ref.gid),
        mode: ref.mode ?? 0o444,
      };
      refs.push({ name: this.objectName(ref.source, object), file });
    });
    return refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private pullPolicy(path: string, policy: string, spec: ContainerSpec): void {
    if (policy === 'always') spec.pullPolicy = 'always';
    else if (policy === 'missing' || policy === 'if_not_present') spec.pullPolicy = 'missing';
    else if (policy === 'never') spec.pullPolicy = 'never';
    else this.sink.warn(`${path}.pull_policy`, `ignored: ${policy} is not a policy Flotilla has (always, missing, never)`);
  }

  private resources(path: string, deploy: DeployShape): ResourceRequirements | undefined {
    const source = deploy.resources;
    if (source === undefined) return undefined;
    const cpus = (value: number | string | undefined, at: string): number | undefined => {
      if (value === undefined) return undefined;
      const parsed = parseCpus(value);
      if (!parsed.ok) this.sink.error(at, parsed.reason);
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
          this.sink.error(`${path}.reservations.generic_resources[${i}]`, 'needs discrete_resource_spec with kind and value');
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
  private restartPolicy(path: string, service: ServiceShape, deploy: DeployShape): RestartPolicy | undefined {
    const policy = deploy.restart_policy;
    if (policy !== undefined) {
      if (service.restart !== undefined) this.sink.warn(`${path}.restart`, 'ignored: deploy.restart_policy is set');
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
      this.sink.error(`${path}.restart`, 'a maximum retry count can only be used with on-failure');
      return undefined;
    }
    switch (name) {
      case 'no':
        return undefined;
      case 'always':
      case 'unless-stopped':
        return { condition: 'any', ...attempts };
      case 'on-failure':
        return { condition: 'on-failure', ...attempts };
      default:
        this.sink.error(`${path}.restart`, `unknown restart policy ${JSON.stringify(service.restart)} (no, always, on-failure[:N], unless-stopped)`);
        return undefined;
    }
  }

  /** convert.convertServiceNetworks: `default` when none, `<stack>_<name>` unless named, sorted. */
  private networks(path: string, service: string, shape: ServiceShape): NetworkAttachmentConfig[] {
    const declared = this.project.model.networks;
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
        this.sink.error(`${path}.networks`, `undefined network ${JSON.stringify(name)}: declare it in the top-level networks section`);
        return;
      }
      const network = has ? declared[name] : null;
      const target = network?.name ?? (isExternal(network) ? name : this.scope(name));
      const aliases = [...(options?.aliases ?? [])];
      // docker/cli adds the service name as an alias on user-defined networks only.
      if (!['host', 'bridge', 'none', 'default'].includes(target) && !target.startsWith('container:')) aliases.push(service);
      out.push({
        target,
        ...(aliases.length > 0 ? { aliases } : {}),
        ...(options?.driver_opts === undefined ? {} : { driverOpts: mapStrings(options.driver_opts as Record<string, string>) }),
      });
    });
    return out.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }

  /** convert.convertDeployMode. */
  private mode(path: string, deploy: DeployShape): ServiceMode | undefined {
    const replicas = deploy.replicas;
    switch (deploy.mode ?? 'replicated') {
      case 'global':
      case 'global-job':
        if (replicas !== undefined) {
          this.sink.error(`${path}.replicas`, 'replicas can only be used with replicated or replicated-job mode');
          return undefined;
        }
        return deploy.mode === 'global' ? { global: {} } : { globalJob: {} };
      case 'replicated-job':
        return { replicatedJob: replicas === undefined ? {} : { maxConcurrent: replicas, totalCompletions: replicas } };
      default:
        return { replicated: replicas === undefined ? {} : { replicas } };
    }
  }

  /** convert.convertEndpointSpec with the loader's port syntaxes. */
  private endpoint(path: string, service: ServiceShape, deploy: DeployShape): EndpointSpec | undefined {
    const ports: PortConfig[] = [];
    (service.ports ?? []).forEach((entry, i) => {
      const at = `${path}.ports[${i}]`;
      if (typeof entry === 'number' || typeof entry === 'string') {
        const parsed = parseShortPort(String(entry));
        if (!parsed.ok) {
          this.sink.error(at, parsed.reason);
          return;
        }
        if (parsed.value.ignoredIp !== undefined) {
          this.sink.warn(at, `ignored host address ${parsed.value.ignoredIp}: the service listens on every address`);
        }
        ports.push(...parsed.value.ports);
        return;
      }
      const port: PortConfig = { targetPort: entry.target };
      if (entry.name !== undefined) port.name = entry.name;
      if (entry.protocol !== undefined) port.protocol = entry.protocol;
      if (entry.mode !== undefined) port.publishMode = entry.mode;
      if (entry.published !== undefined) {
        const published = typeof entry.published === 'number' ? entry.published : /^\d+$/.test(entry.published) ? Number(entry.published) : NaN;
        if (!Number.isInteger(published) || published < 0 || published > 65535) {
          this.sink.error(`${at}.published`, 'must be a port number (ranges need the short syntax)');
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

  private dependsOn(path: string, service: ServiceShape): ServiceDependency[] {
    const deps = service.depends_on;
    if (deps === undefined) return [];
    const entries: ServiceDependency[] = Array.isArray(deps)
      ? deps.map((d) => ({ service: d, condition: 'created' as const }))
      : Object.entries(deps).map(([d, v]) => ({ service: d, condition: v.condition }));
    return entries.filter((d) => {
      if (Object.prototype.hasOwnProperty.call(this.project.model.services, d.service)) return true;
      this.sink.error(`${path}.depends_on`, `depends on undefined service ${JSON.stringify(d.service)}`);
      return false;
    });
  }

  /** Dependencies first, otherwise the file's order; a cycle is an error naming it. */
  private order(services: PlannedService[]): PlannedService[] {
    const byName = new Map(services.map((s) => [s.name, s]));
    const out: PlannedService[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (s: PlannedService, chain: string[]): void => {
      const seen = state.get(s.name);
      if (seen === 'done') return;
      if (seen === 'visiting') {
        this.sink.error(`services.${s.name}.depends_on`, `dependency cycle: ${[...chain, s.name].join(' -> ')}`);
        return;
      }
      state.set(s.name, 'visiting');
      for (const dep of s.dependsOn) {
        const target = byName.get(dep.service);
        if (target !== undefined) visit(target, [...chain, s.name]);
      }
      state.set(s.name, 'done');
      out.push(s);
    };
    for (const s of services) visit(s, []);
    return out;
  }
}

function capabilities(list: string[] | undefined): string[] {
  const names = (list ?? []).map((c) => {
    const upper = c.toUpperCase();
    return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  });
  return [...new Set(names)].sort();
}

function mapStrings(value: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value ?? {})) out[key] = v === null || v === undefined ? '' : String(v as string);
  return out;
}

function updateConfig(source: NonNullable<DeployShape['update_config']>): UpdateConfig {
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

/** A copy of the spec whose reference ids are filled, for the API validator. */
export function withPlaceholderIds(spec: ServiceSpec): ServiceSpec {
  const container = spec.taskTemplate.containerSpec;
  return {
    ...spec,
    taskTemplate: {
      ...spec.taskTemplate,
      containerSpec: {
        ...container,
        ...(container.secrets ? { secrets: container.secrets.map((s) => ({ ...s, secretId: s.secretId || 'unresolved' })) } : {}),
        ...(container.configs ? { configs: container.configs.map((c) => ({ ...c, configId: c.configId || 'unresolved' })) } : {}),
      },
    },
  };
}

export { ComposeError };
