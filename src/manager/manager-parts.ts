// The parts a manager is made of, and their lifecycle: assembled from its identity, certificates
// and data directory (storage with its key files, Raft, the gRPC servers and every service on
// them, the loops), started once Raft runs, and shut down in the right order. Manager (manager.ts)
// decides when: init, join, start, leave, step down.

import { access, chmod, rm } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  GrpcRaftTransport,
  openDiskStorage,
  PeerRefusedError,
  raftServerOptions,
  RaftNode,
} from '../raft/index.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  Dispatcher,
  LogBroker,
  registerDispatcherService,
  type ManagerAddress,
} from '../dispatcher/index.js';
import {
  controlServerOptions,
  registerControlService,
  type ApiObjectTypes,
  type ControlService,
} from './control/index.js';
import { certificateAuthorizer } from './authz.js';
import { registerNodeCAService } from './ca-service.js';
import {
  channelCredentials,
  PeerAuthError,
  readNodeCertificates,
  reloadableChannelCredentials,
  reloadableServerCredentials,
  ReloadableTlsIdentity,
  removeCASigningKey,
  type NodeCertificates,
  type SigningCA,
} from '../ca/index.js';
import { AutolockKeeper } from './autolock.js';
import { ClusterFollower } from './cluster-follower.js';
import { TrustFollower } from './trust-follower.js';
import { CertificateRenewer } from '../ca/renewer.js';
import {
  createKeyFiles,
  DEK_FILE,
  openKeyFiles,
  parseUnlockKey,
  storageCipherFor,
  type RaftKeys,
} from './keys/index.js';
import { LeaderLoops } from './leader-loops.js';
import { signingRoot, trustBundle } from './root-rotation.js';
import { ManagerStatusLoop } from './manager-status.js';
import { callMemberStatus, registerMembershipService } from './membership-service.js';
import { RemovalWatch } from './removal-watch.js';
import { type NodeIdentity } from './node-identity.js';
import { ReplicatedStore, type TransactionResult } from './store/index.js';

/** Raft and loop timings; only tests change them (fast elections on loopback). */
export interface ManagerTuning {
  heartbeatMs?: number;
  electionMs?: number;
  snapshotEntries?: number;
  /** Period of the manager-status loop; default 3 s. */
  statusIntervalMs?: number;
  unreachableAfterMs?: number;
  /** Overrides the cluster's heartbeat period for node sessions (tests). */
  heartbeatPeriodMs?: number;
  /** How long a joining manager may take to catch up before it is removed; default 2 min. */
  learnerCatchUpTimeoutMs?: number;
  /**
   * Lifetime of the node certificates this manager issues, its own first one included. Default:
   * the cluster's caConfig.nodeCertExpiry (90 days); the API will not go below an hour, tests do.
   */
  certExpiryMs?: number;
}

/** The local admin socket: the control API without certificates, guarded by file permissions. */
export const CONTROL_SOCKET = 'control.sock';
/** The key files that encrypt the Raft data at rest (src/manager/keys). */
export const KEYS_DIR = 'keys';

export interface Parts {
  identity: NodeIdentity;
  dataDir: string;
  tls: ReloadableTlsIdentity;
  localServer: grpc.Server;
  localControl: ControlService;
  renewer: CertificateRenewer;
  leaderLoops: LeaderLoops;
  dispatcher: Dispatcher;
  logBroker: LogBroker;
  autolock: AutolockKeeper;
  trust: TrustFollower;
  store: ReplicatedStore<ApiObjectTypes>;
  node: RaftNode<TransactionResult>;
  transport: GrpcRaftTransport;
  server: grpc.Server;
  control: ControlService;
  /** Re-checks the callers of open control streams whenever the cluster's deny-lists may change. */
  streamGuard: ClusterFollower;
  status: ManagerStatusLoop;
  removalWatch: RemovalWatch;
  log: Logger;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The key files of a manager's Raft data: created with a fresh data key on first use (init, join,
 * or a data directory from before encryption, whose plaintext records stay readable), opened
 * otherwise; KeyError KEYS_LOCKED when autolocked and no unlock key is given.
 */
async function openOrCreateKeys(dir: string, unlockKey: string | undefined): Promise<RaftKeys> {
  if (!(await exists(joinPath(dir, DEK_FILE)))) return createKeyFiles(dir);
  return openKeyFiles(dir, { unlockKey });
}

/**
 * What a restarting manager reads first, in this order: its key files (KeyError KEYS_LOCKED when
 * they are autolocked and no unlock key is given, KEYS_WRONG_UNLOCK_KEY for another key), then its
 * certificates, whose node.key the same unlock key wraps when autolocked. So a locked manager reads
 * nothing of node.key before it has the key, and the key is refused before anything else is read.
 * Changes nothing on disk, except creating the key files of a data directory that has none.
 */
export async function openKeysAndCertificates(
  dataDir: string,
  unlockKey: string | undefined,
): Promise<{ keys: RaftKeys; certs: NodeCertificates | null }> {
  const keys = await openOrCreateKeys(joinPath(dataDir, KEYS_DIR), unlockKey);
  // Opened autolocked keys mean the unlock key was given, and valid.
  const kek = keys.autolocked && unlockKey !== undefined ? parseUnlockKey(unlockKey) : null;
  return { keys, certs: await readNodeCertificates(dataDir, { kek }) };
}

/** One grpc server for the three services: each side's message limits, the larger of each. */
function serverOptions(): grpc.ServerOptions {
  const raft = raftServerOptions();
  const control = controlServerOptions();
  // Channelz's per-call bookkeeping (closures, timestamps) is work on every heartbeat of
  // thousands of nodes, for an introspection service this server does not offer.
  const merged: grpc.ServerOptions = { ...raft, ...control, 'grpc.enable_channelz': 0 };
  for (const key of ['grpc.max_receive_message_length', 'grpc.max_send_message_length'] as const)
    merged[key] = Math.max(Number(raft[key] ?? 0), Number(control[key] ?? 0));
  return merged;
}

interface AssembleOptions {
  forceNewCluster?: boolean;
  /** The key files as openKeysAndCertificates opened them (start); absent: created (init, join). */
  keys?: RaftKeys;
  /** The cluster's unlock key, when this manager's key files are autolocked. */
  unlockKey?: string;
  /** Init's one-member cluster, used only when the storage is empty. */
  bootstrapSelf?: boolean;
  /** The CA key on disk (the founding manager's), to create the cluster object with. */
  signingCA?: SigningCA;
}

export async function assemble(
  identity: NodeIdentity,
  certs: NodeCertificates,
  dataDir: string,
  logger: Logger | undefined,
  tuning: ManagerTuning = {},
  options: AssembleOptions = {},
): Promise<Parts> {
  const log = (logger ?? silentLogger).child({ node: identity.id });
  const store = new ReplicatedStore<ApiObjectTypes>({ logger: log });
  const tls = new ReloadableTlsIdentity(certs);
  const authorizer = certificateAuthorizer(store);
  const transport = new GrpcRaftTransport({
    selfId: identity.id,
    logger: log,
    channelCredentials: () => reloadableChannelCredentials(tls),
    // Raft peers are managers, each speaking only for itself (its certificate names it).
    authorize: (call) => {
      try {
        return authorizer.require(call, ['manager'])?.nodeId;
      } catch (err) {
        if (err instanceof PeerAuthError) throw new PeerRefusedError(err.grpcCode, err.message);
        throw err;
      }
    },
  });
  // Encryption at rest: every entry and snapshot is sealed with this manager's data key, so the
  // Raft files never hold a secret in the clear (the key files are the owner's only).
  const keys = options.keys ?? (await openOrCreateKeys(joinPath(dataDir, KEYS_DIR), options.unlockKey));
  const storage = await openDiskStorage(joinPath(dataDir, 'raft'), {
    logger: log,
    cipher: storageCipherFor(keys),
  });
  const node = new RaftNode<TransactionResult>({
    id: identity.id,
    address: identity.advertiseAddr,
    storage,
    transport,
    stateMachine: store,
    bootstrap: options.bootstrapSelf ? [{ id: identity.id, address: identity.advertiseAddr }] : undefined,
    peers: identity.peers,
    forceNewCluster: options.forceNewCluster ?? false,
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
    signingCA: options.signingCA,
    ...(options.signingCA ? { forgetSigningKey: () => removeCASigningKey(dataDir) } : {}),
    logger: log,
    intervalMs: tuning.statusIntervalMs,
    unreachableAfterMs: tuning.unreachableAfterMs,
    learnerCatchUpTimeoutMs: tuning.learnerCatchUpTimeoutMs,
  });
  const credentials = (): grpc.ChannelCredentials => channelCredentials(tls.current);
  const removalWatch = new RemovalWatch({
    selfId: identity.id,
    node,
    ask: (address, nodeId) => callMemberStatus(address, credentials(), nodeId),
    intervalMs: tuning.statusIntervalMs,
    logger: log,
  });
  const autolock = new AutolockKeeper({
    store,
    keysDir: joinPath(dataDir, KEYS_DIR),
    dataDir,
    keys,
    wrappedWith: keys.autolocked ? (options.unlockKey ?? null) : null,
    logger: log,
  });
  const renewer = new CertificateRenewer({
    dataDir,
    tls,
    // Wrapped by the unlock key while autolocked, and never in the middle of a re-wrap.
    write: (certs) => autolock.writeNodeCertificates(certs),
    // This manager first (it can sign), then the others.
    managers: () => {
      const conf = node.membership();
      const others = Object.entries(conf.addresses)
        .filter(([id, address]) => id !== identity.id && address !== '')
        .map(([, address]) => address);
      return [identity.advertiseAddr, ...others];
    },
    logger: log,
  });
  const server = new grpc.Server(serverOptions());
  transport.register(server);
  // Every manager has a broker; only the leader's has nodes, so the others forward `service logs`.
  const logBroker = new LogBroker({ logger: log });
  const logs = { broker: logBroker, selfId: identity.id, credentials };
  const control = registerControlService(server, {
    store,
    node,
    logger: log,
    authorize: (call) => authorizer.require(call, ['manager', 'admin']),
    logs,
  });
  // A stream outlives the check made when it began: a certificate revoked (or a node removed) in
  // the cluster object must also end the streams it holds open, on every manager.
  const streamGuard = new ClusterFollower(store, log, async () => control.recheckCallers());
  registerMembershipService(server, {
    store,
    node,
    authorizer,
    credentials,
    logger: log,
    onLearnerAdded: () => status.kick(),
  });
  registerNodeCAService(server, { store, authorizer, logger: log, certExpiryMs: tuning.certExpiryMs });
  const managers = (): ManagerAddress[] => {
    const conf = node.membership();
    const leaderId = node.leader().id;
    return conf.voters
      .filter((id) => (conf.addresses[id] ?? '') !== '')
      .map((id) => ({ nodeId: id, addr: conf.addresses[id]!, leader: id === leaderId }));
  };
  const dispatcher = new Dispatcher({
    store,
    managers,
    trust: () => {
      const rootCA = store.list('cluster')[0]?.rootCA;
      if (!rootCA) return { trustedRoots: '', signingRoot: '' };
      return { trustedRoots: trustBundle(rootCA), signingRoot: signingRoot(rootCA).ca.certPem };
    },
    logger: log,
    heartbeatPeriodMs: tuning.heartbeatPeriodMs,
  });
  registerDispatcherService(server, {
    dispatcher,
    logs: logBroker,
    logger: log,
    authorize: (call) => {
      const identity = authorizer.require(call, ['worker', 'manager']);
      if (identity === null)
        throw new PeerAuthError('UNAUTHENTICATED', 'the dispatcher needs a node certificate');
      return identity.nodeId;
    },
    leaderAddr: () => {
      const leader = node.leader();
      return leader.id === '' || leader.id === identity.id ? undefined : leader.address;
    },
  });
  const localServer = new grpc.Server(controlServerOptions());
  // The admin socket's file permissions are its access control: every caller may proceed.
  const localControl = registerControlService(localServer, { store, node, logger: log, logs });
  try {
    // A client without a certificate may connect (a node joining asks the CA for its first one);
    // every service but the CA's first issue refuses calls without a valid cluster certificate.
    await bind(
      server,
      identity.listenAddr,
      reloadableServerCredentials(tls, { requireClientCertificate: false }),
    );
    await bindControlSocket(localServer, joinPath(dataDir, CONTROL_SOCKET));
  } catch (err) {
    await storage.close();
    server.forceShutdown();
    localServer.forceShutdown();
    throw err;
  }
  const leaderLoops = new LeaderLoops({ store, logger: log });
  const trust = new TrustFollower({ store, dataDir, tls, renewer, logger: log });
  node.on('leader-change', ({ leader }) => {
    leaderLoops.setLeader(leader === identity.id);
    if (leader === identity.id) dispatcher.start();
    else if (dispatcher.running) {
      const address = node.leader().address;
      dispatcher
        .stop(address === '' ? undefined : address)
        .catch((err: unknown) => log.error('dispatcher stop failed', { error: (err as Error).message }));
    }
  });
  return {
    identity,
    dataDir,
    tls,
    leaderLoops,
    dispatcher,
    logBroker,
    autolock,
    trust,
    localServer,
    localControl,
    renewer,
    store,
    node,
    transport,
    server,
    control,
    streamGuard,
    status,
    removalWatch,
    log,
  };
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/**
 * The local admin socket. A socket left by a killed process is replaced (this process owns the
 * data directory); the socket is made accessible to its owner only.
 */
async function bindControlSocket(server: grpc.Server, path: string): Promise<void> {
  await rm(path, { force: true });
  await bind(server, `unix:${path}`, grpc.ServerCredentials.createInsecure());
  await chmod(path, 0o600);
}

/** The loops that run on every manager once its Raft node has started. */
export function startLoops(parts: Parts): void {
  parts.status.start();
  parts.removalWatch.start();
  parts.renewer.start();
  parts.autolock.start();
  parts.trust.start();
  parts.streamGuard.start();
}

export async function shutdown(parts: Parts): Promise<void> {
  // The leader's loops stop writing first; the others may be waiting on a proposal, which
  // stopping the node fails at once.
  await parts.leaderLoops.stop();
  parts.logBroker.stop();
  await parts.dispatcher.stop();
  const loopStopped = parts.status.stop();
  const watchStopped = parts.removalWatch.stop();
  const renewerStopped = parts.renewer.stop();
  const autolockStopped = parts.autolock.stop();
  const trustStopped = parts.trust.stop();
  const streamGuardStopped = parts.streamGuard.stop();
  parts.control.stop();
  parts.localControl.stop();
  parts.localServer.forceShutdown();
  await parts.node.stop();
  await loopStopped;
  await watchStopped;
  await renewerStopped;
  await autolockStopped;
  await trustStopped;
  await streamGuardStopped;
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
