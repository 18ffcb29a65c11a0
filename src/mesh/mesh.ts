// The routing mesh of one node: every ingress-published port of the endpoint table listened on
// (TCP and UDP) on the node's address, each connection or flow balanced over the service's tasks
// in rotation, local tasks reached directly and remote ones through the owning node's mesh over
// tunnels; and the tunnel endpoint through which other nodes reach the tasks that run here.
// Inputs are injected (the table, the local task resolver, certificates, clock, logger) so the
// node daemon's wiring stays thin and tests run two meshes in one process.

import { EventEmitter } from 'node:events';
import type { TlsIdentity } from '../ca/index.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { BackendSet } from './backend-set.js';
import {
  TUNNEL_SHARE_KEY,
  type ListenerInbox,
  type LocalTaskResolver,
  type MeshContext,
  type MeshSettings,
  type PortStatus,
} from './context.js';
import { DataPlaneWorkers, type DataPlaneOptions } from './data-plane.js';
import {
  applyEndpointDelta,
  portKey,
  type EndpointDelta,
  type EndpointTable,
  type MeshNodeAddress,
} from './endpoint-table.js';
import { MeshError } from './errors.js';
import { RemoteEndpoint } from './remote-endpoint.js';
import { TcpPort } from './tcp-port.js';
import { TunnelListener, TunnelPool } from './tunnel/transport.js';
import { UdpPort } from './udp-port.js';

export interface MeshOptions {
  nodeId: string;
  /** The address published ports are bound on (the node's listen address; `0.0.0.0` for all). */
  listenAddress: string;
  /** Where this node accepts tunnels from other nodes' meshes (its port is the table's tunnelPort). */
  tunnelAddress: MeshNodeAddress;
  /**
   * The local address tunnels are dialed from. Without TLS it must be the address the other
   * nodes know this node by (they admit plain tunnels by address). Default: the tunnel host.
   */
  dialFrom?: string;
  /** The node's certificate and the cluster's roots, for the tunnels. */
  tls: TlsIdentity | null;
  /** Encrypt and authenticate tunnels with TLS (default true; `tls` is then required). */
  encryption?: boolean;
  /** Where local tasks listen (container address or host port). */
  localTaskAddress: LocalTaskResolver;
  /** Further admission of tunnel peers (the cluster's removed-node list). */
  admitNode?: (nodeId: string) => boolean;
  clock?: Clock;
  logger?: Logger;
  settings?: Partial<MeshSettings>;
  tunnel?: Partial<TunnelSettings>;
  /**
   * Worker processes that accept the published TCP ports' connections beside this one (see
   * data-plane.ts). Default: none.
   */
  dataPlane?: DataPlaneOptions;
  /**
   * Set only in a data-plane worker: its TCP ports and tunnel listener accept on the sockets the
   * node's mesh bound, and it serves no published UDP port (the node's mesh does; a worker knows
   * their tasks, for the tunnel streams that reach them).
   */
  inbox?: ListenerInbox;
}

export interface TunnelSettings {
  /**
   * Tunnel sessions a node keeps per peer node, shared out among its processes: the mesh's own
   * process and each data-plane worker dial their own, ceil(sessionsPerPeer / processes) each and
   * at least one.
   */
  sessionsPerPeer: number;
  /** Bytes a stream may have in flight (per direction). */
  streamWindow: number;
  pingIntervalMs: number;
  deadAfterPings: number;
  redialDelayMs: number;
}

export const DEFAULT_MESH_SETTINGS: MeshSettings = {
  connectTimeoutMs: 3000,
  keepAliveMs: 30_000,
  closeGraceMs: 5000,
  udpSweepMs: 1000,
  udpQueueLimit: 64,
  udpMaxFlows: 10_000,
  bindRetryMs: 5000,
};

export const DEFAULT_TUNNEL_SETTINGS: TunnelSettings = {
  sessionsPerPeer: 2,
  streamWindow: 1024 * 1024,
  pingIntervalMs: 5000,
  deadAfterPings: 3,
  redialDelayMs: 200,
};

export interface MeshEvents {
  /** A published port was bound, could not be bound, or was closed. */
  port: [PortStatus];
}

interface PublishedPort {
  backends: BackendSet;
  /** null: a UDP port in a data-plane worker, known only for the tunnel streams to its tasks. */
  listener: TcpPort | UdpPort | null;
}

export class Mesh extends EventEmitter<MeshEvents> {
  readonly nodeId: string;
  private table: EndpointTable = { version: 0, ports: [], nodes: {} };
  private readonly ports = new Map<string, PublishedPort>();
  private nodesByHost = new Map<string, string>();
  private readonly ctx: MeshContext;
  private readonly pool: TunnelPool;
  private readonly listener: TunnelListener;
  private readonly remote: RemoteEndpoint;
  private readonly clock: Clock;
  private readonly log: Logger;
  private sweepTimer: ClockTimer | null = null;
  private started = false;
  private stopped = false;
  private readonly pendingOpens = new Set<Promise<void>>();
  private readonly dataPlane: DataPlaneWorkers | null;

  constructor(private readonly options: MeshOptions) {
    super();
    this.nodeId = options.nodeId;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'mesh', nodeId: options.nodeId });
    const encryption = options.encryption ?? true;
    if (encryption && options.tls === null)
      throw new MeshError(
        'TUNNEL_AUTH',
        'mesh tunnels are encrypted by default: give the node certificates, or set encryption: false on a trusted network',
      );
    const tls = encryption ? options.tls : null;
    // Without encryption, node certificates (when given) still authenticate the tunnels.
    const plainIdentity = encryption ? null : options.tls;
    const settings = { ...DEFAULT_MESH_SETTINGS, ...options.settings };
    const workers = options.inbox === undefined ? (options.dataPlane?.workers ?? 0) : 0;
    const tunnel = tunnelSettingsPerProcess({ ...DEFAULT_TUNNEL_SETTINGS, ...options.tunnel }, workers + 1);
    const sessionSettings = {
      clock: this.clock,
      logger: this.log.child({ part: 'tunnel' }),
      streamWindow: tunnel.streamWindow,
      pingIntervalMs: tunnel.pingIntervalMs,
      deadAfterPings: tunnel.deadAfterPings,
      keepAliveMs: settings.keepAliveMs,
    };
    const admit = options.admitNode !== undefined ? { admitNode: options.admitNode } : {};
    const security = { tls, plainIdentity, handshakeTimeoutMs: settings.connectTimeoutMs };
    this.pool = new TunnelPool({
      ...sessionSettings,
      ...security,
      ...admit,
      localAddress: options.dialFrom ?? options.tunnelAddress.host,
      sessionsPerPeer: tunnel.sessionsPerPeer,
      connectTimeoutMs: settings.connectTimeoutMs,
      redialDelayMs: tunnel.redialDelayMs,
    });
    this.dataPlane =
      workers > 0
        ? new DataPlaneWorkers({
            workers,
            ...(options.dataPlane?.script !== undefined ? { script: options.dataPlane.script } : {}),
            init: {
              nodeId: options.nodeId,
              listenAddress: options.listenAddress,
              tunnelAddress: options.tunnelAddress,
              ...(options.dialFrom !== undefined ? { dialFrom: options.dialFrom } : {}),
              tls: options.tls,
              encryption,
              settings,
              tunnel,
            },
            resolveLocalTask: options.localTaskAddress,
            logger: this.log,
          })
        : null;
    this.ctx = {
      nodeId: options.nodeId,
      settings,
      clock: this.clock,
      logger: this.log,
      resolveLocalTask: options.localTaskAddress,
      nodeAddress: (nodeId) => this.table.nodes[nodeId],
      pool: this.pool,
      ...(this.dataPlane !== null ? { sharing: this.dataPlane } : {}),
      ...(options.inbox !== undefined ? { inbox: options.inbox } : {}),
    };
    this.remote = new RemoteEndpoint(this.ctx, (key) => this.ports.get(key)?.backends);
    this.listener = new TunnelListener({
      ...sessionSettings,
      ...security,
      ...admit,
      host: options.tunnelAddress.host,
      port: options.tunnelAddress.port,
      nodeAtAddress: (host) => this.nodesByHost.get(host),
      onOpen: (stream, request) => this.remote.handle(stream, request),
    });
  }

  /** Binds the tunnel port (an error if it cannot: the node cannot serve remote clients). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const inbox = this.options.inbox;
    if (inbox !== undefined) this.listener.adopt((server) => inbox.serve(TUNNEL_SHARE_KEY, server));
    else {
      await this.listener.start();
      const server = this.listener.listening;
      if (server !== null) this.dataPlane?.shareTunnel(server);
    }
    this.armSweep();
    this.log.info('mesh started', { tunnel: this.listener.address, listen: this.options.listenAddress });
  }

  /** Where tunnels are accepted (the real port when the options asked for 0). */
  get tunnelAddress(): MeshNodeAddress {
    return this.listener.address;
  }

  /** The table in force. */
  get endpointTable(): EndpointTable {
    return this.table;
  }

  /**
   * Takes a complete table. One older than the table in force (by version) is ignored; version 0
   * always applies. Resolves once every new port's bind was attempted (failures are port events).
   */
  async update(table: EndpointTable): Promise<void> {
    if (this.stopped) return;
    if (table.version !== 0 && table.version < this.table.version) {
      this.log.debug('stale endpoint table ignored', { version: table.version, current: this.table.version });
      return;
    }
    this.table = table;
    this.nodesByHost = new Map(Object.entries(table.nodes).map(([id, addr]) => [addr.host, id]));
    // The workers get the table before the sockets of the ports it adds (see DataPlaneWorkers).
    this.dataPlane?.update(table);
    const wanted = new Set<string>();
    const opening: Array<Promise<void>> = [];
    for (const entry of table.ports) {
      const key = portKey(entry);
      wanted.add(key);
      const existing = this.ports.get(key);
      if (existing !== undefined && existing.backends.entry.serviceId === entry.serviceId) {
        existing.backends.apply(entry);
        continue;
      }
      // Another service took the port: the new listener binds once the old one is closed everywhere.
      const freed = existing !== undefined ? this.unpublish(key, existing) : Promise.resolve();
      const backends = new BackendSet(entry, this.clock);
      const listener = this.listenerFor(backends);
      this.ports.set(key, { backends, listener });
      if (listener !== null)
        opening.push(existing !== undefined ? freed.then(() => listener.open()) : listener.open());
    }
    for (const [key, port] of this.ports) if (!wanted.has(key)) opening.push(this.unpublish(key, port));
    const all = Promise.all(opening).then(() => undefined);
    this.pendingOpens.add(all);
    try {
      await all;
    } finally {
      this.pendingOpens.delete(all);
    }
  }

  /** Applies a delta to the table in force; a delta for another version asks for a complete table. */
  async applyDelta(delta: EndpointDelta): Promise<boolean> {
    if (delta.fromVersion !== this.table.version) return false;
    await this.update(applyEndpointDelta(this.table, delta));
    return true;
  }

  /** Every published port's state on this node. */
  portStatus(): PortStatus[] {
    return [...this.ports.values()].flatMap((p) => (p.listener === null ? [] : [p.listener.status]));
  }

  /** Open connections/flows per task through this node (for status and least-connections checks). */
  activeConnections(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { backends } of this.ports.values())
      for (const entry of backends.entry.backends) {
        const state = backends.get(entry.taskId);
        if (state !== undefined) out[entry.taskId] = (out[entry.taskId] ?? 0) + state.active;
      }
    return out;
  }

  /** The process ids of the data-plane workers running now (none until a TCP port is bound). */
  dataPlanePids(): number[] {
    return this.dataPlane?.pids() ?? [];
  }

  /** Tunnel sessions this node has dialed, per peer node. */
  tunnelSessions(): Record<string, number> {
    return this.pool.sessionCounts();
  }

  /** Breaks this node's dialed tunnels to `nodeId` (they are re-dialed on demand). */
  disconnectTunnels(nodeId: string): void {
    this.pool.disconnect(nodeId);
  }

  /** New node certificates (after renewal or a root rotation) for new tunnels. */
  updateTlsIdentity(identity: TlsIdentity): void {
    if (this.options.tls === null) return; // tunnels authenticated by address: nothing to renew
    this.pool.updateIdentity(identity);
    this.listener.updateIdentity(identity);
    this.dataPlane?.updateIdentity(identity);
  }

  /** Closes every port, connection, flow and tunnel; leaves no timer behind. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    await Promise.allSettled([...this.pendingOpens]);
    // The workers first: they close their connections and their copies of the ports' sockets.
    await this.dataPlane?.stop();
    const closing: Array<Promise<void>> = [];
    for (const [key, port] of this.ports) closing.push(this.unpublish(key, port, true));
    this.remote.closeAll();
    await Promise.all(closing);
    await this.pool.stop();
    await this.listener.stop();
    this.log.info('mesh stopped');
  }

  private async unpublish(key: string, port: PublishedPort, closeConnections = false): Promise<void> {
    if (this.ports.get(key) === port) this.ports.delete(key);
    port.backends.dispose();
    // Connections already open through a port that is no longer published continue until they
    // end (their task stops, or the idle timeout); only stop() closes them.
    if (port.listener instanceof TcpPort) await port.listener.close(closeConnections);
    else await port.listener?.close();
  }

  /** A new port's listener: none for UDP in a data-plane worker (a flow must stay with one process). */
  private listenerFor(backends: BackendSet): TcpPort | UdpPort | null {
    const onStatus = (status: PortStatus): void => this.onPortStatus(status);
    if (backends.entry.protocol === 'tcp')
      return new TcpPort(this.ctx, backends, this.options.listenAddress, onStatus);
    if (this.options.inbox !== undefined) return null;
    return new UdpPort(this.ctx, backends, this.options.listenAddress, onStatus);
  }

  private onPortStatus(status: PortStatus): void {
    if (status.state === 'unavailable')
      this.log.warn('published port unavailable on this node', {
        protocol: status.protocol,
        port: status.publishedPort,
        reason: status.error?.message,
      });
    this.emit('port', status);
  }

  private armSweep(): void {
    this.sweepTimer = this.clock.setTimer(this.ctx.settings.udpSweepMs, () => {
      const now = this.clock.now();
      for (const { listener } of this.ports.values()) if (listener instanceof UdpPort) listener.sweep(now);
      this.remote.sweep(now);
      if (!this.stopped) this.armSweep();
    });
  }
}

/**
 * One process's tunnel settings when a node's mesh runs in `processes` (its own and its data-plane
 * workers): its share of the node's sessions per peer. A process multiplexes only the client
 * connections it accepted itself, and spreading those over more sessions than its share would
 * put fewer frames in each TLS write: more writes, and more CPU, per request.
 */
export function tunnelSettingsPerProcess(tunnel: TunnelSettings, processes: number): TunnelSettings {
  return { ...tunnel, sessionsPerPeer: Math.max(1, Math.ceil(tunnel.sessionsPerPeer / processes)) };
}
