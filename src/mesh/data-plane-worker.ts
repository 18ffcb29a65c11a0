// A data-plane worker of a node's mesh (see data-plane.ts), run as a child process of the node:
// a Mesh that accepts connections on the TCP ports and the tunnel port the node's mesh bound and
// shared, dials its own tunnels, and asks the node's mesh for the addresses of local tasks. It
// exits when the node's process does (its IPC channel closes), taking its connections with it.

import { createServer, type Server, type Socket } from 'node:net';
import { createJsonLogger } from '../util/logger.js';
import type { ListenerInbox, TaskAddress } from './context.js';
import {
  DATA_PLANE_LOG_LEVEL,
  type DataPlaneWorkerInit,
  type FromDataPlaneWorker,
  type ToDataPlaneWorker,
} from './data-plane.js';
import type { EndpointTable } from './endpoint-table.js';
import { Mesh } from './mesh.js';
import { LISTEN_BACKLOG, LISTEN_OPTIONS } from './tcp-port.js';

/** The listening socket's handle as the node's mesh sends it (see listeningHandle). */
interface ListeningHandle {
  close(callback?: () => void): void;
}

interface SharedPort {
  handle: ListeningHandle | null;
  /** The server listening on the handle now. */
  server: Server | null;
  /** A TCP port's taker of connections (null once unclaimed). */
  accept: ((socket: Socket) => void) | null;
  /** A server of the taker's own (the tunnel listener's), listened with instead of a port's. */
  served: Server | null;
}

/**
 * The node mesh's sockets by key, and what takes each one's connections: a published TCP port
 * (claim), or a server of its own (serve: the tunnel listener). A socket is listened on here only
 * once both its handle and its taker are here; a port's with the same server options as the node's
 * mesh (connections paused until adopted, half-open allowed).
 */
class SharedListeners implements ListenerInbox {
  private readonly ports = new Map<string, SharedPort>();

  claim(key: string, accept: (socket: Socket) => void): () => void {
    const port = this.port(key);
    port.accept = accept;
    this.listen(port);
    return () => {
      if (port.accept === accept) port.accept = null;
    };
  }

  serve(key: string, server: Server): void {
    const port = this.port(key);
    port.served = server;
    this.listen(port);
  }

  put(key: string, handle: ListeningHandle): void {
    const port = this.port(key);
    void this.closePort(port);
    port.handle = handle;
    this.listen(port);
  }

  /** Closes this process's copy of the socket, so the node's mesh can bind the port again. */
  release(key: string): Promise<void> {
    const port = this.ports.get(key);
    this.ports.delete(key);
    return port === undefined ? Promise.resolve() : this.closePort(port);
  }

  closeAll(): void {
    for (const port of this.ports.values()) void this.closePort(port);
    this.ports.clear();
  }

  private port(key: string): SharedPort {
    let port = this.ports.get(key);
    if (port === undefined) {
      port = { handle: null, server: null, accept: null, served: null };
      this.ports.set(key, port);
    }
    return port;
  }

  private listen(port: SharedPort): void {
    if (port.server !== null || port.handle === null) return;
    const server = port.served ?? (port.accept !== null ? this.portServer(port) : null);
    if (server === null) return;
    server.listen(port.handle, LISTEN_BACKLOG);
    port.server = server;
  }

  private portServer(port: SharedPort): Server {
    const server = createServer(LISTEN_OPTIONS, (socket) => {
      // Unclaimed only while a port is being unpublished (the table comes first): the node's
      // mesh is closing it too.
      if (port.accept === null) socket.destroy();
      else port.accept(socket);
    });
    server.on('error', () => {});
    return server;
  }

  private closePort(port: SharedPort): Promise<void> {
    const { server, handle } = port;
    port.server = null;
    port.handle = null;
    return new Promise((resolve) => {
      if (server !== null) server.close(() => resolve());
      else if (handle !== null) handle.close(() => resolve());
      else resolve();
    });
  }
}

/** Local task addresses, asked of the node's mesh once each and kept while the task is here. */
class TaskAddresses {
  private readonly known = new Map<string, TaskAddress>();
  private readonly waiting = new Map<number, (address: TaskAddress | null) => void>();
  private nextId = 1;

  constructor(private readonly nodeId: string) {}

  resolve(taskId: string, targetPort: number): TaskAddress | Promise<TaskAddress | null> {
    const cached = this.known.get(`${taskId}:${targetPort}`);
    if (cached !== undefined) return cached;
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (address) => {
        if (address !== null) this.known.set(`${taskId}:${targetPort}`, address);
        resolve(address);
      });
      send({ type: 'resolve', id, taskId, targetPort });
    });
  }

  answer(id: number, address: TaskAddress | null): void {
    const done = this.waiting.get(id);
    this.waiting.delete(id);
    done?.(address);
  }

  /** Forgets the tasks the table no longer places on this node. */
  prune(table: EndpointTable): void {
    const here = new Set<string>();
    for (const entry of table.ports)
      for (const backend of entry.backends)
        if (backend.nodeId === this.nodeId) here.add(`${backend.taskId}:${backend.targetPort}`);
    for (const key of this.known.keys()) if (!here.has(key)) this.known.delete(key);
  }
}

function send(message: FromDataPlaneWorker): void {
  if (process.connected) process.send?.(message);
}

/** Runs this process as a data-plane worker, driven by its parent's messages. */
export function runDataPlaneWorker(): void {
  if (process.send === undefined)
    throw new Error('a mesh data-plane worker needs an IPC channel to its node');
  const listeners = new SharedListeners();
  let mesh: Mesh | null = null;
  let addresses: TaskAddresses | null = null;
  const logger = createJsonLogger({
    level: DATA_PLANE_LOG_LEVEL,
    write: (line) => send({ type: 'log', line }),
  });

  const start = (init: DataPlaneWorkerInit): void => {
    const tasks = new TaskAddresses(init.nodeId);
    addresses = tasks;
    const worker: Mesh = new Mesh({
      ...init,
      localTaskAddress: (taskId, targetPort) => tasks.resolve(taskId, targetPort),
      // Tunnels go only to the nodes the table lists (a removed node is in none).
      admitNode: (id) => id in worker.endpointTable.nodes,
      inbox: listeners,
      logger,
    });
    mesh = worker;
    worker.start().catch((err: unknown) => logger.error('data-plane worker did not start', { err }));
  };

  process.on('message', (message: ToDataPlaneWorker, handle: unknown) => {
    switch (message.type) {
      case 'init':
        if (mesh === null) start(message.init);
        return;
      case 'table':
        addresses?.prune(message.table);
        mesh
          ?.update(message.table)
          .catch((err: unknown) => logger.error('endpoint table not applied', { err }));
        return;
      case 'listener':
        listeners.put(message.key, handle as ListeningHandle);
        return;
      case 'release':
        void listeners.release(message.key).then(() => send({ type: 'released', id: message.id }));
        return;
      case 'identity':
        mesh?.updateTlsIdentity(message.tls);
        return;
      case 'resolved':
        addresses?.answer(message.id, message.address);
        return;
      case 'stop':
        listeners.closeAll();
        void (mesh?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
        return;
    }
  });
  // The node's process is gone: so are the table and the sockets' owner.
  process.on('disconnect', () => process.exit(0));
}

runDataPlaneWorker();
