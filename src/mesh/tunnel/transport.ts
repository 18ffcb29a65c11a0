// How tunnels are made: the accepting side (TunnelListener) and the dialing side (TunnelPool, a few
// long-lived sessions per peer node, re-dialed when one breaks). With TLS (the default) both ends
// present their cluster node certificate, each chain must verify against the cluster's roots and
// name a node of the cluster (CN=node id, OU=role, O=cluster); the dialer also checks the server
// is the node it meant to reach. Without TLS (a trusted network) the bytes are plain and the
// accepting side only takes connections from the address of a node in the endpoint table.

import { createServer as createTcpServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  createServer as createTlsServer,
  Server as TlsServer,
  type PeerCertificate,
  type TLSSocket,
} from 'node:tls';
import { serverIdentityCheck, type TlsIdentity } from '../../ca/index.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { describeError, MeshError } from '../errors.js';
import type { OpenRequest } from './frames.js';
import { authenticateAsClient, authenticateAsServer } from './plain-auth.js';
import { TunnelSession, type TunnelStream } from './session.js';

export const TUNNEL_ALPN = 'flotilla-mesh/1';

export interface TunnelSecurity {
  /** The node's certificate and the cluster roots; null: no TLS (trusted networks only). */
  tls: TlsIdentity | null;
  /**
   * Without TLS: the node certificate that authenticates plain tunnels (plain-auth.ts). null with
   * tls null too: a plain tunnel is admitted by its source address alone.
   */
  plainIdentity: TlsIdentity | null;
  /** Bound on the plain handshake. */
  handshakeTimeoutMs: number;
  /**
   * Further admission of a peer that proved its identity (TLS) or, without TLS, whose address
   * is a node's: e.g. the cluster's removed-node list. Absent: every proven node is admitted.
   */
  admitNode?: (nodeId: string) => boolean;
}

export interface SessionSettings {
  clock: Clock;
  logger: Logger;
  streamWindow: number;
  pingIntervalMs: number;
  deadAfterPings: number;
  keepAliveMs: number;
}

function tlsOptions(identity: TlsIdentity) {
  return {
    key: identity.keyPem,
    cert: identity.certChainPem,
    ca: identity.rootsPem,
    minVersion: 'TLSv1.3' as const,
    // AES-128-GCM first: as safe here as AES-256 and cheaper per byte on the data path.
    ciphersuites: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
    ALPNProtocols: [TUNNEL_ALPN],
  };
}

/** The node id a verified peer certificate names, or an Error saying why it is not a cluster node. */
function peerNodeId(cert: PeerCertificate | undefined, where: string): string | Error {
  if (cert === undefined || Object.keys(cert).length === 0)
    return new Error(`${where} presented no certificate`);
  const invalid = serverIdentityCheck()(where, cert);
  if (invalid !== undefined) return invalid;
  const cn = cert.subject.CN;
  return Array.isArray(cn) ? String(cn[0]) : String(cn);
}

// ---- Accepting side ----

export interface TunnelListenerOptions extends SessionSettings, TunnelSecurity {
  host: string;
  port: number;
  /** Without TLS: the node at a remote address, or undefined when no node has that address. */
  nodeAtAddress: (host: string) => string | undefined;
  onOpen: (stream: TunnelStream, request: OpenRequest, session: TunnelSession) => void;
}

export class TunnelListener {
  private server: Server | null = null;
  private readonly sessions = new Set<TunnelSession>();
  private plainIdentity: TlsIdentity | null;

  constructor(private readonly options: TunnelListenerOptions) {
    this.plainIdentity = options.plainIdentity;
  }

  /** Binds the tunnel port; rejects (MeshError PORT_UNAVAILABLE) when it cannot. */
  async start(): Promise<void> {
    const o = this.options;
    const server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(
          new MeshError(
            'PORT_UNAVAILABLE',
            `cannot listen for tunnels on ${o.host}:${o.port}: ${err.message}`,
            {
              host: o.host,
              port: o.port,
            },
          ),
        );
      };
      server.once('error', onError);
      server.listen({ host: o.host, port: o.port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.serve(server);
  }

  /**
   * Accepts on a socket bound by another process (a mesh data-plane worker: its node's tunnel
   * socket): `listen` starts the given server on it, now or once the socket is here.
   */
  adopt(listen: (server: Server) => void): void {
    const server = this.createServer();
    listen(server);
    this.serve(server);
  }

  /** The bound server (null before start and after stop), to share its socket. */
  get listening(): Server | null {
    return this.server;
  }

  get address(): { host: string; port: number } {
    const addr = this.server?.address();
    if (addr === null || addr === undefined || typeof addr === 'string')
      return { host: this.options.host, port: 0 };
    return { host: addr.address, port: addr.port };
  }

  /** New certificates (renewal, root rotation) for the handshakes from now on. */
  updateIdentity(identity: TlsIdentity): void {
    if (this.plainIdentity !== null) this.plainIdentity = identity;
    // The server keeps requiring and checking client certificates: those are its options, not
    // the context's.
    if (this.server instanceof TlsServer) this.server.setSecureContext(tlsOptions(identity));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private createServer(): Server {
    const o = this.options;
    const server =
      o.tls === null
        ? createTcpServer({ allowHalfOpen: false }, (socket) => this.acceptPlain(socket))
        : createTlsServer({ ...tlsOptions(o.tls), requestCert: true, rejectUnauthorized: true }, (socket) =>
            this.acceptTls(socket),
          );
    // Handshakes that fail (no certificate, another cluster's) are refused by TLS itself.
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      o.logger.warn('tunnel handshake refused', { remote: socket.remoteAddress, reason: err.message });
    });
    return server;
  }

  private serve(server: Server): void {
    server.on('error', (err) => this.options.logger.error('tunnel listener error', { err }));
    this.server = server;
  }

  private acceptTls(socket: TLSSocket): void {
    socket.on('error', () => {}); // reported by the session, or the socket is dropped below
    const nodeId = peerNodeId(socket.getPeerCertificate(), `the tunnel peer at ${socket.remoteAddress}`);
    if (nodeId instanceof Error) return this.refuse(socket, nodeId.message);
    this.admit(socket, nodeId);
  }

  private acceptPlain(socket: Socket): void {
    socket.on('error', () => {});
    const identity = this.plainIdentity;
    if (identity !== null) {
      authenticateAsServer(socket, identity, this.options.handshakeTimeoutMs, this.options.clock).then(
        (nodeId) => this.admit(socket, nodeId),
        (err: unknown) => this.refuse(socket, describeError(err)),
      );
      return;
    }
    const host = socket.remoteAddress ?? '';
    const nodeId = this.options.nodeAtAddress(host.startsWith('::ffff:') ? host.slice(7) : host);
    if (nodeId === undefined)
      return this.refuse(socket, `plain tunnel from ${host}, which is no node's address`);
    this.admit(socket, nodeId);
  }

  private refuse(socket: Socket, reason: string): void {
    this.options.logger.warn('tunnel refused', { remote: socket.remoteAddress, reason });
    socket.destroy();
  }

  private admit(socket: Socket, nodeId: string): void {
    const o = this.options;
    if (o.admitNode !== undefined && !o.admitNode(nodeId))
      return this.refuse(socket, `node ${nodeId} is not admitted (removed from the cluster?)`);
    if (this.server === null) return this.refuse(socket, 'the mesh is stopping');
    socket.setKeepAlive(true, o.keepAliveMs);
    const session: TunnelSession = new TunnelSession(socket, {
      side: 'server',
      peerNodeId: nodeId,
      clock: o.clock,
      logger: o.logger,
      streamWindow: o.streamWindow,
      pingIntervalMs: o.pingIntervalMs,
      deadAfterPings: o.deadAfterPings,
      onOpen: (stream, request) => o.onOpen(stream, request, session),
    });
    this.sessions.add(session);
    session.onClose(() => this.sessions.delete(session));
    o.logger.debug('tunnel accepted', { peer: nodeId, remote: socket.remoteAddress });
  }
}

// ---- Dialing side ----

export interface TunnelPoolOptions extends SessionSettings, TunnelSecurity {
  /** The local address tunnels are dialed from (the node's own address, which peers know). */
  localAddress?: string;
  /** Sessions kept per peer node. */
  sessionsPerPeer: number;
  connectTimeoutMs: number;
  /** After a failed dial, further dials to that node wait this long (doubling, up to 10×). */
  redialDelayMs: number;
}

interface PeerSessions {
  sessions: TunnelSession[];
  dialing: Array<Promise<TunnelSession>>;
  /** No dial before this time (ms, clock). */
  notBefore: number;
  failures: number;
  lastError: MeshError | null;
}

export class TunnelPool {
  private readonly peers = new Map<string, PeerSessions>();
  private identity: TlsIdentity | null;
  private plainIdentity: TlsIdentity | null;
  private stopped = false;

  constructor(private readonly options: TunnelPoolOptions) {
    this.identity = options.tls;
    this.plainIdentity = options.plainIdentity;
  }

  /** New certificates for the dials from now on; open sessions keep theirs. */
  updateIdentity(identity: TlsIdentity): void {
    if (this.identity !== null) this.identity = identity;
    if (this.plainIdentity !== null) this.plainIdentity = identity;
  }

  /**
   * Opens a stream to a task on `nodeId`'s mesh at `address`, on the least loaded of that node's
   * sessions (dialing one when fewer than sessionsPerPeer are open and the least loaded is busy).
   */
  async open(
    nodeId: string,
    address: { host: string; port: number },
    request: OpenRequest,
  ): Promise<TunnelStream> {
    const session = await this.session(nodeId, address);
    return session.open(request);
  }

  /** Sessions open now, per peer node (for status and tests). */
  sessionCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [nodeId, peer] of this.peers) out[nodeId] = peer.sessions.length;
    return out;
  }

  /** Breaks every session to `nodeId` (a node that left, or tests). */
  disconnect(nodeId: string): void {
    const peer = this.peers.get(nodeId);
    if (peer === undefined) return;
    for (const session of [...peer.sessions])
      session.destroy(new MeshError('TUNNEL_BROKEN', `tunnel to node ${nodeId} closed by this node`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const peer of this.peers.values()) for (const session of [...peer.sessions]) session.destroy();
    const dials = [...this.peers.values()].flatMap((p) => p.dialing);
    this.peers.clear();
    await Promise.allSettled(dials);
  }

  private async session(nodeId: string, address: { host: string; port: number }): Promise<TunnelSession> {
    if (this.stopped) throw new MeshError('STOPPED', 'the mesh is stopping');
    let peer = this.peers.get(nodeId);
    if (peer === undefined) {
      peer = { sessions: [], dialing: [], notBefore: 0, failures: 0, lastError: null };
      this.peers.set(nodeId, peer);
    }
    let best: TunnelSession | undefined;
    for (const s of peer.sessions) if (best === undefined || s.streamCount < best.streamCount) best = s;
    // A session carries many streams; a second is worth dialing only once the first is busy.
    const wantMore = peer.sessions.length + peer.dialing.length < this.options.sessionsPerPeer;
    if (best !== undefined && (best.streamCount < 8 || !wantMore)) return best;
    if (best !== undefined) {
      if (wantMore && this.options.clock.now() >= peer.notBefore)
        this.dialInBackground(nodeId, address, peer);
      return best;
    }
    if (peer.dialing.length > 0)
      return Promise.any(peer.dialing).catch(() => this.dial(nodeId, address, peer));
    if (this.options.clock.now() < peer.notBefore && peer.lastError !== null) throw peer.lastError;
    return this.dial(nodeId, address, peer);
  }

  private dialInBackground(
    nodeId: string,
    address: { host: string; port: number },
    peer: PeerSessions,
  ): void {
    this.dial(nodeId, address, peer).catch((err: unknown) => {
      // The existing session keeps serving; the failure is recorded for the next attempt.
      this.options.logger.debug('extra tunnel dial failed', { peer: nodeId, err });
    });
  }

  private dial(
    nodeId: string,
    address: { host: string; port: number },
    peer: PeerSessions,
  ): Promise<TunnelSession> {
    const attempt = this.connect(nodeId, address).then(
      (socket) => {
        peer.dialing = peer.dialing.filter((d) => d !== attempt);
        peer.failures = 0;
        peer.lastError = null;
        const o = this.options;
        const session = new TunnelSession(socket, {
          side: 'client',
          peerNodeId: nodeId,
          clock: o.clock,
          logger: o.logger,
          streamWindow: o.streamWindow,
          pingIntervalMs: o.pingIntervalMs,
          deadAfterPings: o.deadAfterPings,
        });
        if (this.stopped) {
          session.destroy();
          throw new MeshError('STOPPED', 'the mesh is stopping');
        }
        peer.sessions.push(session);
        session.onClose(() => {
          peer.sessions = peer.sessions.filter((s) => s !== session);
        });
        o.logger.debug('tunnel dialed', { peer: nodeId, address });
        return session;
      },
      (err: unknown) => {
        peer.dialing = peer.dialing.filter((d) => d !== attempt);
        peer.failures++;
        const delay = this.options.redialDelayMs * Math.min(10, 2 ** (peer.failures - 1));
        peer.notBefore = this.options.clock.now() + delay;
        const error =
          err instanceof MeshError
            ? err
            : new MeshError(
                'TUNNEL_BROKEN',
                `cannot open a tunnel to node ${nodeId} at ${address.host}:${address.port}: ${describeError(err)}`,
                { node: nodeId },
                { cause: err },
              );
        peer.lastError = error;
        throw error;
      },
    );
    peer.dialing.push(attempt);
    return attempt;
  }

  private connect(nodeId: string, address: { host: string; port: number }): Promise<Socket> {
    const o = this.options;
    return new Promise<Socket>((resolve, reject) => {
      const identity = this.identity;
      const local = o.localAddress !== undefined ? { localAddress: o.localAddress } : {};
      let socket: Socket;
      const fail = (err: Error): void => {
        timer.cancel();
        socket.destroy();
        reject(err);
      };
      const timer = o.clock.setTimer(o.connectTimeoutMs, () =>
        fail(new Error(`no answer within ${o.connectTimeoutMs} ms`)),
      );
      const ready = (): void => {
        timer.cancel();
        socket.off('error', fail);
        socket.on('error', () => {}); // the session reports errors from here on
        socket.setKeepAlive(true, o.keepAliveMs);
        resolve(socket);
      };
      const plainIdentity = this.plainIdentity;
      if (identity === null && plainIdentity !== null) {
        socket = tcpConnect({ host: address.host, port: address.port, ...local }, () => {
          authenticateAsClient(socket, plainIdentity, nodeId, o.handshakeTimeoutMs, o.clock).then(
            ready,
            fail,
          );
        });
      } else if (identity === null) {
        socket = tcpConnect({ host: address.host, port: address.port, ...local }, ready);
      } else {
        socket = tlsConnect(
          {
            host: address.host,
            port: address.port,
            ...local,
            ...tlsOptions(identity),
            // Node ids, not host names, are what our certificates name (serverIdentityCheck).
            checkServerIdentity: (_host, cert) => {
              const id = peerNodeId(cert, `the tunnel peer at ${address.host}:${address.port}`);
              if (id instanceof Error) return new MeshError('TUNNEL_AUTH', id.message, { node: nodeId });
              if (id !== nodeId)
                return new MeshError(
                  'TUNNEL_AUTH',
                  `the mesh at ${address.host}:${address.port} is node ${id}, not node ${nodeId}`,
                  { node: nodeId },
                );
              if (o.admitNode !== undefined && !o.admitNode(id))
                return new MeshError('TUNNEL_AUTH', `node ${id} is not admitted`, { node: nodeId });
              return undefined;
            },
          },
          ready,
        );
      }
      socket.once('error', fail);
    });
  }
}
