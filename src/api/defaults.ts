// SwarmKit's defaults for what a spec leaves out, filled in without touching the input. Values
// checked against moby/swarmkit: api/defaults/service.go (InterpolateService: restart any/5 s,
// update and rollback parallelism 1, pause, monitor 5 s, stop-first, stop grace 10 s),
// manager/state/raft DefaultRaftConfig, manager/manager.go (task history 5), dispatcher
// DefaultHeartBeatPeriod, ca DefaultNodeCertExpiration (2160 h), and what `docker service
// inspect` / `docker info` show for them. Defaults the Docker CLI (not the daemon) fills in
// are marked as such.

import { HOUR, SECOND } from './durations.js';
import type { ClusterSpec, EncryptionConfig, OrchestrationConfig, RaftConfig } from './objects.js';
import type {
  ContainerSpec,
  EndpointMode,
  FileTarget,
  PortConfig,
  PullPolicy,
  ReplicatedJob,
  RestartPolicy,
  ServiceSpec,
  TaskSpec,
  UpdateConfig,
} from './service-spec.js';

export const DEFAULT_RESTART_POLICY: Readonly<Required<RestartPolicy>> = {
  // Jobs keep `any` too: SwarmKit's restart supervisor treats it as on-failure for them.
  condition: 'any',
  delay: 5 * SECOND,
  maxAttempts: 0,
  window: 0,
};

export const DEFAULT_UPDATE_CONFIG: Readonly<Required<UpdateConfig>> = {
  parallelism: 1,
  delay: 0,
  failureAction: 'pause',
  monitor: 5 * SECOND,
  maxFailureRatio: 0,
  order: 'stop-first',
};

/** SwarmKit's rollback defaults are the update defaults. */
export const DEFAULT_ROLLBACK_CONFIG: Readonly<Required<UpdateConfig>> = DEFAULT_UPDATE_CONFIG;

export const DEFAULT_STOP_GRACE_PERIOD = 10 * SECOND;

/**
 * ContainerSpec.pullPolicy when absent. Applied by the worker, not stored in the spec: a spec
 * that never named a policy keeps following this default.
 */
export const DEFAULT_PULL_POLICY: PullPolicy = 'missing';

/** Secret and config files: root-owned, world-readable (filled by the Docker CLI in Docker). */
export const DEFAULT_FILE_TARGET: Readonly<Required<Omit<FileTarget, 'name'>>> = {
  uid: '0',
  gid: '0',
  mode: 0o444,
};

export type ServiceModeWithDefaults =
  | { replicated: { replicas: number } }
  | { global: Record<string, never> }
  | { replicatedJob: Required<ReplicatedJob> }
  | { globalJob: Record<string, never> };

export type PortConfigWithDefaults = PortConfig & Required<Pick<PortConfig, 'protocol' | 'publishMode'>>;

export type TaskSpecWithDefaults = Omit<TaskSpec, 'containerSpec' | 'restartPolicy'> & {
  containerSpec: ContainerSpec & { stopGracePeriod: number };
  restartPolicy: Required<RestartPolicy>;
};

/** A ServiceSpec with every default in place; jobs have no update or rollback config. */
export type ServiceSpecWithDefaults = Omit<
  ServiceSpec,
  'taskTemplate' | 'mode' | 'updateConfig' | 'rollbackConfig' | 'endpointSpec'
> & {
  taskTemplate: TaskSpecWithDefaults;
  mode: ServiceModeWithDefaults;
  updateConfig?: Required<UpdateConfig>;
  rollbackConfig?: Required<UpdateConfig>;
  endpointSpec: { mode: EndpointMode; ports: PortConfigWithDefaults[] };
};

export function withServiceDefaults(input: ServiceSpec): ServiceSpecWithDefaults {
  const spec = structuredClone(input);
  const { containerSpec } = spec.taskTemplate;
  for (const ref of [...(containerSpec.secrets ?? []), ...(containerSpec.configs ?? [])]) {
    ref.file = fill({ ...DEFAULT_FILE_TARGET, name: ref.file.name }, ref.file);
  }
  const mode = withModeDefaults(spec.mode);
  const isJob = 'replicatedJob' in mode || 'globalJob' in mode;
  const { updateConfig, rollbackConfig, ...rest } = spec;
  const result: ServiceSpecWithDefaults = {
    ...rest,
    taskTemplate: {
      ...spec.taskTemplate,
      containerSpec: {
        ...containerSpec,
        stopGracePeriod: containerSpec.stopGracePeriod ?? DEFAULT_STOP_GRACE_PERIOD,
      },
      restartPolicy: fill(DEFAULT_RESTART_POLICY, spec.taskTemplate.restartPolicy),
    },
    mode,
    endpointSpec: {
      mode: spec.endpointSpec?.mode ?? 'vip',
      ports: (spec.endpointSpec?.ports ?? []).map((port) => ({
        ...port,
        protocol: port.protocol ?? 'tcp',
        publishMode: port.publishMode ?? 'ingress',
      })),
    },
  };
  if (!isJob) {
    result.updateConfig = fill(DEFAULT_UPDATE_CONFIG, updateConfig);
    result.rollbackConfig = fill(DEFAULT_ROLLBACK_CONFIG, rollbackConfig);
  }
  return result;
}

/** `defaults` overlaid with the fields `given` has; an explicit undefined keeps the default. */
function fill<T extends object>(defaults: Readonly<Required<T>>, given: T | undefined): Required<T> {
  const result = { ...defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value !== undefined) Object.assign(result, { [key]: value });
  }
  return result;
}

function withModeDefaults(mode: ServiceSpec['mode']): ServiceModeWithDefaults {
  if (mode === undefined) return { replicated: { replicas: 1 } };
  if ('replicated' in mode) return { replicated: { replicas: mode.replicated.replicas ?? 1 } };
  if ('replicatedJob' in mode) {
    // Docker: MaxConcurrent defaults to 1, TotalCompletions to MaxConcurrent.
    const maxConcurrent = mode.replicatedJob.maxConcurrent ?? 1;
    return {
      replicatedJob: {
        maxConcurrent,
        totalCompletions: mode.replicatedJob.totalCompletions ?? maxConcurrent,
      },
    };
  }
  return 'global' in mode ? { global: {} } : { globalJob: {} };
}

// ---- cluster -------------------------------------------------------------------------------

/** SwarmKit's store.DefaultClusterName: Docker's swarm is always called "default". */
export const DEFAULT_CLUSTER_NAME = 'default';

export const DEFAULT_ORCHESTRATION: Readonly<Required<OrchestrationConfig>> = {
  taskHistoryRetentionLimit: 5,
};

export const DEFAULT_RAFT: Readonly<Required<RaftConfig>> = {
  snapshotInterval: 10_000,
  keepOldSnapshots: 0,
  logEntriesForSlowFollowers: 500,
  // SwarmKit: etcd-raft recommends 10 x heartbeat; lower values caused needless elections.
  electionTick: 10,
  heartbeatTick: 1,
};

export const DEFAULT_HEARTBEAT_PERIOD = 5 * SECOND;
/** 90 days, shown as 2160h0m0s by `docker info`. */
export const DEFAULT_NODE_CERT_EXPIRY = 2160 * HOUR;
export const DEFAULT_ENCRYPTION: Readonly<Required<EncryptionConfig>> = { autoLockManagers: false };

/** Cluster object defaults outside the spec (`docker swarm init` without flags). */
export const DEFAULT_ADDR_POOL: readonly string[] = ['10.0.0.0/8'];
export const DEFAULT_SUBNET_SIZE = 24;
export const DEFAULT_DATA_PATH_PORT = 4789;
/** The port a manager serves on when its listen address names none (docker swarm's). */
export const DEFAULT_MANAGER_PORT = 2377;

export type ClusterSpecWithDefaults = ClusterSpec & {
  name: string;
  labels: Record<string, string>;
  orchestration: Required<OrchestrationConfig>;
  raft: Required<RaftConfig>;
  dispatcher: { heartbeatPeriod: number };
  caConfig: NonNullable<ClusterSpec['caConfig']> & { nodeCertExpiry: number };
  encryptionConfig: Required<EncryptionConfig>;
  taskDefaults: NonNullable<ClusterSpec['taskDefaults']>;
};

export function withClusterDefaults(input: ClusterSpec = {}): ClusterSpecWithDefaults {
  const spec = structuredClone(input);
  return {
    ...spec,
    name: spec.name ?? DEFAULT_CLUSTER_NAME,
    labels: spec.labels ?? {},
    orchestration: fill(DEFAULT_ORCHESTRATION, spec.orchestration),
    raft: fill(DEFAULT_RAFT, spec.raft),
    dispatcher: { heartbeatPeriod: spec.dispatcher?.heartbeatPeriod ?? DEFAULT_HEARTBEAT_PERIOD },
    caConfig: { ...spec.caConfig, nodeCertExpiry: spec.caConfig?.nodeCertExpiry ?? DEFAULT_NODE_CERT_EXPIRY },
    encryptionConfig: fill(DEFAULT_ENCRYPTION, spec.encryptionConfig),
    taskDefaults: spec.taskDefaults ?? {},
  };
}
