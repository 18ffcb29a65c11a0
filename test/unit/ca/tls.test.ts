// Mutual TLS with grpc-js in-process on 127.0.0.1: who may connect, who the server sees, role
// checks, server identity checks, rotation chains, and credentials whose certificate is replaced
// while a server or channel is using it.

import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRootCA,
  crossSignRoot,
  channelCredentials,
  peerIdentity,
  PeerAuthError,
  ReloadableTlsIdentity,
  reloadableChannelCredentials,
  reloadableServerCredentials,
  requireRole,
  serverCredentials,
  type CallWithAuthContext,
  type SigningCA,
  type TlsIdentity,
  verifyCertificate,
} from '../../../src/ca/index.js';
import { CLUSTER_ID, nodeCert } from './fixtures.js';

const identityOf = (
  ca: SigningCA,
  cert: { keyPem: string; certPem: string },
  extraChain = '',
): TlsIdentity => ({
  rootsPem: ca.certPem,
  keyPem: cert.keyPem,
  certChainPem: cert.certPem + extraChain,
});

const passthrough = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
});

/** Who: answers the caller's identity. ManagersOnly: guarded by requireRole(['manager']). */
const service: grpc.ServiceDefinition = {
  Who: passthrough('/flotilla.test.Peer/Who'),
  ManagersOnly: passthrough('/flotilla.test.Peer/ManagersOnly'),
};

const handlers: grpc.UntypedServiceImplementation = {
  Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    callback(null, Buffer.from(JSON.stringify(peerIdentity(call))));
  },
  ManagersOnly: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    try {
      const caller = requireRole(call, ['manager']);
      callback(null, Buffer.from(caller.nodeId));
    } catch (err) {
      if (err instanceof PeerAuthError) callback(err.toServiceError());
      else throw err;
    }
  },
};

async function startServer(
  credentials: grpc.ServerCredentials,
): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  server.addService(service, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return { server, address: `127.0.0.1:${port}` };
}

interface CallResult {
  code: grpc.status;
  details: string;
  body?: string;
}

const clients: grpc.Client[] = [];

function client(
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions = {},
): grpc.Client {
  const created = new grpc.Client(address, credentials, options);
  clients.push(created);
  return created;
}

function call(
  target: grpc.Client,
  method: 'Who' | 'ManagersOnly',
  waitForReady = false,
): Promise<CallResult> {
  const metadata = new grpc.Metadata();
  // Wait for a connection (rather than fail at once) while the channel is reconnecting.
  if (waitForReady) metadata.setOptions({ waitForReady: true });
  return new Promise((resolve) => {
    target.makeUnaryRequest(
      `/flotilla.test.Peer/${method}`,
      (value: Buffer) => value,
      (value: Buffer) => value,
      Buffer.alloc(0),
      metadata,
      { deadline: Date.now() + 5000 },
      (err, response) => {
        if (err) resolve({ code: err.code, details: err.details });
        else resolve({ code: grpc.status.OK, details: '', body: response?.toString() });
      },
    );
  });
}

describe('mutual TLS between cluster nodes', () => {
  let ca: SigningCA;
  let foreignCA: SigningCA;
  let serverIdentity: TlsIdentity;
  let server: grpc.Server;
  let address: string;

  beforeAll(async () => {
    [ca, foreignCA] = await Promise.all([createRootCA(), createRootCA()]);
    serverIdentity = identityOf(ca, await nodeCert(ca, 'mgr-1', 'manager'));
    ({ server, address } = await startServer(serverCredentials(serverIdentity)));
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(() => {
    server.forceShutdown();
  });

  it("lets a manager call, and tells the server the caller's node id and role", async () => {
    // A serial with leading zeros: TLS and x509 print those differently, the identity must not.
    const serialBytes = [0x00, 0x0a, ...new Array<number>(14).fill(0x11)];
    const manager = await nodeCert(ca, 'mgr-2', 'manager', {
      randomBytes: () => new Uint8Array(serialBytes),
    });
    const result = await call(client(address, channelCredentials(identityOf(ca, manager))), 'Who');
    expect(result.code).toBe(grpc.status.OK);
    const { serial } = await verifyCertificate(manager.certPem, { roots: [ca.certPem] });
    expect(serial).toBe('a' + '11'.repeat(14));
    expect(JSON.parse(result.body ?? 'null')).toEqual({
      nodeId: 'mgr-2',
      role: 'manager',
      clusterId: CLUSTER_ID,
      serial,
    });
    const guarded = await call(client(address, channelCredentials(identityOf(ca, manager))), 'ManagersOnly');
    expect(guarded).toMatchObject({ code: grpc.status.OK, body: 'mgr-2' });
  });

  it('fails the handshake of a client whose certificate is from another CA', async () => {
    const stranger = await nodeCert(foreignCA, 'mgr-2', 'manager');
    // The client trusts our root (so only the server's check can fail).
    const identity = { ...identityOf(ca, stranger), rootsPem: ca.certPem };
    const result = await call(client(address, channelCredentials(identity)), 'Who');
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('fails the handshake of a client without a certificate', async () => {
    const result = await call(client(address, grpc.credentials.createSsl(Buffer.from(ca.certPem))), 'Who');
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('answers PERMISSION_DENIED to a worker on a managers-only method', async () => {
    const worker = await nodeCert(ca, 'wrk-1', 'worker');
    const result = await call(client(address, channelCredentials(identityOf(ca, worker))), 'ManagersOnly');
    expect(result.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(result.details).toBe('node wrk-1 is a worker; this call is for manager nodes only');
    // The same worker may call what is not guarded.
    const open = await call(client(address, channelCredentials(identityOf(ca, worker))), 'Who');
    expect(JSON.parse(open.body ?? 'null')).toMatchObject({ nodeId: 'wrk-1', role: 'worker' });
  });

  it('checks that the server is the expected node, not the host name it was dialed by', async () => {
    const manager = identityOf(ca, await nodeCert(ca, 'mgr-2', 'manager'));
    const right = await call(
      client(address, channelCredentials(manager, { expectedNodeId: 'mgr-1' })),
      'Who',
    );
    expect(right.code).toBe(grpc.status.OK);
    const wrong = await call(
      client(address, channelCredentials(manager, { expectedNodeId: 'mgr-9' })),
      'Who',
    );
    expect(wrong.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a server whose certificate is from another CA', async () => {
    const impostor = identityOf(foreignCA, await nodeCert(foreignCA, 'mgr-1', 'manager'));
    const started = await startServer(serverCredentials({ ...impostor, rootsPem: ca.certPem }));
    try {
      const manager = identityOf(ca, await nodeCert(ca, 'mgr-2', 'manager'));
      const result = await call(client(started.address, channelCredentials(manager)), 'Who');
      expect(result.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      started.server.forceShutdown();
    }
  });

  it('accepts a leaf of a new root, sent with the cross-signed root, at a server that trusts only the old root', async () => {
    const newCA = await createRootCA();
    const crossSigned = await crossSignRoot(ca, newCA.certPem);
    const rotated = await nodeCert(newCA, 'mgr-3', 'manager');
    const identity = {
      rootsPem: ca.certPem,
      keyPem: rotated.keyPem,
      certChainPem: rotated.certPem + crossSigned,
    };
    const result = await call(client(address, channelCredentials(identity)), 'Who');
    expect(result.code).toBe(grpc.status.OK);
    expect(JSON.parse(result.body ?? 'null')).toMatchObject({ nodeId: 'mgr-3' });
  });
});

describe('peerIdentity and requireRole without TLS', () => {
  const noCertificate: CallWithAuthContext = { getAuthContext: () => ({}) };

  it('finds no identity on a call without a client certificate', () => {
    expect(peerIdentity(noCertificate)).toBeNull();
    expect(peerIdentity({ getAuthContext: () => undefined })).toBeNull();
  });

  it('answers UNAUTHENTICATED when there is no certificate to check the role of', () => {
    let err: unknown;
    try {
      requireRole(noCertificate, ['manager']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeerAuthError);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', grpcCode: grpc.status.UNAUTHENTICATED });
  });

  it('finds no identity in a certificate without a known role', () => {
    const call = {
      getAuthContext: () => ({
        sslPeerCertificate: { subject: { CN: 'x', OU: 'root', O: 'c' }, serialNumber: '0A' },
      }),
    } as unknown as CallWithAuthContext;
    expect(peerIdentity(call)).toBeNull();
  });
});

describe('credentials that follow a replaced certificate', () => {
  let oldCA: SigningCA;
  let newCA: SigningCA;
  beforeAll(async () => {
    [oldCA, newCA] = await Promise.all([createRootCA(), createRootCA()]);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it('makes a running server present and trust the new certificate for new connections', async () => {
    const serverTls = new ReloadableTlsIdentity(identityOf(oldCA, await nodeCert(oldCA, 'mgr-1', 'manager')));
    const { server, address } = await startServer(reloadableServerCredentials(serverTls));
    try {
      const oldClient = identityOf(oldCA, await nodeCert(oldCA, 'mgr-2', 'manager'));
      const newClient = identityOf(newCA, await nodeCert(newCA, 'mgr-2', 'manager'));
      expect((await call(client(address, channelCredentials(oldClient)), 'Who')).code).toBe(grpc.status.OK);
      expect((await call(client(address, channelCredentials(newClient)), 'Who')).code).toBe(
        grpc.status.UNAVAILABLE,
      );

      serverTls.update(identityOf(newCA, await nodeCert(newCA, 'mgr-1', 'manager')));

      expect((await call(client(address, channelCredentials(newClient)), 'Who')).code).toBe(grpc.status.OK);
      expect((await call(client(address, channelCredentials(oldClient)), 'Who')).code).toBe(
        grpc.status.UNAVAILABLE,
      );
    } finally {
      server.forceShutdown();
    }
  });

  it('makes a channel use the new certificate when it reconnects', async () => {
    const { server, address } = await startServer(
      serverCredentials(identityOf(newCA, await nodeCert(newCA, 'mgr-1', 'manager'))),
    );
    try {
      const clientTls = new ReloadableTlsIdentity(
        identityOf(oldCA, await nodeCert(oldCA, 'wrk-1', 'worker')),
      );
      const channel = client(address, reloadableChannelCredentials(clientTls, { expectedNodeId: 'mgr-1' }), {
        'grpc.initial_reconnect_backoff_ms': 50,
        'grpc.max_reconnect_backoff_ms': 100,
      });
      expect(await call(channel, 'Who')).toMatchObject({ code: grpc.status.UNAVAILABLE });

      clientTls.update(identityOf(newCA, await nodeCert(newCA, 'wrk-1', 'worker')));

      // Same channel: its next connection attempt uses the new certificate.
      const result = await call(channel, 'Who', true);
      expect(result).toMatchObject({ code: grpc.status.OK });
      expect(JSON.parse(result.body ?? 'null')).toMatchObject({ nodeId: 'wrk-1' });
    } finally {
      server.forceShutdown();
    }
  });

  it('refuses an update whose key does not belong to its certificate, keeping the old identity', async () => {
    const first = identityOf(oldCA, await nodeCert(oldCA, 'n1', 'worker'));
    const second = await nodeCert(oldCA, 'n1', 'worker');
    const tls = new ReloadableTlsIdentity(first);
    expect(() => tls.update({ ...first, keyPem: second.keyPem })).toThrow(
      expect.objectContaining({ code: 'CA_KEY_MISMATCH' }),
    );
    expect(() => tls.update({ ...first, certChainPem: 'junk' })).toThrow(
      expect.objectContaining({ code: 'CA_MALFORMED_CERTIFICATE' }),
    );
    expect(tls.current).toBe(first);
  });
});
