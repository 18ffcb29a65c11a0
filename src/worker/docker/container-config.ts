// The body of the engine's `POST /containers/create` for one task: a pure mapping of the task's
// ContainerSpec (templates expanded) to Docker's container config, after SwarmKit's
// agent/exec/dockerapi/container.go. Also the labels that mark a container as a task's.

import {
  DEFAULT_STOP_GRACE_PERIOD,
  expandEnvEntry,
  expandTemplate,
  fullTaskName,
  templateContext,
  type ContainerSpec,
  type HealthConfig,
  type Labels,
  type Mount,
  type PortConfig,
  type Task,
  type TemplateContext,
} from '../../api/index.js';
import type { TaskContext } from '../executor.js';

/** The labels every task container carries; `task.id` is the one adoption and events key on. */
export const TASK_LABELS = {
  serviceId: 'com.flotilla.service.id',
  serviceName: 'com.flotilla.service.name',
  taskId: 'com.flotilla.task.id',
  taskName: 'com.flotilla.task.name',
  nodeId: 'com.flotilla.node.id',
} as const;

/** A secret or config file prepared on the host and where it appears in the container. */
export interface FileMount {
  source: string;
  target: string;
}

// The API's own shapes (v1.41). @types/dockerode lags it (BindOptions.NonRecursive, optional
// fields it marks required), so the body is typed here and handed to dockerode as is.
export interface MountBody {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Labels;
    DriverConfig?: { Name: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HealthcheckBody {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface HostConfigBody {
  Mounts: MountBody[];
  RestartPolicy: { Name: 'no' };
  ReadonlyRootfs?: boolean;
  GroupAdd?: string[];
  NanoCpus?: number;
  Memory?: number;
  MemoryReservation?: number;
  PidsLimit?: number;
  Init?: boolean;
  Sysctls?: Record<string, string>;
  CapAdd?: string[];
  CapDrop?: string[];
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  LogConfig?: { Type: string; Config: Record<string, string> };
  /** Host-mode ports: `80/tcp` → the host address and port (an empty port: the engine picks). */
  PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
}

export interface ContainerCreateBody {
  name: string;
  Image: string;
  Labels: Labels;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StopSignal?: string;
  /** Seconds. */
  StopTimeout: number;
  Healthcheck?: HealthcheckBody;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: HostConfigBody;
}

/** The container's name: Docker's `<service>.<slot>.<task id>` (`<service>.<node id>.<task id>` for global). */
export function containerName(context: TaskContext): string {
  return fullTaskName(context.task, context.service.name);
}

export function taskTemplateContext(context: TaskContext): TemplateContext {
  return templateContext({ task: context.task, service: context.service, node: context.node });
}

/** Docker's StopTimeout is whole seconds; rounding up never cuts a grace period short. */
export function stopTimeoutSeconds(spec: ContainerSpec): number {
  return Math.ceil((spec.stopGracePeriod ?? DEFAULT_STOP_GRACE_PERIOD) / 1e9);
}

/**
 * The create body for the task. Throws TemplateError when a template does not expand (specs are
 * validated on create, so only a task stored before that rule existed gets here).
 */
export function containerCreateBody(
  context: TaskContext,
  fileMounts: readonly FileMount[],
  extraLabels: Readonly<Labels>,
  publishHost = '',
): ContainerCreateBody {
  const { task, service, node } = context;
  const spec = task.spec.containerSpec;
  const templates = taskTemplateContext(context);
  const limits = task.spec.resources?.limits;
  const reservations = task.spec.resources?.reservations;
  const dns = spec.dnsConfig;
  const hostConfig: HostConfigBody = {
    Mounts: [
      ...(spec.mounts ?? []).map((mount) => mountBody(mount, templates)),
      ...fileMounts.map((file): MountBody => ({
        Type: 'bind',
        Source: file.source,
        Target: file.target,
        ReadOnly: true,
      })),
    ],
    // The managers restart tasks (as new tasks); an engine restart would hide failures from them.
    RestartPolicy: { Name: 'no' },
    ReadonlyRootfs: spec.readOnly,
    GroupAdd: spec.groups,
    NanoCpus: limits?.nanoCpus,
    Memory: limits?.memoryBytes,
    PidsLimit: limits?.pids,
    MemoryReservation: reservations?.memoryBytes,
    Init: spec.init,
    Sysctls: spec.sysctls,
    CapAdd: spec.capabilityAdd,
    CapDrop: spec.capabilityDrop,
    Ulimits: spec.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    Dns: dns?.nameservers,
    DnsSearch: dns?.search,
    DnsOptions: dns?.options,
    LogConfig:
      task.spec.logDriver === undefined
        ? undefined
        : { Type: task.spec.logDriver.name, Config: task.spec.logDriver.options ?? {} },
    PortBindings: portBindings(task, publishHost),
  };
  const body: ContainerCreateBody = {
    name: containerName(context),
    Image: spec.image,
    Labels: {
      ...spec.labels,
      ...extraLabels,
      [TASK_LABELS.serviceId]: service.id,
      [TASK_LABELS.serviceName]: service.name,
      [TASK_LABELS.taskId]: task.id,
      [TASK_LABELS.taskName]: templates.task.name,
      [TASK_LABELS.nodeId]: node.id,
    },
    // As `docker service create`: the command replaces the image's entrypoint, args its cmd.
    Entrypoint: spec.command !== undefined && spec.command.length > 0 ? spec.command : undefined,
    Cmd: spec.args !== undefined && spec.args.length > 0 ? spec.args : undefined,
    Env: spec.env?.map((entry) => expandEnvEntry(entry, templates)),
    WorkingDir: spec.dir,
    User: spec.user,
    Hostname: spec.hostname === undefined ? undefined : expandTemplate(spec.hostname, templates),
    Tty: spec.tty,
    OpenStdin: spec.openStdin,
    StopSignal: spec.stopSignal,
    StopTimeout: stopTimeoutSeconds(spec),
    Healthcheck: spec.healthcheck === undefined ? undefined : healthcheckBody(spec.healthcheck),
    ExposedPorts: exposedPorts(task),
    HostConfig: dropUndefined(hostConfig),
  };
  return dropUndefined(body);
}

/** The task's host-mode ports (`publishMode: host`), from the endpoint it was allocated with. */
export function hostModePorts(task: Task): PortConfig[] {
  return (task.endpoint?.ports ?? []).filter((p) => p.publishMode === 'host');
}

/** `80/tcp`: the engine's name of a container port. */
function enginePortKey(port: PortConfig): string {
  return `${port.targetPort}/${port.protocol ?? 'tcp'}`;
}

function exposedPorts(task: Task): ContainerCreateBody['ExposedPorts'] {
  const ports = hostModePorts(task);
  if (ports.length === 0) return undefined;
  return Object.fromEntries(ports.map((p) => [enginePortKey(p), {}]));
}

/**
 * Host mode as Swarm does it: the container's own port binding on the node, at the published
 * port or, without one, a port the engine picks. Bound on `publishHost` (the node's listen
 * address; '' for every interface), so nodes that share a machine each publish on their own.
 */
function portBindings(task: Task, publishHost: string): HostConfigBody['PortBindings'] {
  const ports = hostModePorts(task);
  if (ports.length === 0) return undefined;
  const bindings: NonNullable<HostConfigBody['PortBindings']> = {};
  for (const port of ports)
    (bindings[enginePortKey(port)] ??= []).push({
      HostIp: publishHost,
      HostPort: port.publishedPort === undefined ? '' : String(port.publishedPort),
    });
  return bindings;
}

/**
 * The host-mode ports as the engine published them (the host port it picked filled in), for
 * the task's status: what `docker service ps` shows and the scheduler counts as taken.
 */
export function publishedHostPorts(
  task: Task,
  engine: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | undefined,
): PortConfig[] {
  const out: PortConfig[] = [];
  // One container port may be published more than once: its host ports come in the spec's
  // order, each listed once per address family the engine bound (0.0.0.0 and ::).
  const used = new Map<string, number>();
  for (const port of hostModePorts(task)) {
    const key = enginePortKey(port);
    const nth = used.get(key) ?? 0;
    used.set(key, nth + 1);
    const hostPorts = [...new Set((engine?.[key] ?? []).map((b) => b.HostPort))];
    const hostPort = Number(hostPorts[nth] ?? port.publishedPort ?? 0);
    out.push({ ...port, ...(hostPort > 0 ? { publishedPort: hostPort } : {}) });
  }
  return out;
}

/**
 * Whether the container will run a healthcheck: the spec's own test, or the image's when the
 * spec names none (the engine merges the image's test into an empty one).
 */
export function hasHealthcheck(spec: ContainerSpec, imageTest: readonly string[] | undefined): boolean {
  const test =
    spec.healthcheck?.test !== undefined && spec.healthcheck.test.length > 0
      ? spec.healthcheck.test
      : imageTest;
  return isActiveHealthTest(test);
}

export function isActiveHealthTest(test: readonly string[] | undefined | null): boolean {
  return test !== undefined && test !== null && test.length > 0 && test[0] !== 'NONE';
}

function healthcheckBody(health: HealthConfig): HealthcheckBody {
  // Both APIs count durations in nanoseconds, so they pass through unchanged.
  return dropUndefined({
    Test: health.test,
    Interval: health.interval,
    Timeout: health.timeout,
    Retries: health.retries,
    StartPeriod: health.startPeriod,
    StartInterval: health.startInterval,
  });
}

function mountBody(mount: Mount, templates: TemplateContext): MountBody {
  const body: MountBody = {
    Type: mount.type,
    Source: mount.source === undefined ? undefined : expandTemplate(mount.source, templates),
    Target: mount.target,
    ReadOnly: mount.readOnly,
    Consistency: mount.consistency,
  };
  if (mount.bindOptions !== undefined) {
    body.BindOptions = dropUndefined({
      Propagation: mount.bindOptions.propagation,
      NonRecursive: mount.bindOptions.nonRecursive,
    });
  }
  if (mount.volumeOptions !== undefined) {
    const driver = mount.volumeOptions.driverConfig;
    body.VolumeOptions = dropUndefined({
      NoCopy: mount.volumeOptions.noCopy,
      Labels: mount.volumeOptions.labels,
      DriverConfig: driver === undefined ? undefined : { Name: driver.name, Options: driver.options ?? {} },
    });
  }
  if (mount.tmpfsOptions !== undefined) {
    body.TmpfsOptions = dropUndefined({
      SizeBytes: mount.tmpfsOptions.sizeBytes,
      Mode: mount.tmpfsOptions.mode,
    });
  }
  return dropUndefined(body);
}

/** Leaves out absent fields, so the engine applies its own defaults and the body stays small. */
function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
