// A node's worker agent (SwarmKit's agent): joins with a worker token (or uses a manager's own
// certificate), keeps its certificate and state in its data directory, holds a session with the
// leader's dispatcher (following the leader, reconnecting with backoff), hands the assignments
// to its task set and reports every status move back. After a restart it adopts the containers
// it already runs: the task set checks the engine before starting anything.

import { join as joinPath } from 'node:path';
import type { NodeDescription } from '../api/index.js';
import { fetchTrustedRoot, requestNodeCertificate } from '../ca/client.js';
import {
  createCsr,
  generateNodeKey,
  readNodeCertificates,
  reloadableChannelCredentials,
  ReloadableTlsIdentity,
  writeNodeCertificates,
  type NodeCertificates,
} from '../ca/index.js';
import { CertificateRenewer } from '../ca/renewer.js';
import { certificateRole, followTrust } from '../ca/trust.js';
import { UnavailableError } from '../client/index.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { Executor, LogLine, LogOptions, TaskContext } from './executor.js';
import { LogPublisher } from './log-publisher.js';
import { dispatcherClient, DispatcherSession, type EndpointUpdate } from './session.js';
import { StatusReporter } from './status-reporter.js';
import { TaskSet } from './task-set.js';
import { systemClock } from '../util/clock.js';
import { readWorkerState, writeWorkerState, WorkerStateError, type WorkerState } from './worker-state.js';

export interface AgentOptions {
  dataDir: string;
  executor: Executor;
  logger?: Logger;
  /** The node's hostname as the managers should see it (default: the executor's). */
  hostname?: string;
  /** Backoff between failed session attempts: from `initial`, doubling, up to `max` (ms). */
  retryMs?: { initial: number; max: number };
  /**
   * The host other nodes reach this node at (the mesh's tunnels dial it); default: the address
   * the dispatcher sees the session come from. A worker opened from its data directory takes the
   * one it joined with.
   */
  advertiseHost?: string;
  /** Status batching window (ms). */
  reportBatchMs?: number;
  /**
   * The routing mesh's endpoint table as the leader streams it (for the node's mesh); false when
   * a delta does not apply, and the session starts over for a complete table. Absent: no stream.
   */
  endpoints?: (update: EndpointUpdate) => boolean;
}

export interface JoinAgentOptions extends AgentOptions {
  joinAddr: string;
  joinToken: string;
  /** The address the managers should record for this node (host). */
  advertiseAddr?: string;
  /** Where the node's routing mesh listens (host), kept in the worker state for restarts. */
  listenHost?: string;
  /** The port the node would serve the manager role on if promoted, kept in the worker state. */
  managerPort?: number;
}

/** A manager's own agent: it uses the manager's certificate and talks to the managers it knows. */
export interface EmbeddedAgentOptions extends AgentOptions {
  nodeId: string;
  tls: ReloadableTlsIdentity;
  managers: () => string[];
}

export class Agent {
  private session: DispatcherSession | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private wake: (() => void) | null = null;
  private failures = 0;
  /** The leader's address when a manager named it (tried first). */
  private leaderHint: string | undefined;
  private nextManager = 0;
  private readonly log: Logger;
  private readonly reporter: StatusReporter;
  /** Made once the node has described itself (templates need its hostname and platform). */
  private tasks: TaskSet | null = null;
  private readonly publisher: LogPublisher;
  private description: NodeDescription | null = null;
  /** Sessions opened so far (tests, status). */
  sessions = 0;
  private endpoints: ((update: EndpointUpdate) => boolean) | undefined;
  private roleHandler: ((role: string) => void) | undefined;

  private constructor(
    private readonly options: AgentOptions,
    readonly nodeId: string,
    /** The node's certificate, kept current by renewal and root rotation. */
    readonly tls: ReloadableTlsIdentity,
    private managers: () => string[],
    private readonly renewer: CertificateRenewer | null,
    private readonly onManagers: (addrs: string[]) => void,
  ) {
    this.log = (options.logger ?? silentLogger).child({ component: 'agent', node: nodeId });
    this.reporter = new StatusReporter({ logger: this.log, batchMs: options.reportBatchMs });
    this.publisher = new LogPublisher((taskId, o) => this.taskLogs(taskId, o), this.log);
    this.endpoints = options.endpoints;
  }

  /** Takes the routing mesh's endpoint table stream from the next session on (see AgentOptions). */
  onEndpoints(handler: (update: EndpointUpdate) => boolean): void {
    this.endpoints = handler;
  }

  /**
   * Told, after each session update, the role the cluster gives this node once its certificate
   * carries that role: 'manager' after a promotion (the node then takes up the manager role).
   * Only a worker's own agent follows its role; a manager's leaves it to the manager.
   */
  onClusterRole(handler: (role: string) => void): void {
    this.roleHandler = handler;
  }

  /** Joins a cluster as a worker: a certificate from the CA for the worker token, then the state file. */
  static async join(options: JoinAgentOptions): Promise<Agent> {
    if (await readWorkerState(options.dataDir))
      throw new WorkerStateError(
        `${options.dataDir} already holds a worker; start it instead of joining again`,
      );
    const rootPem = await fetchTrustedRoot(options.joinAddr, options.joinToken);
    const keyPem = await generateNodeKey();
    const issued = await requestNodeCertificate(options.joinAddr, rootPem, {
      csr: await createCsr(keyPem),
      token: options.joinToken,
      addr: options.advertiseAddr ?? '',
    });
    const certs: NodeCertificates = {
      rootsPem: issued.rootCa,
      keyPem,
      certChainPem: issued.certificateChain,
    };
    await writeNodeCertificates(options.dataDir, certs);
    await writeWorkerState(options.dataDir, {
      format: 1,
      nodeId: issued.nodeId,
      managers: [options.joinAddr],
      ...(options.advertiseAddr ? { addr: options.advertiseAddr } : {}),
      ...(options.listenHost ? { listenHost: options.listenHost } : {}),
      ...(options.managerPort ? { managerPort: options.managerPort } : {}),
    });
    return Agent.open(options);
  }

  /** A worker from its data directory (after join, or a restart). */
  static async open(options: AgentOptions): Promise<Agent> {
    const state = await readWorkerState(options.dataDir);
    if (!state) throw new WorkerStateError(`${options.dataDir} holds no worker: join a cluster first`);
    const certs = await readNodeCertificates(options.dataDir);
    if (!certs) throw new WorkerStateError(`${joinPath(options.dataDir, 'certs')} holds no node certificate`);
    const tls = new ReloadableTlsIdentity(certs);
    let known = state.managers;
    const renewer = new CertificateRenewer({
      dataDir: options.dataDir,
      tls,
      managers: () => known,
      logger: options.logger,
    });
    const persist = (addrs: string[]): void => {
      if (addrs.length === 0 || JSON.stringify(addrs) === JSON.stringify(known)) return;
      known = addrs;
      const next: WorkerState = { ...state, managers: addrs };
      writeWorkerState(options.dataDir, next).catch((err: unknown) =>
        (options.logger ?? silentLogger).warn('could not record the managers', {
          error: (err as Error).message,
        }),
      );
    };
    const advertiseHost = options.advertiseHost ?? state.addr;
    return new Agent(
      advertiseHost !== undefined ? { ...options, advertiseHost } : options,
      state.nodeId,
      tls,
      () => known,
      renewer,
      persist,
    );
  }

  /** The agent a manager runs beside itself. */
  static embedded(options: EmbeddedAgentOptions): Agent {
    return new Agent(options, options.nodeId, options.tls, options.managers, null, () => undefined);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.renewer?.start();
    this.running = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.session?.cancel('the agent is stopping');
    this.wake?.();
    await this.running;
    this.publisher.stopAll();
    await this.reporter.stop();
    // The containers keep running: a restarted agent adopts them.
    await this.tasks?.stop();
    await this.options.executor.close?.();
    await this.renewer?.stop();
  }

  /** True while a session is open. */
  get connected(): boolean {
    return this.session !== null;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const address = this.pickManager();
      let redirected = false;
      try {
        await this.runSession(address);
        this.failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof UnavailableError && err.reason === 'not-leader' && err.leaderAddr) {
          redirected = this.leaderHint !== err.leaderAddr;
          this.leaderHint = err.leaderAddr;
        } else {
          this.leaderHint = undefined;
        }
        this.failures++;
        this.log.info('no session with the dispatcher; retrying', {
          manager: address,
          error: (err as Error).message,
        });
      }
      if (this.stopped) break;
      if (!redirected) await this.backoff();
    }
  }

  private async runSession(address: string): Promise<void> {
    const description = (this.description ??= await this.describe());
    const tasks = (this.tasks ??= new TaskSet({
      executor: this.options.executor,
      node: this.nodeContext(description),
      report: (taskId, status) => this.reporter.report(taskId, status),
      clock: systemClock,
      logger: this.log,
    }));
    const client = dispatcherClient(address, reloadableChannelCredentials(this.tls));
    const session = new DispatcherSession(
      client,
      {
        // Failures are logged by the task set; the next complete set starts over.
        complete: (assignments) => void tasks.replace(assignments).catch(() => undefined),
        changes: (changes) => void tasks.apply(changes).catch(() => undefined),
        update: ({ managers, trustedRoots, signingRoot, role }) => {
          const leader = managers.find((m) => m.leader);
          this.leaderHint = leader?.addr;
          const addrs = [...managers].sort((a, b) => Number(b.leader) - Number(a.leader)).map((m) => m.addr);
          this.onManagers(addrs);
          // A manager's own agent leaves this to the manager, which follows the store.
          const renewer = this.renewer;
          if (!renewer) return;
          const follow = async (): Promise<void> => {
            await followTrust(
              { trustedRoots, signingRoot },
              { tls: this.tls, dataDir: this.options.dataDir, renewer, log: this.log },
            );
            // Promoted or demoted: a certificate with the new role (OU), as Swarm issues.
            if (role !== '' && certificateRole(this.tls.current.certChainPem) !== role) {
              this.log.info("the cluster changed this node's role: renewing its certificate", { role });
              await renewer.renewNow();
            }
            if (role !== '' && certificateRole(this.tls.current.certChainPem) === role)
              this.roleHandler?.(role);
          };
          follow().catch((err: unknown) =>
            this.log.warn('could not follow the cluster root CA or role', { error: (err as Error).message }),
          );
        },
        logs: (subscription, open) => this.publisher.serve(subscription, open),
        ...(this.endpoints ? { endpoints: this.endpoints } : {}),
      },
      this.log,
    );
    try {
      await session.open(description, this.options.advertiseHost);
      this.session = session;
      this.sessions++;
      this.failures = 0;
      this.log.info('session open', { manager: address, sessionId: session.sessionId });
      this.reporter.attach((updates) => session.sendStatuses(updates));
      const reason = await session.ended;
      if (!this.stopped) throw reason;
    } finally {
      this.reporter.attach(null);
      this.publisher.stopAll();
      this.session = null;
      session.cancel();
      client.close();
    }
  }

  private pickManager(): string {
    if (this.leaderHint) return this.leaderHint;
    const managers = this.managers();
    if (managers.length === 0) throw new Error('no manager address known');
    const address = managers[this.nextManager % managers.length]!;
    this.nextManager++;
    return address;
  }

  private async backoff(): Promise<void> {
    const { initial, max } = this.options.retryMs ?? { initial: 100, max: 5_000 };
    const ceiling = Math.min(max, initial * 2 ** Math.min(this.failures, 16));
    // Full jitter: a cluster's worth of nodes that lost the same leader do not return in step.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, delay);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private async describe(): Promise<NodeDescription> {
    const described = await this.options.executor.describe();
    return this.options.hostname ? { ...described, hostname: this.options.hostname } : described;
  }

  private nodeContext(d: NodeDescription): TaskContext['node'] {
    return { id: this.nodeId, hostname: d.hostname, platform: d.platform };
  }

  private taskLogs(taskId: string, options: LogOptions): AsyncIterable<LogLine> | null {
    return this.tasks?.logs(taskId, options) ?? null;
  }
}
