// A manager node: one gRPC server (mutual TLS with the cluster's certificates) hosting the Raft
// transport, the control API, the Membership service and the NodeCA; a local admin socket
// (DATA_DIR/control.sock) serving the control API to the host's operator; a RaftNode whose state
// machine is the cluster store; the leader-only loop that keeps managers' Node objects current;
// and the renewal of its own certificate. Manager.init founds a cluster (and its root CA),
// Manager.join enters one with a manager join token, Manager.start restarts from the data
// directory (node.json, certs/, keys/, raft/). What a manager is made of and how its parts start
// and stop is manager-parts.ts.

import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { newId } from '../api/index.js';
import { FlotillaClient } from '../client/index.js';
import { RaftNode } from '../raft/index.js';
import { hostOf } from '../util/host.js';
import { type Logger } from '../util/logger.js';
import { FailedPreconditionError, type ApiObjectTypes } from './control/index.js';
import { fetchTrustedRoot, requestNodeCertificate } from '../ca/client.js';
import {
  CERTS_DIR,
  channelCredentials,
  createCsr,
  createRootCA,
  generateNodeKey,
  issueNodeCertificate,
  readNodeCertificates,
  readSigningCA,
  writeCASigningKey,
  writeNodeCertificates,
  type NodeCertificates,
  type ReloadableTlsIdentity,
} from '../ca/index.js';
import { AutolockKeeper } from './autolock.js';
import { CertificateRenewer } from '../ca/renewer.js';
import { certificateIdentity } from '../ca/trust.js';
import { callJoin, callLeave } from './membership-service.js';
import { readIdentity, writeIdentity, type NodeIdentity } from './node-identity.js';
import { ReplicatedStore, type TransactionResult } from './store/index.js';
import {
  assemble,
  CONTROL_SOCKET,
  exists,
  KEYS_DIR,
  openKeysAndCertificates,
  shutdown,
  startLoops,
  type ManagerTuning,
  type Parts,
} from './manager-parts.js';

export { CONTROL_SOCKET, KEYS_DIR, type ManagerTuning } from './manager-parts.js';
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
  /** The cluster's manager join token (SWMTKN-1-…). */
  joinToken: string;
  /**
   * A manager certificate already obtained for the token (a caller that learned the token's role
   * by asking the CA first, as `flotilla join` does): used instead of asking again.
   */
  issued?: { keyPem: string; rootCa: string; certificateChain: string; nodeId: string; role: string };
}

/** A worker the cluster promoted, taking up the manager role in place (see Manager.promoted). */
export interface PromotedOptions extends InitOptions {
  /** The managers the worker knew, tried in order for the Raft join. */
  managers: readonly string[];
}

export interface StartOptions {
  dataDir: string;
  /** Quorum-loss recovery: restart as a new one-member cluster keeping this manager's state. */
  forceNewCluster?: boolean;
  /**
   * The cluster's unlock key (SWMKEY-1-…), needed when the cluster is autolocked; without it such
   * a manager does not start (KeyError KEYS_LOCKED) and serves nothing.
   */
  unlockKey?: string;
  logger?: Logger;
  tuning?: ManagerTuning;
}

/** The data directory already belongs to a node (init/join), or holds none (start). */
export class DataDirError extends Error {
  readonly code = 'MANAGER_DATA_DIR';
  override readonly name = 'DataDirError';
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

  /** Where this manager listens (host:port; `0.0.0.0` for every interface). */
  get listenAddress(): string {
    return this.parts.identity.listenAddr;
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

  /** The path of the local admin socket. */
  get controlSocket(): string {
    return joinPath(this.parts.dataDir, CONTROL_SOCKET);
  }

  /** How this manager's key files are wrapped, following the cluster's autolock setting. */
  get autolock(): AutolockKeeper {
    return this.parts.autolock;
  }

  /** The certificate this manager presents, kept current by renewal (its agent uses it too). */
  get tls(): ReloadableTlsIdentity {
    return this.parts.tls;
  }

  /** The gRPC addresses of the managers this one knows, its own first. */
  managerAddresses(): string[] {
    const conf = this.parts.node.membership();
    const others = conf.voters.filter((id) => id !== this.id).map((id) => conf.addresses[id] ?? '');
    return [this.address, ...others.filter((a) => a !== '')];
  }

  /** This manager's certificate renewal (status and tests). */
  get certificates(): CertificateRenewer {
    return this.parts.renewer;
  }

  /** A control API client on this manager's local admin socket; close it when done. */
  client(): FlotillaClient {
    return new FlotillaClient({ address: `unix:${this.controlSocket}` });
  }

  /** Founds a new cluster with this node as its only manager, and its root CA. */
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
      const ca = await createRootCA();
      const keyPem = await generateNodeKey();
      const certChainPem = await issueNodeCertificate(ca, await createCsr(keyPem), {
        nodeId: identity.id,
        role: 'manager',
        clusterId: identity.clusterId,
        validityMs: options.tuning?.certExpiryMs,
      });
      const certs: NodeCertificates = { rootsPem: ca.certPem, keyPem, certChainPem };
      await writeNodeCertificates(options.dataDir, certs);
      await writeCASigningKey(options.dataDir, ca.keyPem);
      parts = await assemble(identity, certs, options.dataDir, options.logger, options.tuning, {
        bootstrapSelf: true,
        signingCA: ca,
      });
      // Certificates and Raft first, identity last: node.json names a node whose state exists. A
      // crash in between leaves state without node.json, which init, join and start all refuse.
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

  /**
   * Joins the cluster the manager at joinAddr belongs to, as a new manager: checks that manager's
   * root CA against the token's digest, gets a manager certificate for the token (the CA assigns
   * the node id), then asks to be added to Raft as a learner.
   */
  static async join(options: JoinOptions): Promise<Manager> {
    await refuseExisting(options.dataDir);
    const advertiseAddr = options.advertiseAddr ?? options.listenAddr;
    try {
      const { keyPem, ...issued } =
        options.issued ?? (await requestManagerCertificate(options, advertiseAddr));
      if (issued.role !== 'manager')
        throw new DataDirError(
          `the join token is a ${issued.role} token: a manager joins with the manager token (\`flotilla join-token manager\`)`,
        );
      const certs: NodeCertificates = {
        rootsPem: issued.rootCa,
        keyPem,
        certChainPem: issued.certificateChain,
      };
      await writeNodeCertificates(options.dataDir, certs);
      return await Manager.enter(options, issued.nodeId, certs, [options.joinAddr]);
    } catch (err) {
      // Nothing of this attempt may remain: a retry must find an empty directory again. (If the
      // cluster already added this node as a learner, the leader removes it when it never catches up.)
      await abandon(options.dataDir);
      throw err;
    }
  }

  /**
   * Takes up the manager role on a worker the cluster promoted (its Node's role is manager), in its
   * data directory: with the manager certificate its renewal brought, it joins the Raft membership
   * as a learner through any manager it knows, as a joining manager does, and keeps its node id.
   * Its worker state and certificates stay; what a failed attempt made is removed again.
   */
  static async promoted(options: PromotedOptions): Promise<Manager> {
    const current = await readIdentity(options.dataDir);
    if (current?.role === 'manager')
      throw new DataDirError(`${options.dataDir} already holds manager ${current.id}: start it instead`);
    const certs = await readNodeCertificates(options.dataDir);
    if (!certs) throw new DataDirError(`${joinPath(options.dataDir, CERTS_DIR)} holds no node certificate`);
    const subject = certificateIdentity(certs.certChainPem);
    if (!subject)
      throw new DataDirError(
        `${joinPath(options.dataDir, CERTS_DIR)}: the node certificate names no identity`,
      );
    if (subject.role !== 'manager')
      throw new DataDirError(
        `node ${subject.nodeId} holds a ${subject.role} certificate: the cluster has not promoted it`,
      );
    // What a manager role held before a demotion belongs to a membership this node left.
    await removeManagerState(options.dataDir);
    try {
      return await Manager.enter(options, subject.nodeId, certs, options.managers);
    } catch (err) {
      await removeManagerState(options.dataDir);
      throw err;
    }
  }

  /**
   * The common end of join and promoted: assembles the manager with its certificate, asks a
   * manager (the first of `joinAddrs` that answers) to add it as a Raft learner, records its
   * identity, and starts. Stops what it started when it fails; the callers clean the directory.
   */
  private static async enter(
    options: InitOptions,
    nodeId: string,
    certs: NodeCertificates,
    joinAddrs: readonly string[],
  ): Promise<Manager> {
    const advertiseAddr = options.advertiseAddr ?? options.listenAddr;
    const identity: NodeIdentity = {
      format: 1,
      id: nodeId,
      role: 'manager',
      listenAddr: options.listenAddr,
      advertiseAddr,
      clusterId: '',
    };
    let parts: Parts | null = null;
    try {
      parts = await assemble(identity, certs, options.dataDir, options.logger, options.tuning);
      // The server is up before the cluster knows us, so the leader's first appends get through.
      const reply = await firstAnswer(joinAddrs, (address) =>
        callJoin(address, channelCredentials(certs), { address: advertiseAddr }),
      );
      for (const m of reply.members)
        if (m.id !== identity.id && m.address !== '') parts.transport.setPeer(m.id, m.address);
      identity.clusterId = reply.clusterId;
      identity.peers = Object.fromEntries(
        reply.members.filter((m) => m.id !== identity.id && m.address !== '').map((m) => [m.id, m.address]),
      );
      await writeIdentity(options.dataDir, identity);
      await parts.node.start();
      startLoops(parts);
    } catch (err) {
      if (parts) await shutdown(parts);
      throw err;
    }
    parts.log.info('joined the cluster as a learner', { cluster: parts.identity.clusterId });
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
    // The key files first: a locked manager is refused before node.key, which the unlock key wraps.
    const { keys, certs } = await openKeysAndCertificates(options.dataDir, options.unlockKey);
    if (!certs)
      throw new DataDirError(
        `${options.dataDir} holds node ${identity.id} but no certificates (${CERTS_DIR}/): it cannot prove who it is`,
      );
    const parts = await assemble(identity, certs, options.dataDir, options.logger, options.tuning, {
      forceNewCluster: options.forceNewCluster,
      keys,
      unlockKey: options.unlockKey,
      signingCA: (await readSigningCA(options.dataDir)) ?? undefined,
    });
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
    const { node, dataDir } = this.parts;
    this.leaving = true;
    const conf = node.membership();
    if (conf.voters.length <= 1 && conf.voters.includes(this.id))
      throw new FailedPreconditionError('the last manager of the cluster cannot leave it');
    if (node.isLeader()) await node.transferLeadership();
    if (node.leader().id === '') await node.waitForLeader();
    await callLeave(node.leader().address, channelCredentials(this.parts.tls.current), { nodeId: this.id });
    await this.stop();
    await abandon(dataDir);
  }

  /**
   * After the cluster removed this member: stop, keep the node's identity as a worker's, and
   * delete the Raft data (a later promotion joins afresh as a learner, as Swarm's does).
   */
  private async stepDown(): Promise<void> {
    const { identity, dataDir, log } = this.parts;
    log.warn('removed from the Raft membership: no longer a manager, stopping the manager role');
    await this.stop();
    // A worker is never unlocked: node.key goes back to plain before node.json says worker, so a
    // crash in between restarts a manager (locked, if autolocked) that steps down again.
    await this.parts.autolock.unwrapNodeKey();
    await writeIdentity(dataDir, { ...identity, role: 'worker', peers: undefined });
    await rm(joinPath(dataDir, 'raft'), { recursive: true, force: true });
  }

  /** Stops everything this manager started (server, loops, Raft); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= shutdown(this.parts);
    return this.stopping;
  }
}

/** A first certificate for the join token, from the manager at joinAddr (whose root the token vouches for). */
async function requestManagerCertificate(
  options: JoinOptions,
  advertiseAddr: string,
): Promise<{ keyPem: string; rootCa: string; certificateChain: string; nodeId: string; role: string }> {
  const rootPem = await fetchTrustedRoot(options.joinAddr, options.joinToken);
  const keyPem = await generateNodeKey();
  const issued = await requestNodeCertificate(options.joinAddr, rootPem, {
    csr: await createCsr(keyPem),
    token: options.joinToken,
    addr: hostOf(advertiseAddr),
  });
  return { keyPem, ...issued };
}

/** Removes a node's state from the data directory (a failed init or join, or a leave). */
async function abandon(dataDir: string): Promise<void> {
  await removeManagerState(dataDir);
  await rm(joinPath(dataDir, CERTS_DIR), { recursive: true, force: true });
}

/** Removes what only the manager role keeps (identity, Raft log, data keys); the certificates stay. */
async function removeManagerState(dataDir: string): Promise<void> {
  await rm(joinPath(dataDir, 'node.json'), { force: true });
  await rm(joinPath(dataDir, 'raft'), { recursive: true, force: true });
  await rm(joinPath(dataDir, KEYS_DIR), { recursive: true, force: true });
}

/** Tries `call` on each address in turn; the first answer wins, else the last error is thrown. */
async function firstAnswer<T>(
  addresses: readonly string[],
  call: (address: string) => Promise<T>,
): Promise<T> {
  let lastError: unknown = new Error('no manager address to join through');
  for (const address of addresses) {
    try {
      return await call(address);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function refuseExisting(dataDir: string): Promise<void> {
  if (await readIdentity(dataDir))
    throw new DataDirError(
      `${dataDir} already holds a node (node.json): use start to restart it, or choose an empty directory`,
    );
  for (const leftover of ['raft', CERTS_DIR, KEYS_DIR])
    if (await exists(joinPath(dataDir, leftover)))
      throw new DataDirError(
        `${dataDir} holds ${leftover}/ but no node.json (an init or join was interrupted): remove ${joinPath(dataDir, leftover)} first`,
      );
}
