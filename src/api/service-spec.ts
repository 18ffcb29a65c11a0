// What a user asks for when creating or updating a service: ServiceSpec and the TaskSpec it
// stamps tasks from. Field names are the Docker Engine API's (swagger v1.4x, `ServiceSpec`,
// `TaskSpec`) in camelCase; optional fields left out mean "use the default" (see defaults.ts).
// Durations are integer nanoseconds as in Docker's API (durations.ts).

import type { Nanoseconds } from './durations.js';

/** String-to-string metadata, as Docker's `Labels`. */
export type Labels = Record<string, string>;

export interface ServiceSpec {
  /** DNS label: `[a-zA-Z0-9]`, then letters and digits joined by `-`/`_`, at most 63 characters. */
  name: string;
  labels?: Labels;
  taskTemplate: TaskSpec;
  /** Absent means replicated with one replica. */
  mode?: ServiceMode;
  /** Not allowed for jobs (as SwarmKit). */
  updateConfig?: UpdateConfig;
  rollbackConfig?: UpdateConfig;
  endpointSpec?: EndpointSpec;
}

/** Exactly one of the four keys, as Docker's `Mode`. */
export type ServiceMode =
  | { replicated: ReplicatedService }
  | { global: Record<string, never> }
  | { replicatedJob: ReplicatedJob }
  | { globalJob: Record<string, never> };

export interface ReplicatedService {
  /** Absent means 1. */
  replicas?: number;
}

export interface ReplicatedJob {
  /** Tasks running at once; absent means 1. */
  maxConcurrent?: number;
  /** Successful completions wanted; absent means maxConcurrent. */
  totalCompletions?: number;
}

export interface TaskSpec {
  containerSpec: ContainerSpec;
  resources?: ResourceRequirements;
  restartPolicy?: RestartPolicy;
  placement?: Placement;
  networks?: NetworkAttachmentConfig[];
  logDriver?: Driver;
  /** Bumping it forces a rolling update although nothing else changed. */
  forceUpdate?: number;
}

export interface ContainerSpec {
  /** An image reference (`nginx`, `nginx:1.27`, `registry:5000/team/app@sha256:…`). */
  image: string;
  labels?: Labels;
  command?: string[];
  args?: string[];
  hostname?: string;
  /** `KEY=VALUE` entries. */
  env?: string[];
  /** Working directory, absolute. */
  dir?: string;
  user?: string;
  groups?: string[];
  tty?: boolean;
  openStdin?: boolean;
  readOnly?: boolean;
  mounts?: Mount[];
  stopSignal?: string;
  /** Absent means 10 s. */
  stopGracePeriod?: Nanoseconds;
  healthcheck?: HealthConfig;
  dnsConfig?: DnsConfig;
  secrets?: SecretReference[];
  configs?: ConfigReference[];
  init?: boolean;
  sysctls?: Record<string, string>;
  capabilityAdd?: string[];
  capabilityDrop?: string[];
  ulimits?: Ulimit[];
  /**
   * When the worker pulls the image. `missing` (the default): only when the node does not have
   * it. `always`: before every task; when the pull fails and a local copy exists, that copy runs
   * (as Docker does). `never`: never; a task whose image is absent is REJECTED.
   */
  pullPolicy?: PullPolicy;
}

export type PullPolicy = 'always' | 'missing' | 'never';

export type MountType = 'bind' | 'volume' | 'tmpfs';
export type MountConsistency = 'default' | 'consistent' | 'cached' | 'delegated';
export type BindPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export interface Mount {
  type: MountType;
  /** Host path (bind, required), volume name (volume, optional: anonymous), none (tmpfs). */
  source?: string;
  /** Absolute path in the container. */
  target: string;
  readOnly?: boolean;
  consistency?: MountConsistency;
  bindOptions?: { propagation?: BindPropagation; nonRecursive?: boolean };
  volumeOptions?: { noCopy?: boolean; labels?: Labels; driverConfig?: Driver };
  tmpfsOptions?: { sizeBytes?: number; mode?: number };
}

export interface HealthConfig {
  /** `[]` inherit from the image, `['NONE']`, `['CMD', arg…]` or `['CMD-SHELL', command]`. */
  test?: string[];
  interval?: Nanoseconds;
  timeout?: Nanoseconds;
  retries?: number;
  startPeriod?: Nanoseconds;
  startInterval?: Nanoseconds;
}

export interface DnsConfig {
  nameservers?: string[];
  search?: string[];
  options?: string[];
}

/** Where a secret or config appears in the container. */
export interface FileTarget {
  /** Path of the file: relative to /run/secrets for secrets; configs may use an absolute path. */
  name: string;
  /** Owner as a numeric string, as Docker (`"0"`). */
  uid?: string;
  gid?: string;
  /** Permission bits, e.g. 0o444. */
  mode?: number;
}

export interface SecretReference {
  file: FileTarget;
  secretId: string;
  secretName: string;
}

export interface ConfigReference {
  file: FileTarget;
  configId: string;
  configName: string;
}

export interface Ulimit {
  name: string;
  /** -1 means unlimited. */
  soft: number;
  hard: number;
}

export interface ResourceRequirements {
  limits?: Limit;
  reservations?: Resources;
}

export interface Limit {
  nanoCpus?: number;
  memoryBytes?: number;
  pids?: number;
}

export interface Resources {
  nanoCpus?: number;
  memoryBytes?: number;
  genericResources?: GenericResource[];
}

export type GenericResource =
  | { namedResourceSpec: { kind: string; value: string } }
  | { discreteResourceSpec: { kind: string; value: number } };

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  condition?: RestartCondition;
  delay?: Nanoseconds;
  /** 0 means unlimited. */
  maxAttempts?: number;
  /** Window over which maxAttempts is counted; 0 means unbounded. */
  window?: Nanoseconds;
}

export interface Placement {
  /** `node.role==worker`, `node.labels.zone!=eu`, … (see constraints.ts). */
  constraints?: string[];
  preferences?: PlacementPreference[];
  /** At most this many tasks of the service per node; 0 means no limit. Replicated mode only. */
  maxReplicas?: number;
  platforms?: Platform[];
}

export interface PlacementPreference {
  /** `node.labels.<label>` or `engine.labels.<label>`. */
  spread: { spreadDescriptor: string };
}

export interface Platform {
  architecture?: string;
  os?: string;
}

export interface NetworkAttachmentConfig {
  target: string;
  aliases?: string[];
  driverOpts?: Record<string, string>;
}

export interface Driver {
  name: string;
  options?: Record<string, string>;
}

export type FailureAction = 'pause' | 'continue' | 'rollback';
export type UpdateOrder = 'stop-first' | 'start-first';

export interface UpdateConfig {
  /** Tasks updated at once; 0 means all at once. */
  parallelism?: number;
  delay?: Nanoseconds;
  /** `rollback` is not allowed in a rollbackConfig. */
  failureAction?: FailureAction;
  monitor?: Nanoseconds;
  /** Fraction of tasks (0..1) that may fail during an update before failureAction applies. */
  maxFailureRatio?: number;
  order?: UpdateOrder;
}

export type EndpointMode = 'vip' | 'dnsrr';
export type PortProtocol = 'tcp' | 'udp' | 'sctp';
export type PublishMode = 'ingress' | 'host';

export interface EndpointSpec {
  mode?: EndpointMode;
  ports?: PortConfig[];
}

export interface PortConfig {
  name?: string;
  protocol?: PortProtocol;
  targetPort: number;
  /** Absent: the cluster picks one (Docker's 30000–32767 range) when the port is published. */
  publishedPort?: number;
  publishMode?: PublishMode;
}
