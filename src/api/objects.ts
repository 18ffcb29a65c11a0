// The stored objects of a cluster (Service, Task, Node, Secret, Config, Cluster) and the specs
// of all but services (service-spec.ts). Docker Engine API names in camelCase; `spec` is what
// a user asked for, the other fields are what happened and are written by the cluster.
//
// Two representation choices differ from Docker's JSON:
// - Meta (version, createdAt, updatedAt) is one `meta` field instead of three top-level ones;
//   `meta.version.index` is the Raft index of the object's last write (Docker's Version.Index).
// - Secret and config data are raw bytes (Uint8Array). Docker's JSON carries them as base64;
//   the validators accept either and always return bytes, and the store keeps bytes
//   (msgpack encodes them natively, a third smaller than base64).

import type { Nanoseconds } from './durations.js';
import type { Driver, EndpointSpec, Labels, PortConfig, ServiceSpec, TaskSpec } from './service-spec.js';
import type { TaskState } from './task-state.js';

/** RFC 3339 timestamp string (`2024-05-01T12:00:00.123Z`), as Docker's JSON. */
export type Timestamp = string;

export interface Version {
  index: number;
}

export interface Meta {
  version: Version;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

// ---- Service -------------------------------------------------------------------------------

export interface Service {
  id: string;
  meta: Meta;
  spec: ServiceSpec;
  /** The spec before the last update: what a rollback returns to. */
  previousSpec?: ServiceSpec;
  endpoint?: Endpoint;
  updateStatus?: UpdateStatus;
  serviceStatus?: ServiceStatus;
  jobStatus?: JobStatus;
}

export interface Endpoint {
  spec: EndpointSpec;
  /** Ports as allocated: every published port filled in. */
  ports: PortConfig[];
  virtualIps: Array<{ networkId: string; addr: string }>;
}

export type UpdateState =
  'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

export interface UpdateStatus {
  state: UpdateState;
  startedAt?: Timestamp;
  completedAt?: Timestamp;
  message: string;
}

export interface ServiceStatus {
  runningTasks: number;
  desiredTasks: number;
  completedTasks: number;
}

export interface JobStatus {
  /** Bumped on every update of a job: tasks of older iterations are history. */
  jobIteration: Version;
  lastExecution?: Timestamp;
}

// ---- Task ----------------------------------------------------------------------------------

export interface Task {
  id: string;
  meta: Meta;
  name?: string;
  labels: Labels;
  /** The service's task template at the time the task was created. */
  spec: TaskSpec;
  serviceId: string;
  /** Replicated services and jobs: the replica number, from 1. */
  slot?: number;
  /** Set by the scheduler (replicated) or at creation (global). */
  nodeId?: string;
  status: TaskStatus;
  /** The manager's instruction; `status.state` is what happened. */
  desiredState: TaskState;
  networksAttachments?: NetworkAttachment[];
  /**
   * The service's allocated endpoint when the task was handed to the scheduler (SwarmKit copies
   * it too): the ports the worker publishes in host mode. Absent for a service without ports.
   */
  endpoint?: Endpoint;
  jobIteration?: Version;
}

export interface TaskStatus {
  timestamp: Timestamp;
  state: TaskState;
  message: string;
  err?: string;
  containerStatus?: ContainerStatus;
  portStatus?: { ports: PortConfig[] };
}

export interface ContainerStatus {
  containerId: string;
  pid: number;
  exitCode: number;
}

export interface NetworkAttachment {
  networkId: string;
  /** CIDR addresses of the task on that network. */
  addresses: string[];
}

// ---- Node ----------------------------------------------------------------------------------

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

export interface NodeSpec {
  name?: string;
  labels?: Labels;
  role: NodeRole;
  availability: NodeAvailability;
}

export interface Node {
  id: string;
  meta: Meta;
  spec: NodeSpec;
  /** What the node reported about itself when its session opened. */
  description?: NodeDescription;
  status: NodeStatus;
  managerStatus?: ManagerStatus;
  /** The certificate the CA last issued to the node (written by the CA). */
  certificate?: NodeCertificateInfo;
}

export interface NodeCertificateInfo {
  /** The digest of the root that signed it (RootCA.caCertHash of that root). */
  rootHash: string;
  serial: string;
  notAfter: Timestamp;
}

export interface NodeDescription {
  hostname: string;
  platform: { architecture: string; os: string };
  resources: { nanoCpus: number; memoryBytes: number };
  engine: {
    engineVersion: string;
    labels: Labels;
    plugins: Array<{ type: string; name: string }>;
  };
}

export interface NodeStatus {
  state: NodeState;
  message?: string;
  /** The address the managers see the node at. */
  addr: string;
}

export interface ManagerStatus {
  leader?: boolean;
  reachability: Reachability;
  /** The Raft address. */
  addr: string;
}

// ---- Secret and Config ---------------------------------------------------------------------

export interface SecretSpec {
  /** `[a-zA-Z0-9]`, then `[a-zA-Z0-9-_.]`, ending in `[a-zA-Z0-9]`; at most 64 characters. */
  name: string;
  labels?: Labels;
  /** Absent only when a driver provides the value. */
  data?: Uint8Array;
  driver?: Driver;
  templating?: Driver;
}

export interface Secret {
  id: string;
  meta: Meta;
  spec: SecretSpec;
}

export interface ConfigSpec {
  name: string;
  labels?: Labels;
  data: Uint8Array;
  templating?: Driver;
}

export interface Config {
  id: string;
  meta: Meta;
  spec: ConfigSpec;
}

// ---- Cluster -------------------------------------------------------------------------------

export interface ClusterSpec {
  name?: string;
  labels?: Labels;
  orchestration?: OrchestrationConfig;
  raft?: RaftConfig;
  dispatcher?: DispatcherConfig;
  caConfig?: CAConfig;
  encryptionConfig?: EncryptionConfig;
  taskDefaults?: TaskDefaults;
}

export interface OrchestrationConfig {
  /** Terminated tasks kept per slot (or per node for global services). */
  taskHistoryRetentionLimit?: number;
}

export interface RaftConfig {
  /** Log entries between snapshots. */
  snapshotInterval?: number;
  keepOldSnapshots?: number;
  /** Entries kept after a snapshot so slow followers catch up without one. */
  logEntriesForSlowFollowers?: number;
  /** Ticks without a leader before an election; must exceed heartbeatTick. */
  electionTick?: number;
  heartbeatTick?: number;
}

export interface DispatcherConfig {
  heartbeatPeriod?: Nanoseconds;
}

export interface CAConfig {
  /** At least one hour. */
  nodeCertExpiry?: Nanoseconds;
  externalCAs?: ExternalCA[];
  signingCACert?: string;
  signingCAKey?: string;
  /** Bumping it forces a root CA rotation. */
  forceRotate?: number;
}

export interface ExternalCA {
  protocol: 'cfssl';
  url: string;
  options?: Record<string, string>;
  caCert?: string;
}

export interface EncryptionConfig {
  autoLockManagers?: boolean;
}

export interface TaskDefaults {
  logDriver?: Driver;
}

/** Swarm's RootCA: what every manager needs to issue and check node certificates. */
export interface RootCA {
  /** PEM: the root certificate nodes trust. */
  caCert: string;
  /** PEM (PKCS#8): the signing key. Held in the store (encrypted at rest); the API never returns it. */
  caKey: string;
  /** The root's digest as join tokens carry it (base36 sha256 of its DER). */
  caCertHash: string;
  /**
   * A root rotation under way: new certificates are signed by this root and carry the
   * cross-signed certificate, every node trusts both roots, and once every node that is up holds
   * a certificate of the new root, it replaces the old one.
   */
  rotation?: RootRotation;
}

export interface RootRotation {
  caCert: string;
  /** Never returned by the API. */
  caKey: string;
  caCertHash: string;
  /** The new root's certificate signed by the old root, sent after each new leaf. */
  crossSignedCaCert: string;
}

/** An admin client certificate the cluster issued (role admin, CN `id`). */
export interface AdminCertificate {
  /** The certificate's CN: a fresh object id for every certificate issued. */
  id: string;
  /** What the operator called it at issue time ('alice-laptop'); '' when unnamed. */
  name: string;
  /** Lowercase hex without leading zeros (as a TLS peer certificate reports it). */
  serial: string;
  issuedAt: Timestamp;
  /** The certificate's notAfter. */
  expiresAt: Timestamp;
  /** Set once revoked: every manager refuses the certificate from then on. */
  revokedAt?: Timestamp;
}

export interface Cluster {
  id: string;
  meta: Meta;
  spec: ClusterSpec;
  joinTokens: { worker: string; manager: string };
  /** The cluster's certificate authority; absent only in clusters run without TLS (tests). */
  rootCA?: RootCA;
  /** Nodes removed from the cluster: their certificates are refused until they expire. */
  removedNodes?: string[];
  /**
   * The admin client certificates the cluster issued, in issue order, each kept until it has
   * expired (src/manager/admin-certificate-records.ts): what `admin-cert ls` shows, and where a
   * revocation is recorded.
   */
  adminCertificates?: AdminCertificate[];
  /**
   * With spec.encryptionConfig.autoLockManagers: the key (SWMKEY-1-…) that wraps every manager's
   * Raft data key, so a restarted manager serves nothing until given it. Never in API reads.
   */
  unlockKey?: string;
  rootRotationInProgress: boolean;
  /** Subnets overlay networks are carved from. */
  defaultAddrPool: string[];
  subnetSize: number;
  /** UDP port of the data path (VXLAN). */
  dataPathPort: number;
}
