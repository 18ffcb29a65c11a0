// Shared helpers of the mesh tests: store objects (services, tasks, nodes) in one call each, a
// test CA with node certificates, small TCP and UDP backends that say who they are, and clients.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Node, PortConfig, Service, Task, TaskState } from '../../../src/api/index.js';
import {
  createCsr,
  createRootCA,
  generateNodeKey,
  issueNodeCertificate,
  type CertificateRole,
  type TlsIdentity,
} from '../../../src/ca/index.js';
import { decodeProxyHeader, type DecodedProxyHeader } from '../../../src/mesh/index.js';

export const CLUSTER_ID = 'clustermesh000000000000001';
const T0 = '2026-01-01T00:00:00.000Z';

export function meta(updatedAt = T0) {
  return { version: { index: 1 }, createdAt: T0, updatedAt };
}

export function makeService(
  id: string,
  ports: PortConfig[],
  labels: Record<string, string> = {},
  name = `svc-${id}`,
): Service {
  return {
    id,
    meta: meta(),
    spec: {
      name,
      labels,
      taskTemplate: { containerSpec: { image: 'busybox' } },
      endpointSpec: { mode: 'vip', ports },
    },
  };
}

export function makeTask(
  id: string,
  serviceId: string,
  nodeId: string,
  state: TaskState = 'running',
  desiredState: TaskState = 'running',
  options: { updatedAt?: string; stopGracePeriodNs?: number } = {},
): Task {
  return {
    id,
    meta: meta(options.updatedAt),
    labels: {},
    spec: {
      containerSpec: {
        image: 'busybox',
        ...(options.stopGracePeriodNs !== undefined ? { stopGracePeriod: options.stopGracePeriodNs } : {}),
      },
    },
    serviceId,
    nodeId,
    status: { timestamp: T0, state, message: '' },
    desiredState,
  };
}

export function makeNode(id: string, addr: string, state: Node['status']['state'] = 'ready'): Node {
  return {
    id,
    meta: meta(),
    spec: { role: 'worker', availability: 'active' },
    status: { state, addr },
  };
}

// ---- Certificates ----

export interface TestCluster {
  rootsPem: string;
  identity(nodeId: string, role?: CertificateRole): Promise<TlsIdentity>;
}

export async function testCluster(clusterId = CLUSTER_ID): Promise<TestCluster> {
  const ca = await createRootCA();
  return {
    rootsPem: ca.certPem,
    async identity(nodeId, role = 'worker') {
      const keyPem = await generateNodeKey();
      const certPem = await issueNodeCertificate(ca, await createCsr(keyPem), { nodeId, role, clusterId });
      return { keyPem, certChainPem: certPem, rootsPem: ca.certPem };
    },
  };
}

// ---- Backends ----

export interface TcpBackend {
  name: string;
  host: string;
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** The PROXY header at the start of each connection, when one came. */
  proxyHeaders: DecodedProxyHeader[];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/**
 * A backend that answers each chunk with `<name>:<chunk>`. With `proxy`, it first reads a PROXY
 * header off each connection. `behaviour: 'reset'` accepts and resets at once.
 */
export async function startTcpBackend(
  name: string,
  host: string,
  options: { proxy?: boolean; behaviour?: 'echo' | 'reset'; port?: number } = {},
): Promise<TcpBackend> {
  const sockets = new Set<Socket>();
  const backend: TcpBackend = {
    name,
    host,
    port: 0,
    accepted: 0,
    proxyHeaders: [],
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    backend.accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (options.behaviour === 'reset') {
      socket.resetAndDestroy();
      return;
    }
    socket.on('end', () => socket.end());
    let pending: Buffer | null = options.proxy ? Buffer.alloc(0) : null;
    socket.on('data', (chunk: Buffer) => {
      if (pending !== null) {
        pending = Buffer.concat([pending, chunk]);
        const decoded = decodeProxyHeader(pending);
        if (decoded === null) return;
        if (decoded instanceof Error) {
          socket.destroy();
          return;
        }
        backend.proxyHeaders.push(decoded);
        chunk = pending.subarray(decoded.length);
        pending = null;
        if (chunk.length === 0) return;
      }
      socket.write(`${name}:${chunk.toString()}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => resolve());
  });
  backend.port = (server.address() as { port: number }).port;
  return backend;
}

export interface UdpBackend {
  name: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Answers each datagram with `<name>:<datagram>`. */
export async function startUdpBackend(name: string, host: string): Promise<UdpBackend> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  return {
    name,
    host,
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

// ---- Clients ----

/** Connects, sends `message`, and resolves with the first reply (or rejects on error/close). */
export function tcpRequest(
  host: string,
  port: number,
  message = 'hi',
  options: { localAddress?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket: Socket = connect({
      host,
      port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${host}:${port} within ${options.timeoutMs ?? 5000} ms`));
    }, options.timeoutMs ?? 5000);
    socket.once('connect', () => socket.write(message));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.end();
      resolve(data.toString());
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('closed without a reply'));
    });
  });
}

/** Sends one datagram from a fresh socket and resolves with the first reply. */
export function udpRequest(host: string, port: number, message = 'ping', timeoutMs = 3000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket: UdpSocket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no udp reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg.toString());
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.send(message, port, host);
  });
}

/** The backend name of a `<name>:<payload>` reply. */
export function who(reply: string): string {
  return reply.split(':')[0] ?? '';
}
