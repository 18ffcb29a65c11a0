// The routing mesh's endpoint table for every node (issue 9): which ingress ports are published,
// which tasks serve them, where each node's mesh accepts tunnels. The leader computes it from the
// store (src/mesh's pure computeEndpointTable, over the services that publish ingress ports, their
// tasks and the nodes) after a short window of relevant changes, and streams it to each node: the
// complete table first, then deltas, each from the version the previous message made. A node
// whose stream is full is skipped and, once drained, sent one delta from what it last got.

import { DEFAULT_DATA_PATH_PORT, type Node, type Service, type Task } from '../api/index.js';
import type { EndpointsMessage } from '../generated/flotilla/dispatcher/v1/EndpointsMessage.js';
import type { ApiObjectTypes, ApiStore, Stored } from '../manager/control/index.js';
import type { TypedStoreEvent, Watch } from '../manager/store/index.js';
import {
  computeEndpointTable,
  diffEndpointTables,
  isEmptyDelta,
  type EndpointDelta,
  type EndpointTable,
} from '../mesh/index.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

/** Swarm's data path port: what the cluster object says when it says nothing else. */
export const DEFAULT_TUNNEL_PORT = DEFAULT_DATA_PATH_PORT;

export interface EndpointSink {
  write(message: EndpointsMessage): boolean;
  drained(): Promise<void>;
}

export interface EndpointPublisherOptions {
  store: ApiStore;
  /** Changes are gathered this long before the table is computed again (default 50 ms). */
  batchMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Whether a service publishes a port the mesh serves (ingress mode, with a published port). */
function publishesIngress(service: Stored<'service'>): boolean {
  const ports = service.endpoint?.ports ?? service.spec.endpointSpec?.ports ?? [];
  return ports.some((p) => (p.publishMode ?? 'ingress') === 'ingress' && (p.publishedPort ?? 0) > 0);
}

class NodeEndpoints {
  /** What the node has: the last table sent (whole, or reached by the deltas sent). */
  private sent: EndpointTable | null = null;
  private waitingForDrain = false;
  private closed = false;

  constructor(
    private readonly sink: EndpointSink,
    /** The publisher's table now: what a node whose stream was full catches up to. */
    private readonly current: () => EndpointTable,
  ) {}

  sendComplete(table: EndpointTable): void {
    this.sent = table;
    this.write({ tableJson: Buffer.from(JSON.stringify(table)) });
  }

  /** The change from `from` to `to`, shared by every node that is up to date (`json` made once). */
  sendDelta(from: EndpointTable, to: EndpointTable, json: Buffer): void {
    if (this.closed || this.waitingForDrain) return; // it catches up once drained
    if (this.sent !== from) {
      this.catchUp(to);
      return;
    }
    this.sent = to;
    this.write({ deltaJson: json });
  }

  close(): void {
    this.closed = true;
  }

  private catchUp(to: EndpointTable): void {
    if (this.sent === null) {
      this.sendComplete(to);
      return;
    }
    const delta = diffEndpointTables(this.sent, to);
    this.sent = to;
    if (!isEmptyDelta(delta)) this.write({ deltaJson: Buffer.from(JSON.stringify(delta)) });
  }

  private write(message: EndpointsMessage): void {
    if (this.closed || this.sink.write(message)) return;
    this.waitingForDrain = true;
    this.sink.drained().then(
      () => {
        this.waitingForDrain = false;
        const now = this.current();
        if (!this.closed && this.sent !== now) this.catchUp(now);
      },
      () => this.close(),
    );
  }
}

export class EndpointPublisher {
  private table: EndpointTable = { version: 0, ports: [], nodes: {} };
  private readonly byNode = new Map<string, NodeEndpoints>();
  private readonly tableListeners = new Set<(table: EndpointTable) => void>();
  /** Services that publish ingress ports: their tasks' events matter. */
  private ingressServices = new Set<string>();
  private watch: Watch<TypedStoreEvent<ApiObjectTypes>> | null = null;
  private following: Promise<void> | null = null;
  private timer: ClockTimer | null = null;
  private stopped = true;
  private readonly clock: Clock;
  private readonly batchMs: number;
  private readonly log: Logger;

  constructor(private readonly options: EndpointPublisherOptions) {
    this.clock = options.clock ?? systemClock;
    this.batchMs = options.batchMs ?? 50;
    this.log = (options.logger ?? silentLogger).child({ component: 'endpoints' });
  }

  /** The table as last computed. */
  get current(): EndpointTable {
    return this.table;
  }

  start(): void {
    this.stopped = false;
    // Watched from the version the first table is computed at: nothing in between is missed.
    this.watch = this.options.store.watch({ kinds: ['service', 'task', 'node', 'cluster'] });
    this.recompute();
    this.following = this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.watch?.close();
    this.tableListeners.clear();
    await this.following;
    for (const n of this.byNode.values()) n.close();
    this.byNode.clear();
  }

  /**
   * Calls `listener` with the table now and with every new one, in this process (no encoding):
   * for a node that follows its own manager's store. The returned function stops it.
   */
  onTable(listener: (table: EndpointTable) => void): () => void {
    this.tableListeners.add(listener);
    listener(this.table);
    return () => this.tableListeners.delete(listener);
  }

  /** Streams the table to a node's sink (complete at once); the returned function ends it. */
  subscribe(nodeId: string, sink: EndpointSink): () => void {
    this.byNode.get(nodeId)?.close();
    const n = new NodeEndpoints(sink, () => this.table);
    this.byNode.set(nodeId, n);
    n.sendComplete(this.table);
    return () => {
      n.close();
      if (this.byNode.get(nodeId) === n) this.byNode.delete(nodeId);
    };
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      const watch = this.watch!;
      try {
        for await (const event of watch) if (this.matters(event)) this.schedule();
      } catch (err) {
        if (this.stopped) return;
        // Overflow or a restored snapshot: read the whole store again.
        this.log.warn('endpoint watch lost events; recomputing the table', { error: (err as Error).message });
      }
      if (this.stopped) return;
      this.watch = this.options.store.watch({ kinds: ['service', 'task', 'node', 'cluster'] });
      this.recompute();
    }
  }

  private matters(event: TypedStoreEvent<ApiObjectTypes>): boolean {
    // Task churn of services without ingress ports (most of it, at scale) changes nothing here.
    if (event.kind === 'task') return this.ingressServices.has(event.object.serviceId);
    return true;
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = this.clock.setTimer(this.batchMs, () => {
      this.timer = null;
      if (!this.stopped) this.recompute();
    });
  }

  private recompute(): void {
    const { store } = this.options;
    const services = store.list('service').filter(publishesIngress);
    this.ingressServices = new Set(services.map((s) => s.id));
    const tasks = services.flatMap((s) => store.list('task', { serviceId: s.id }));
    const tunnelPort = store.list('cluster')[0]?.dataPathPort ?? DEFAULT_TUNNEL_PORT;
    // The store's objects are deeply read-only; computeEndpointTable only reads them.
    const next = computeEndpointTable(
      services as readonly Service[],
      tasks as readonly Task[],
      store.list('node') as readonly Node[],
      { tunnelPort, version: this.table.version + 1 },
    );
    const delta: EndpointDelta = diffEndpointTables(this.table, next);
    if (isEmptyDelta(delta)) return;
    const previous = this.table;
    this.table = next;
    for (const listener of this.tableListeners) listener(next);
    if (this.byNode.size === 0) return;
    const json = Buffer.from(JSON.stringify(delta));
    for (const n of this.byNode.values()) n.sendDelta(previous, next, json);
  }
}
