// What the mesh's published ports and its tunnel endpoint share: this node's identity, settings,
// the way to reach local tasks and other nodes, and the tunnel pool.

import type { Server, Socket } from 'node:net';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { MeshNodeAddress } from './endpoint-table.js';
import type { MeshError } from './errors.js';
import type { TunnelPool } from './tunnel/transport.js';

/** Where a task on this node accepts connections for a target port. */
export interface TaskAddress {
  host: string;
  port: number;
}

/**
 * The node's resolver of its own tasks: the container's address on the engine's network (and
 * the target port), or the host port the engine published it on. null: not known (yet).
 */
export type LocalTaskResolver = (
  taskId: string,
  targetPort: number,
) => TaskAddress | null | Promise<TaskAddress | null>;

export interface MeshSettings {
  /** A task that does not accept within this time is skipped for another. */
  connectTimeoutMs: number;
  /** TCP keepalive on client, task and tunnel sockets: first probe after this much idleness. */
  keepAliveMs: number;
  /** After an idle timeout, both ends get a FIN; a peer that does not close is destroyed after this. */
  closeGraceMs: number;
  /** How often UDP flows are checked for idleness. */
  udpSweepMs: number;
  /** Datagrams held per UDP flow while its tunnel stream opens. */
  udpQueueLimit: number;
  /** UDP flows per published port; datagrams that would open more are dropped (spoofed floods). */
  udpMaxFlows: number;
  /** A published port that could not be bound is tried again this often. */
  bindRetryMs: number;
}

export interface MeshContext {
  nodeId: string;
  settings: MeshSettings;
  clock: Clock;
  logger: Logger;
  resolveLocalTask: LocalTaskResolver;
  /** A node's tunnel address from the current table. */
  nodeAddress(nodeId: string): MeshNodeAddress | undefined;
  pool: TunnelPool;
  /** The node's mesh with data-plane workers: shares each bound TCP port with them. */
  sharing?: ListenerSharing;
  /** A data-plane worker's mesh: its TCP ports accept on the node mesh's sockets, bound there. */
  inbox?: ListenerInbox;
}

/** How the node's mesh shares its bound TCP ports with the data plane's other processes. */
export interface ListenerSharing {
  /** Hands the bound, listening socket of the port `key` to the other processes. */
  share(key: string, server: Server): void;
  /** Resolves once every other process closed its copy, so the port can be bound again. */
  release(key: string): Promise<void>;
}

/** Where a data-plane worker's TCP ports and tunnel listener find the sockets the node's mesh shared. */
export interface ListenerInbox {
  /** Sends the connections accepted on port `key` (now or once shared) to `accept`; returns the undo. */
  claim(key: string, accept: (socket: Socket) => void): () => void;
  /** Listens `server` on the socket `key` (now or once shared); it accepts until it is closed. */
  serve(key: string, server: Server): void;
}

/** The key under which the node's mesh shares its tunnel socket with its data-plane workers. */
export const TUNNEL_SHARE_KEY = 'tunnel';

/** Whether a published port is bound on this node. */
export interface PortStatus {
  protocol: 'tcp' | 'udp';
  publishedPort: number;
  serviceId: string;
  /** listening; unavailable: it could not be bound (retried every bindRetryMs); closed: unpublished. */
  state: 'listening' | 'unavailable' | 'closed';
  /** Why it is unavailable (a MeshError PORT_UNAVAILABLE with the socket's errno in details). */
  error?: MeshError;
}

/**
 * The injected resolver, guarded: a resolver that throws (a bug in the wiring) fails that one
 * connection as a rejected promise instead of throwing out of a socket callback.
 */
export function resolveTask(
  ctx: MeshContext,
  taskId: string,
  targetPort: number,
): TaskAddress | null | Promise<TaskAddress | null> {
  try {
    return ctx.resolveLocalTask(taskId, targetPort);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
