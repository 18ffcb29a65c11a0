// A manager node: one gRPC server hosting the Raft transport, the control API and the Membership
// service; a RaftNode whose state machine is the cluster store; and the leader-only loop that keeps
// managers' Node objects current. Manager.init founds a cluster, Manager.join enters one,
// Manager.start restarts from the data directory (DATA_DIR/node.json + DATA_DIR/raft).

import { EventEmitter } from 'node:events';
import { access, rm } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { newId } from '../api/index.js';
import { FlotillaClient } from '../client/index.js';
import { GrpcRaftTransport, openDiskStorage, raftServerOptions, RaftNode } from '../raft/index.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  controlServerOptions,
  FailedPreconditionError,
  registerControlService,
  type ApiObjectTypes,
  type ControlService,
} from './control/index.js';
import { ManagerStatusLoop } from './manager-status.js';
import { callJoin, callLeave, callMemberStatus, registerMembershipService } from './membership-service.js';
import { RemovalWatch } from './removal-watch.js';
import { readIdentity, writeIdentity, type NodeIdentity } from './node-identity.js';
import { ReplicatedStore, type TransactionResult } from './store/index.js';

/** Raft and loop timings; only tests change them (fast elections on loopback). */
export interface ManagerTuning {
  heartbeatMs?: number;
  electionMs?: number;
  snapshotEntries?: number;
  /** Period of the manager-status loop; default 3 s. */
  statusIntervalMs?: number;
  unreachableAfterMs?: number;
  /** How long a joining manager may take to catch up before it is removed; default 2 min. */
  learnerCatchUpTimeoutMs?: number;
}

export interface InitOptions {
  dataDir: string;
  /** host:port the gRPC server binds. */
  listenAddr: string;
  /** host:port the others reach this manager at; default listenAddr. */
  advertiseAddr?: string;
  logger?: Logger;
  tuning?: ManagerTuning;
}

export interface JoinOptions extends InitOptions {
  /** Any manager of the cluster. */
  joinAddr: string;
  joinSecret: string;
}

export interface StartOptions {
  dataDir: string;
  /** Quorum-loss recovery: restart as a new one-member cluster keeping this manager's state. */
  forceNewCluster?: boolean;
  logger?: Logger;
  tuning?: ManagerTuning;
}

/** The data directory already belongs to a node (init/join), or holds none (start). */
export class DataDirError extends Error {
  readonly code = 'MANAGER_DATA_DIR';
  override readonly name = 'DataDirError';
}

interface Parts {
  identity: NodeIdentity;
  dataDir: string;
  store: ReplicatedStore<ApiObjectTypes>;
  node: RaftNode<TransactionResult>;
  transport: GrpcRaftTransport;
  server: grpc.Server;
  control: ControlService;
  status: ManagerStatusLoop;
  removalWatch: RemovalWatch;
  log: Logger;
}

export interface ManagerEvents {
  /**
   * The cluster removed this manager from the Raft membership (demoted to worker, or a join that
   * never caught up). The manager has stopped, its Raft data is deleted and node.json says
   * 'worker'; `stopped` resolves once all of that is done.
   */
  removed: [{ stopped: Promise<void> }];
}

export class Manager extends EventEmitter<ManagerEvents> {
  private stopping: Promise<void> | null = null;
  private leaving = false;

  private constructor(private readonly parts: Parts) {
    super();
    const removed = (): void => {
      // A manager that leaves is removed too, and leave() cleans up after itself.
      if (this.leaving || this.stopping) return;
      this.emit('removed', { stopped: this.stepDown() });
    };
    // Whichever learns it first: applying its own removal, or a peer's word (see RemovalWatch).
    parts.node.on('removed', removed);
    parts.removalWatch.on('removed', removed);
  }

  get id(): string {
    return this.parts.identity.id;
  }

  /** The address other managers and clients reach this manager at. */
  get address(): string {
    return this.parts.identity.advertiseAddr;
  }

  get dataDir(): string {
    return this.parts.dataDir;
  }

  get clusterId(): string {
    return this.parts.identity.clusterId;
  }

  /** This manager's Raft node and store (read-only use: status, membership, local reads). */
  get raft(): RaftNode<TransactionResult> {
    return this.parts.node;
  }

  get store(): ReplicatedStore<ApiObjectTypes> {
    return this.parts.store;
  }

  /** A control API client connected to this manager; close it when done. */
  client(): FlotillaClient {
    return new FlotillaClient({ address: this.address });
  }

  /** Founds a new cluster with this node as its only manager. */
  static async init(options: InitOptions): Promise<Manager> {
    await refuseExisting(options.dataDir);
    const identity: NodeIdentity = {
      format: 1,
      id: newId(),
      role: 'manager',
      listenAddr: options.listenAddr,
      advertiseAddr: options.advertiseAddr ?? options.listenAddr,
      clusterId: newId(),
    };
    let parts: Parts | null = null;
    let written = false;
    try {
      parts = await assemble(identity, options.dataDir, options.logger, options.tuning, false, true);
      // Raft first, identity last: node.json names a node whose Raft state exists. A crash in
      // between leaves Raft data without node.json, which init, join and start all refuse.
      await parts.node.start();
      await writeIdentity(options.dataDir, identity);
      written = true;
      await parts.node.waitForLeader();
      // The cluster object and this manager's Node are written before init returns (a restart
      // after a failure here writes them too: the leader's loop creates what is missing).
      await parts.status.reconcileNow();
      startLoops(parts);
    } catch (err) {
      if (parts) await shutdown(parts);
      if (!written) await abandon(options.dataDir);
      throw err;
    }
    parts.log.info('initialised a new cluster', { cluster: identity.clusterId });
    return new Manager(parts);
  }

  /** Joins the cluster the manager at joinAddr belongs to, as a new manager. */
  static async join(options: JoinOptions): Promise<Manager> {
    await refuseExisting(options.dataDir);
    const id = newId();
    const advertiseAddr = options.advertiseAddr ?? options.listenAddr;
    const identity: NodeIdentity = {
      format: 1,
      id,
      role: 'manager',
      listenAddr: options.listenAddr,
      advertiseAddr,
      clusterId: '',
    };
    let parts: Parts | null = null;
    try {
      parts = await assemble(identity, options.dataDir, options.logger, options.tuning);
      // The server is up before the cluster knows us, so the leader's first appends get through.
      const reply = await callJoin(options.joinAddr, {
        secret: options.joinSecret,
        nodeId: id,
        address: advertiseAddr,
      });
      for (const m of reply.members)
        if (m.id !== id && m.address !== '') parts.transport.setPeer(m.id, m.address);
      identity.clusterId = reply.clusterId;
      identity.peers = Object.fromEntries(
        reply.members.filter((m) => m.id !== id && m.address !== '').map((m) => [m.id, m.address]),
      );
      await writeIdentity(options.dataDir, identity);
      await parts.node.start();
      startLoops(parts);
    } catch (err) {
      if (parts) await shutdown(parts);
      // Nothing of this attempt may remain: a retry must find an empty directory again. (If the
      // cluster already added this node as a learner, the leader removes it when it never catches up.)
      await abandon(options.dataDir);
      throw err;
    }
    parts.log.info('joined the cluster as a learner', { cluster: identity.clusterId });
    return new Manager(parts);
  }

  /** Restarts the manager whose data directory this is, with its identity. */
  static async start(options: StartOptions): Promise<Manager> {
    const identity = await readIdentity(options.dataDir);
    if (!identity)
      throw new DataDirError(
        `${options.dataDir} holds no manager (no node.json): use init to found a cluster or join to enter one`,
      );
    if (identity.role !== 'manager')
      throw new DataDirError(
        `${options.dataDir} holds node ${identity.id}, which the cluster demoted to worker: it no longer runs the manager role`,
      );
    const parts = await assemble(
      identity,
      options.dataDir,
      options.logger,
      options.tuning,
      options.forceNewCluster,
    );
    try {
      await parts.node.start();
      startLoops(parts);
    } catch (err) {
      await shutdown(parts);
      throw err;
    }
    parts.log.info('restarted from the data directory', {
      forceNewCluster: options.forceNewCluster ?? false,
    });
    return new Manager(parts);
  }

  /**
   * Leaves the cluster: a leader hands over first, then the leader removes this manager from the
   * Raft membership, then it stops. The data directory's identity is deleted (it cannot rejoin).
   */
  async leave(): Promise<void> {
    const { node, store, dataDir } = this.parts;
    this.leaving = true;
    const conf = node.membership();
    if (conf.voters.length <= 1 && conf.voters.includes(this.id))
      throw new FailedPreconditionError('the last manager of the cluster cannot leave it');
    if (node.isLeader()) await node.transferLeadership();
    const [cluster] = store.list('cluster');
    if (!cluster) throw new FailedPreconditionError('no cluster object: cannot authenticate the leave');
    if (node.leader().id === '') await node.waitForLeader();
    await callLeave(node.leader().address, { secret: cluster.joinTokens.manager, nodeId: this.id });
    await this.stop();
    await rm(joinPath(dataDir, 'node.json'), { force: true });
    await rm(joinPath(dataDir, 'raft'), { recursive: true, force: true });
  }

  /**
   * After the cluster removed this member: stop, keep the node's identity as a worker's, and
   * delete the Raft data (a later promotion joins afresh as a learner, as Swarm's does).
   */
  private async stepDown(): Promise<void> {
    const { identity, dataDir, log } = this.parts;
    log.warn('removed from the Raft membership: no longer a manager, stopping the manager role');
    await this.stop();
    await writeIdentity(dataDir, { ...identity, role: 'worker', peers: undefined });
    await rm(joinPath(dataDir, 'raft'), { recursive: true, force: true });
  }

  /** Stops everything this manager started (server, loops, Raft); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= shutdown(this.parts);
    return this.stopping;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes what a failed init or join left in the data directory. */
async function abandon(dataDir: string): Promise<void> {
  await rm(joinPath(dataDir, 'raft'), { recursive: true, force: true });
  await rm(joinPath(dataDir, 'node.json'), { force: true });
}

async function refuseExisting(dataDir: string): Promise<void> {
  if (await readIdentity(dataDir))
    throw new DataDirError(
      `${dataDir} already holds a node (node.json): use start to restart it, or choose an empty directory`,
    );
  if (await exists(joinPath(dataDir, 'raft')))
    throw new DataDirError(
      `${dataDir} holds Raft data but no node.json (an init or join was interrupted): remove ${joinPath(dataDir, 'raft')} first`,
    );
}

/** One grpc server for the three services: each side's message limits, the larger of each. */
function serverOptions(): grpc.ServerOptions {
  const raft = raftServerOptions();
  const control = controlServerOptions();
  const merged: grpc.ServerOptions = { ...raft, ...control };
  for (const key of ['grpc.max_receive_message_length', 'grpc.max_send_message_length'] as const)
    merged[key] = Math.max(Number(raft[key] ?? 0), Number(control[key] ?? 0));
  return merged;
}

async function assemble(
  identity: NodeIdentity,
  dataDir: string,
  logger: Logger | undefined,
  tuning: ManagerTuning = {},
  forceNewCluster = false,
  bootstrapSelf = false,
): Promise<Parts> {
  const log = (logger ?? silentLogger).child({ node: identity.id });
  const store = new ReplicatedStore<ApiObjectTypes>({ logger: log });
  const transport = new GrpcRaftTransport({ selfId: identity.id, logger: log });
  const storage = await openDiskStorage(joinPath(dataDir, 'raft'), { logger: log });
  const node = new RaftNode<TransactionResult>({
    id: identity.id,
    address: identity.advertiseAddr,
    storage,
    transport,
    stateMachine: store,
    // Used only when the storage is empty: init's one-member cluster.
    bootstrap: bootstrapSelf ? [{ id: identity.id, address: identity.advertiseAddr }] : undefined,
    peers: identity.peers,
    forceNewCluster,
    heartbeatMs: tuning.heartbeatMs,
    electionMs: tuning.electionMs,
    snapshotEntries: tuning.snapshotEntries,
    logger: log,
  });
  store.attach(node);
  const status = new ManagerStatusLoop({
    store,
    node,
    clusterId: identity.clusterId,
    logger: log,
    intervalMs: tuning.statusIntervalMs,
    unreachableAfterMs: tuning.unreachableAfterMs,
    learnerCatchUpTimeoutMs: tuning.learnerCatchUpTimeoutMs,
  });
  const removalWatch = new RemovalWatch({
    selfId: identity.id,
    node,
    ask: (address, nodeId) => callMemberStatus(address, nodeId),
    intervalMs: tuning.statusIntervalMs,
    logger: log,
  });
  const server = new grpc.Server(serverOptions());
  transport.register(server);
  const control = registerControlService(server, { store, node, logger: log });
  registerMembershipService(server, { store, node, logger: log, onLearnerAdded: () => status.kick() });
  try {
    await new Promise<number>((resolve, reject) =>
      server.bindAsync(identity.listenAddr, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
  } catch (err) {
    await storage.close();
    server.forceShutdown();
    throw err;
  }
  return { identity, dataDir, store, node, transport, server, control, status, removalWatch, log };
}

/** The loops that run on every manager once its Raft node has started. */
function startLoops(parts: Parts): void {
  parts.status.start();
  parts.removalWatch.start();
}

async function shutdown(parts: Parts): Promise<void> {
  // The loop may be waiting on a proposal: stopping the node fails it at once.
  const loopStopped = parts.status.stop();
  const watchStopped = parts.removalWatch.stop();
  parts.control.stop();
  await parts.node.stop();
  await loopStopped;
  await watchStopped;
  await parts.transport.stop();
  // Peers' streams may hold the server open: give them a moment, then cut them.
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      parts.server.forceShutdown();
      resolve();
    }, 1_000);
    parts.server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
