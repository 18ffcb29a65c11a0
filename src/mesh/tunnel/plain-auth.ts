// Authentication of an unencrypted tunnel (a trusted network, encryption off) by the nodes' own
// certificates: each side sends its certificate chain and a fresh nonce, and signs both nonces
// with its node key; each checks the other's chain against the cluster roots, the identity it
// names, and the signature. It proves who opened the connection, not what crosses it afterwards
// (no integrity without TLS). Wire: messages of a u32 length and a JSON body, three in all.

import { createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { verifyCertificate, type TlsIdentity } from '../../ca/index.js';
import type { Clock } from '../../util/clock.js';
import { describeError, MeshError } from '../errors.js';

const MAX_MESSAGE_BYTES = 32 * 1024;
const CONTEXT = 'flotilla-mesh plain tunnel v1';

interface Hello {
  certChainPem: string;
  nonce: string;
}

/** Reads length-prefixed messages off a socket until the handshake is over, keeping what follows. */
class MessageReader {
  private buffered = Buffer.alloc(0);
  private waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.once('close', this.onClose);
  }

  next(): Promise<Buffer> {
    const ready = this.take();
    if (ready !== null) return Promise.resolve(ready);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Stops reading; bytes past the handshake go back to the socket for the tunnel session. */
  release(): void {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.socket.pause();
    if (this.buffered.length > 0) this.socket.unshift(this.buffered);
    this.buffered = Buffer.alloc(0);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    if (this.buffered.length >= 4 && this.buffered.readUInt32BE(0) > MAX_MESSAGE_BYTES) {
      this.fail(new MeshError('TUNNEL_PROTOCOL', 'handshake message too large'));
      return;
    }
    const waiting = this.waiting;
    const message = waiting === null ? null : this.take();
    if (waiting !== null && message !== null) {
      this.waiting = null;
      waiting.resolve(message);
    }
  };

  private readonly onClose = (): void =>
    this.fail(new MeshError('TUNNEL_BROKEN', 'closed during the handshake'));

  private fail(err: Error): void {
    this.failure = err;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(err);
  }

  private take(): Buffer | null {
    if (this.buffered.length < 4) return null;
    const length = this.buffered.readUInt32BE(0);
    if (this.buffered.length < 4 + length) return null;
    const message = this.buffered.subarray(4, 4 + length);
    this.buffered = this.buffered.subarray(4 + length);
    return message;
  }
}

function send(socket: Socket, body: object): void {
  const json = Buffer.from(JSON.stringify(body));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(json.length, 0);
  socket.write(Buffer.concat([length, json]));
}

function parse(message: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(message.toString('utf8'));
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // Reported below as a protocol error.
  }
  throw new MeshError('TUNNEL_PROTOCOL', 'unreadable handshake message');
}

function readHello(message: Buffer): Hello {
  const v = parse(message);
  if (typeof v.certChainPem !== 'string' || typeof v.nonce !== 'string' || v.nonce.length > 100)
    throw new MeshError('TUNNEL_PROTOCOL', 'malformed handshake hello');
  return { certChainPem: v.certChainPem, nonce: v.nonce };
}

function transcript(role: 'client' | 'server', clientNonce: string, serverNonce: string): Buffer {
  return Buffer.from(`${CONTEXT}|${role}|${clientNonce}|${serverNonce}`);
}

/** The node a chain proves (verified against the roots) and its public key. */
async function provenPeer(
  certChainPem: string,
  identity: TlsIdentity,
): Promise<{ nodeId: string; key: KeyObject }> {
  try {
    const verified = await verifyCertificate(certChainPem, { roots: [identity.rootsPem] });
    return { nodeId: verified.nodeId, key: createPublicKey(certChainPem) };
  } catch (err) {
    throw new MeshError(
      'TUNNEL_AUTH',
      `the tunnel peer's certificate does not verify: ${describeError(err)}`,
      {},
      { cause: err },
    );
  }
}

function checkSignature(key: KeyObject, data: Buffer, signature: unknown): void {
  const ok = typeof signature === 'string' && verify('sha256', data, key, Buffer.from(signature, 'base64'));
  if (!ok) throw new MeshError('TUNNEL_AUTH', 'the tunnel peer did not prove it holds its node key');
}

function withTimeout<T>(promise: Promise<T>, ms: number, socket: Socket, clock: Clock): Promise<T> {
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimer(ms, () => {
      socket.destroy();
      reject(new MeshError('TUNNEL_AUTH', `tunnel handshake not done within ${ms} ms`));
    });
  });
  return Promise.race([promise, timeout]).finally(() => timer?.cancel());
}

/** Dialing side: proves this node and checks the server is `expectedNodeId`. */
export function authenticateAsClient(
  socket: Socket,
  identity: TlsIdentity,
  expectedNodeId: string,
  timeoutMs: number,
  clock: Clock,
): Promise<void> {
  const run = async (): Promise<void> => {
    const reader = new MessageReader(socket);
    const clientNonce = randomBytes(24).toString('base64');
    send(socket, { certChainPem: identity.certChainPem, nonce: clientNonce });
    const reply = await reader.next();
    const hello = readHello(reply);
    const server = await provenPeer(hello.certChainPem, identity);
    if (server.nodeId !== expectedNodeId)
      throw new MeshError(
        'TUNNEL_AUTH',
        `the mesh reached is node ${server.nodeId}, not node ${expectedNodeId}`,
      );
    checkSignature(server.key, transcript('server', clientNonce, hello.nonce), parse(reply).signature);
    send(socket, {
      signature: sign('sha256', transcript('client', clientNonce, hello.nonce), identity.keyPem).toString(
        'base64',
      ),
    });
    reader.release();
  };
  return withTimeout(run(), timeoutMs, socket, clock);
}

/** Accepting side: proves this node; resolves with the client's proven node id. */
export function authenticateAsServer(
  socket: Socket,
  identity: TlsIdentity,
  timeoutMs: number,
  clock: Clock,
): Promise<string> {
  const run = async (): Promise<string> => {
    const reader = new MessageReader(socket);
    const hello = readHello(await reader.next());
    const serverNonce = randomBytes(24).toString('base64');
    send(socket, {
      certChainPem: identity.certChainPem,
      nonce: serverNonce,
      signature: sign('sha256', transcript('server', hello.nonce, serverNonce), identity.keyPem).toString(
        'base64',
      ),
    });
    const client = await provenPeer(hello.certChainPem, identity);
    checkSignature(
      client.key,
      transcript('client', hello.nonce, serverNonce),
      parse(await reader.next()).signature,
    );
    reader.release();
    return client.nodeId;
  };
  return withTimeout(run(), timeoutMs, socket, clock);
}
