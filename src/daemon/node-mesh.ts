// The routing mesh of a node process: one Mesh per node, fed with the endpoint table the leader's
// dispatcher streams through the agent's session (a complete table, then deltas). It serves every
// ingress-published port on the node's listen address and accepts the other nodes' tunnels on the
// cluster's data path port, reaching local tasks through the executor. A manager that runs no
// tasks (no executor, so no agent and no session) computes the same table from its own copy of
// the store instead. The mesh is made when the first table arrives, since only the table says
// which tunnel port the cluster uses, and made again should the cluster change that port.

import { DEFAULT_DATA_PATH_PORT } from '../api/index.js';
import type { ReloadableTlsIdentity } from '../ca/index.js';
import { EndpointPublisher } from '../dispatcher/endpoints.js';
import type { ApiStore } from '../manager/control/index.js';
import {
  applyEndpointDelta,
  Mesh,
  type EndpointTable,
  type LocalTaskResolver,
  type MeshOptions,
} from '../mesh/index.js';
import type { Logger } from '../util/logger.js';
import type { Executor } from '../worker/executor.js';
import type { EndpointUpdate } from '../worker/session.js';

/** A tunnel port that could not be bound (another process has it) is tried again this often. */
const START_RETRY_MS = 5000;

export interface NodeMeshOptions {
  nodeId: string;
  /** Where published ports and the tunnel listener bind (`0.0.0.0`: every interface). */
  listenHost: string;
  /** The node's certificate, kept current by renewal and root rotation. */
  tls: ReloadableTlsIdentity;
  /** Resolves the node's own tasks to addresses (the executor's taskAddress); null: it runs none. */
  executor: Executor | null;
  /** TLS on the tunnels (default true); false only on a trusted network. */
  encryption?: boolean;
  logger: Logger;
  /** Processes besides the daemon that accept the published TCP ports' connections (default 0). */
  dataPlaneWorkers?: number;
  /** Mesh settings for tests (timeouts, keepalive). */
  tuning?: Pick<MeshOptions, 'settings' | 'tunnel'>;
}

export class NodeMesh {
  private mesh: Mesh | null = null;
  /** The table as the session has delivered it so far (what the mesh converges to). */
  private table: EndpointTable | null = null;
  private applying: Promise<void> | null = null;
  private dirty = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private storeFeed: EndpointPublisher | null = null;
  private stopped = false;
  private readonly log: Logger;
  private readonly resolveTask: LocalTaskResolver;
  private readonly onIdentity = (): void => this.mesh?.updateTlsIdentity(this.options.tls.current);

  constructor(private readonly options: NodeMeshOptions) {
    this.log = options.logger.child({ component: 'node-mesh' });
    const { executor } = options;
    this.resolveTask = executor?.taskAddress
      ? (taskId, targetPort) => executor.taskAddress!(taskId, targetPort)
      : () => null;
    options.tls.addIdentityCertificateListener(this.onIdentity);
  }

  /**
   * The agent's endpoints handler. A delta applies to the table delivered last; one that does
   * not (false) makes the session start over with a complete table.
   */
  handle(update: EndpointUpdate): boolean {
    if (this.stopped) return true;
    if ('table' in update) this.table = update.table;
    else if (this.table === null || update.delta.fromVersion !== this.table.version) return false;
    else this.table = applyEndpointDelta(this.table, update.delta);
    this.kick();
    return true;
  }

  /**
   * Takes the table from this manager's own store rather than from a session: for a manager with
   * no executor. Its store lags the leader's by the replication delay at most.
   */
  followStore(store: ApiStore): void {
    if (this.stopped || this.storeFeed !== null) return;
    const publisher = new EndpointPublisher({ store, logger: this.options.logger });
    this.storeFeed = publisher;
    publisher.start();
    publisher.onTable((table) => this.handle({ table }));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.storeFeed?.stop();
    this.options.tls.removeIdentityCertificateListener(this.onIdentity);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.applying;
    await this.mesh?.stop();
    this.mesh = null;
  }

  /** Brings the mesh to the latest table; tables that arrive meanwhile are folded into one pass. */
  private kick(): void {
    if (this.applying) {
      this.dirty = true;
      return;
    }
    this.applying = (async () => {
      do {
        this.dirty = false;
        await this.applyLatest().catch((err: unknown) =>
          this.log.error('could not apply the endpoint table', { error: (err as Error).message }),
        );
      } while (this.dirty && !this.stopped);
      this.applying = null;
    })();
  }

  private async applyLatest(): Promise<void> {
    const table = this.table;
    if (table === null || this.stopped) return;
    const port = tunnelPortOf(table, this.options.nodeId);
    if (this.mesh !== null && this.mesh.tunnelAddress.port !== port) {
      this.log.info('the cluster changed its data path port: restarting the mesh', { port });
      await this.mesh.stop();
      this.mesh = null;
    }
    if (this.mesh === null && !(await this.startMesh(port))) return;
    await this.mesh!.update(table);
  }

  private async startMesh(port: number): Promise<boolean> {
    const { nodeId, listenHost, tls, encryption, dataPlaneWorkers, tuning, logger } = this.options;
    const mesh = new Mesh({
      nodeId,
      listenAddress: listenHost,
      tunnelAddress: { host: listenHost, port },
      tls: tls.current,
      encryption: encryption ?? true,
      localTaskAddress: this.resolveTask,
      // Tunnels are taken from the nodes the cluster lists as up (a removed node is in no table).
      admitNode: (id) => this.table !== null && id in this.table.nodes,
      logger,
      dataPlane: { workers: dataPlaneWorkers ?? 0 },
      ...tuning,
    });
    try {
      await mesh.start();
    } catch (err) {
      await mesh.stop();
      this.log.error('the routing mesh cannot listen for other nodes; published ports are not served here', {
        address: `${listenHost}:${port}`,
        error: (err as Error).message,
        retryInMs: START_RETRY_MS,
      });
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) this.kick();
      }, START_RETRY_MS);
      return false;
    }
    this.mesh = mesh;
    return true;
  }
}

/** The cluster's tunnel port as the table gives it (every node's entry carries the same one). */
function tunnelPortOf(table: EndpointTable, nodeId: string): number {
  return (table.nodes[nodeId] ?? Object.values(table.nodes)[0])?.port ?? DEFAULT_DATA_PATH_PORT;
}
