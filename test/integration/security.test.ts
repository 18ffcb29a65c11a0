// Cluster identity over real manager processes on 127.0.0.x (issue 5): managers join with their
// cluster's manager token and hold certificates naming them; refused joins leave nothing behind;
// the control API and Raft refuse workers, certificate-less clients and other CAs' certificates;
// a removed node is cut off; 30-second certificates renew while the cluster keeps working.

import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ControlError,
  FlotillaClient,
  UnavailableError,
  ValidationError,
} from '../../src/client/index.js';
import { Manager, type ManagerTuning } from '../../src/manager/index.js';
import { fetchTrustedRoot, renewNodeCertificate, requestNodeCertificate } from '../../src/ca/client.js';
import {
  CertificateError,
  certFilePaths,
  channelCredentials,
  createCsr,
  createRootCA,
  generateNodeKey,
  issueNodeCertificate,
  serverIdentityCheck,
  verifyCertificate,
  type NodeCertificates,
} from '../../src/ca/index.js';
import {
  addresses,
  FAST,
  ManagerProcesses,
  serviceSpec,
  TestDirs,
  waitUntil,
} from '../support/manager-cluster.js';

/** The Raft transport's client-streaming method (src/raft/transport/raft-service.ts). */
const RAFT_SEND_PATH = '/flotilla.raft.v1.Raft/Send';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CallOutcome {
  code: grpc.status;
  details: string;
}

/**
 * Opens a raw Raft Send stream (bytes passed through, nothing written) and ends it at once: an
 * authorized caller gets OK (an ack for zero messages), a refused one the refusal's status.
 */
function raftSend(address: string, credentials: grpc.ChannelCredentials): Promise<CallOutcome> {
  const client = new grpc.Client(address, credentials);
  const passthrough = (bytes: Buffer): Buffer => bytes;
  return new Promise<CallOutcome>((resolve) => {
    const call = client.makeClientStreamRequest<Buffer, Buffer>(
      RAFT_SEND_PATH,
      passthrough,
      passthrough,
      new grpc.Metadata(),
      { deadline: Date.now() + 5_000 },
      (err) => {
        client.close();
        resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
      },
    );
    // The call's outcome, errors included, arrives through the callback above.
    call.on('error', () => undefined);
    call.end();
  });
}

/** The certificate a manager's TLS server presents to a new connection (PEM), unverified. */
function servedCertificate(address: string): Promise<string> {
  const colon = address.lastIndexOf(':');
  return new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({
      host: address.slice(0, colon),
      port: Number(address.slice(colon + 1)),
      ALPNProtocols: ['h2'],
      // Checked by the caller against the cluster root; a handshake alone is what this is for.
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake with ${address} within 5 s`));
    }, 5_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(new X509Certificate(raw).toString());
    });
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/**
 * Creates a service through `client`, retrying while an election runs. A retry after a lost
 * answer finds the service already there: that is its acknowledgement.
 */
async function createAcked(client: FlotillaClient, name: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.createService(serviceSpec(name));
      return;
    } catch (err) {
      if (err instanceof AlreadyExistsError) return;
      if (!(err instanceof UnavailableError) || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

describe('cluster identity between manager processes', () => {
  // Cluster A (a1 founds it, a2 and a3 join with its manager token) and a separate cluster B (b1).
  // The tests share them; each compares what it may change before and after.
  let dirs: TestDirs | null = null;
  let procs: ManagerProcesses | null = null;
  const addr = addresses(200);
  const clients: FlotillaClient[] = [];
  /** Joiners that should have been refused but were not: stopped after the tests. */
  const wronglyJoined: Manager[] = [];
  let joinerCount = 0;

  const p = (): ManagerProcesses => {
    if (!procs) throw new Error('the clusters were not started');
    return procs;
  };
  const track = (client: FlotillaClient): FlotillaClient => {
    clients.push(client);
    return client;
  };
  const adminClients = new Map<string, FlotillaClient>();
  /** The control API on a manager's local admin socket (no certificate needed). */
  const admin = (name: string): FlotillaClient => {
    let c = adminClients.get(name);
    if (!c) {
      c = track(new FlotillaClient({ address: p().controlAddress(name), timeoutMs: 10_000 }));
      adminClients.set(name, c);
    }
    return c;
  };
  /** The control API over a manager's TCP address, with the given channel credentials. */
  const remote = (name: string, credentials: grpc.ChannelCredentials): FlotillaClient =>
    track(new FlotillaClient({ address: p().get(name).address, credentials, timeoutMs: 5_000 }));

  const managerToken = async (name: string): Promise<string> =>
    (await admin(name).getCluster({ linearizable: true })).joinTokens.manager;

  /** Every Node of the cluster, with its role and whether it is a Raft member (a linearizable read). */
  const nodesOf = async (name: string): Promise<string[]> =>
    (await admin(name).listNodes(undefined, { linearizable: true }))
      .map((n) => `${n.id} ${n.spec.role}${n.managerStatus ? ' raft-member' : ''}`)
      .sort();

  /**
   * Manager.join in this process into an empty data directory; returns what it threw, after
   * checking that it did throw and that the directory is still empty.
   */
  const refusedJoin = async (joinAddr: string, joinToken: string): Promise<unknown> => {
    const dataDir = p().dirs.dir(`joiner-${++joinerCount}`);
    await mkdir(dataDir, { recursive: true });
    const outcome = await Manager.join({
      dataDir,
      listenAddr: addr(9),
      joinAddr,
      joinToken,
      tuning: FAST,
    }).then(
      (m) => {
        wronglyJoined.push(m);
        return m;
      },
      (err: unknown) => err,
    );
    expect(outcome, 'the join to be refused').not.toBeInstanceOf(Manager);
    expect(await readdir(dataDir), "the joiner's data directory").toEqual([]);
    return outcome;
  };

  /** What a worker does to join: checks the root against the worker token, then gets a certificate. */
  const joinWorker = async (): Promise<{ nodeId: string; certs: NodeCertificates }> => {
    const token = (await admin('a1').getCluster({ linearizable: true })).joinTokens.worker;
    const root = await fetchTrustedRoot(p().get('a1').address, token);
    const keyPem = await generateNodeKey();
    const issued = await requestNodeCertificate(p().get('a2').address, root, {
      csr: await createCsr(keyPem),
      token,
      addr: '127.0.0.1',
    });
    expect(issued.role).toBe('worker');
    return {
      nodeId: issued.nodeId,
      certs: { rootsPem: issued.rootCa, keyPem, certChainPem: issued.certificateChain },
    };
  };

  beforeAll(async () => {
    dirs = await TestDirs.create('flotilla-security-');
    const procsA = (procs = new ManagerProcesses(dirs));
    const a1 = await procsA.spawn('a1', { mode: 'init', listenAddr: addr(1), tuning: FAST });
    const token = await managerToken('a1');
    await procsA.spawn('a2', {
      mode: 'join',
      listenAddr: addr(2),
      joinAddr: a1.address,
      joinToken: token,
      tuning: FAST,
    });
    await procsA.spawn('a3', {
      mode: 'join',
      listenAddr: addr(3),
      joinAddr: procsA.get('a2').address,
      joinToken: token,
      tuning: FAST,
    });
    await procsA.spawn('b1', { mode: 'init', listenAddr: addr(5), tuning: FAST });
    await waitUntil('cluster A to have three reachable Raft members with one leader', async () => {
      const managers = (await admin('a1').listNodes(undefined, { linearizable: true })).filter(
        (n) => n.managerStatus !== undefined,
      );
      return (
        managers.length === 3 &&
        managers.filter((n) => n.managerStatus?.leader).length === 1 &&
        managers.every((n) => n.managerStatus?.reachability === 'reachable')
      );
    });
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(wronglyJoined.splice(0).map((m) => m.stop()));
    await procs?.stop();
    await dirs?.remove();
    procs = null;
    dirs = null;
  });

  it('admits managers with the manager token, each certified as itself: CN its node id, OU manager, O the cluster', async () => {
    const cluster = await admin('a1').getCluster({ linearizable: true });
    const rootPem = await readFile(certFilePaths(p().dirs.dir('a1')).roots, 'utf8');
    expect(cluster.rootCA?.caCert).toBe(rootPem);
    const root = new X509Certificate(rootPem);
    const members = await nodesOf('a1');
    for (const name of ['a1', 'a2', 'a3']) {
      const { id } = p().get(name);
      expect(members).toContain(`${id} manager raft-member`);
      const certs = await p().certificates(name);
      expect(certs.rootsPem, `${name}'s root-ca.crt`).toBe(rootPem);
      // Read by Node's own X.509 parser, independently of the CA library that issued it…
      const leaf = new X509Certificate(certs.certChainPem);
      expect(leaf.subject.split('\n').sort(), `${name}'s certificate subject`).toEqual(
        [`CN=${id}`, `O=${cluster.id}`, 'OU=manager'].sort(),
      );
      expect(
        leaf.checkIssued(root) && leaf.verify(root.publicKey),
        `${name}'s certificate signed by the root`,
      ).toBe(true);
      // …and by the cluster's own chain verification.
      await expect(verifyCertificate(certs.certChainPem, { roots: [rootPem] })).resolves.toMatchObject({
        nodeId: id,
        role: 'manager',
        clusterId: cluster.id,
      });
    }
    // b1 founded its own cluster: another root, another cluster id.
    const other = await admin('b1').getCluster();
    expect(other.id).not.toBe(cluster.id);
    expect(other.rootCA?.caCert).not.toBe(rootPem);
  });

  it("refuses a join with another cluster's token, and the manager refuses that token too; nothing joins", async () => {
    const before = await nodesOf('a1');
    const foreignToken = await managerToken('b1');
    const err = await refusedJoin(p().get('a1').address, foreignToken);
    // The joiner sees a root that is not the one its token names.
    expect(err).toBeInstanceOf(CertificateError);
    expect(err).toMatchObject({
      code: 'CA_DIGEST_MISMATCH',
      message: expect.stringMatching(
        /does not match the join token.*token is from another cluster/,
      ) as unknown,
    });
    // A joiner that skips that check and sends the token anyway is refused by the manager.
    const rootA = (await p().certificates('a1')).rootsPem;
    const sent = await requestNodeCertificate(p().get('a1').address, rootA, {
      csr: await createCsr(await generateNodeKey()),
      token: foreignToken,
      addr: '127.0.0.1',
    }).catch((e: unknown) => e);
    expect(sent).toBeInstanceOf(ControlError);
    expect(sent).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringMatching(/join token is for another cluster/) as unknown,
    });
    expect(await nodesOf('a1')).toEqual(before);
  });

  it('refuses a rotated manager token at once, at every manager, while the managers already joined keep working', async () => {
    const before = await nodesOf('a1');
    const old = await managerToken('a2');
    await admin('a2').rotateJoinTokens({ manager: true });
    expect(await managerToken('a1')).not.toBe(old);
    // Rotated through a2, presented at a3 right after, then at the others.
    for (const name of ['a3', 'a1', 'a2']) {
      const err = await refusedJoin(p().get(name).address, old);
      expect(err, `joining through ${name}`).toBeInstanceOf(ControlError);
      expect(err, `joining through ${name}`).toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(
          /join token is not valid for this cluster: it may have been rotated/,
        ) as unknown,
      });
    }
    expect(await nodesOf('a1')).toEqual(before);
    for (const name of ['a1', 'a2', 'a3']) await createAcked(admin(name), `after-rotation-${name}`);
  });

  it('refuses to trust a manager whose CA is not the one the token names, before sending it anything', async () => {
    const beforeA = await nodesOf('a1');
    const beforeB = await nodesOf('b1');
    // Cluster A's real token, shown to cluster B's manager: an impostor for whoever holds A's token.
    const err = await refusedJoin(p().get('b1').address, await managerToken('a1'));
    // A CertificateError is the joiner's own: what comes back over the wire is a ControlError (or
    // one of its subclasses), so the joiner stopped before any certificate request left it.
    expect(err).toBeInstanceOf(CertificateError);
    expect(err).toMatchObject({
      code: 'CA_DIGEST_MISMATCH',
      message: expect.stringMatching(/the manager may be an impostor/) as unknown,
    });
    expect(await nodesOf('b1')).toEqual(beforeB);
    expect(await nodesOf('a1')).toEqual(beforeA);
  });

  it('refuses a join without a token or with a truncated one as CA_BAD_TOKEN, and so does the manager; nothing joins', async () => {
    const before = await nodesOf('a1');
    const token = await managerToken('a1');
    const bad: Array<[string, string, RegExp]> = [
      ['no token', '', /does not start with "SWMTKN-"/],
      [
        'no secret',
        token.slice(0, token.lastIndexOf('-')),
        /truncated: the CA digest or the secret is missing/,
      ],
      ['a secret one character short', token.slice(0, -1), /the secret has 24 characters, expected 25/],
    ];
    const rootA = (await p().certificates('a1')).rootsPem;
    const csr = await createCsr(await generateNodeKey());
    for (const [what, joinToken, why] of bad) {
      const err = await refusedJoin(p().get('a1').address, joinToken);
      expect(err, what).toBeInstanceOf(CertificateError);
      expect(err, what).toMatchObject({
        code: 'CA_BAD_TOKEN',
        message: expect.stringMatching(why) as unknown,
      });
      const sent = await requestNodeCertificate(p().get('a1').address, rootA, {
        csr,
        token: joinToken,
        addr: '127.0.0.1',
      }).catch((e: unknown) => e);
      expect(sent, `${what}, sent to the manager`).toBeInstanceOf(ValidationError);
      expect((sent as ValidationError).message, `${what}, sent to the manager`).toMatch(why);
    }
    expect(await nodesOf('a1')).toEqual(before);
  });

  it('refuses a garbage certificate request with INVALID_ARGUMENT naming the request; nothing joins', async () => {
    const before = await nodesOf('a1');
    const rootA = (await p().certificates('a1')).rootsPem;
    const { worker } = (await admin('a1').getCluster({ linearizable: true })).joinTokens;
    const err = await requestNodeCertificate(p().get('a3').address, rootA, {
      csr: 'this is not a certificate request',
      token: worker,
      addr: '127.0.0.1',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(
      /the certificate request from node \S+: no PEM block found/,
    );
    expect(await nodesOf('a1')).toEqual(before);
  });

  it('refuses a worker certificate on the control API and on Raft, where a manager certificate is let in', async () => {
    const worker = await joinWorker();
    const workerCredentials = channelCredentials(worker.certs);
    const clusterId = (await admin('a1').getCluster()).id;
    // Each manager is also called with another manager's certificate: the refusal is the role's.
    const peer: Record<string, string> = { a1: 'a2', a2: 'a3', a3: 'a1' };
    for (const name of ['a1', 'a2', 'a3']) {
      const managerCredentials = channelCredentials(await p().certificates(peer[name]!));
      await expect(
        remote(name, workerCredentials).listServices(),
        `${name}: control API as a worker`,
      ).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(new RegExp(`node ${worker.nodeId} is a worker`)) as unknown,
      });
      await expect(
        remote(name, managerCredentials).getCluster(),
        `${name}: control API as a manager`,
      ).resolves.toMatchObject({
        id: clusterId,
      });
      expect(
        await raftSend(p().get(name).address, workerCredentials),
        `${name}: Raft as a worker`,
      ).toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: expect.stringMatching(/is a worker/) as unknown,
      });
      expect(await raftSend(p().get(name).address, managerCredentials), `${name}: Raft as a manager`).toEqual(
        {
          code: grpc.status.OK,
          details: '',
        },
      );
    }
  });

  it('refuses the control API and Raft to a TLS client without a certificate, as UNAUTHENTICATED', async () => {
    const rootA = (await p().certificates('a1')).rootsPem;
    // Trusts the cluster's root (so the server is verified) but presents no certificate.
    const anonymous = grpc.credentials.createSsl(Buffer.from(rootA), null, null, {
      checkServerIdentity: serverIdentityCheck(),
    });
    await expect(remote('a2', anonymous).getCluster()).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/needs a client certificate issued by the cluster/) as unknown,
    });
    expect(await raftSend(p().get('a2').address, anonymous)).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it("refuses certificates from another cluster's CA, even a forged one naming this cluster and its founder", async () => {
    const rootA = (await p().certificates('a1')).rootsPem;
    const clusterId = (await admin('a1').getCluster()).id;
    const b1 = await p().certificates('b1');
    const ca = await createRootCA();
    const forgedKey = await generateNodeKey();
    const forged = await issueNodeCertificate(ca, await createCsr(forgedKey), {
      nodeId: p().get('a1').id,
      role: 'manager',
      clusterId,
    });
    // Both trust A's root, so their side of the handshake passes and the server has to decide.
    const foreign: Array<[string, NodeCertificates]> = [
      [
        "cluster B's manager certificate",
        { rootsPem: rootA, keyPem: b1.keyPem, certChainPem: b1.certChainPem },
      ],
      [
        "a certificate from another CA naming A's cluster and a1",
        { rootsPem: rootA, keyPem: forgedKey, certChainPem: forged },
      ],
    ];
    for (const [what, certs] of foreign) {
      const credentials = channelCredentials(certs);
      await expect(remote('a2', credentials).getCluster(), `${what}: control API`).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      expect(await raftSend(p().get('a2').address, credentials), `${what}: Raft`).toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
    }
    // With cluster B's trust as well, the client cannot verify A's server: no connection at all.
    await expect(remote('a2', channelCredentials(b1)).getCluster()).rejects.toBeInstanceOf(UnavailableError);
  });

  it('cuts off a removed worker: within seconds every manager refuses to renew its certificate', async () => {
    const worker = await joinWorker();
    const csr = await createCsr(await generateNodeKey());
    const names = ['a1', 'a2', 'a3'];
    // Before the removal every manager renews it: the refusals below are the removal's doing.
    for (const name of names)
      await expect(
        renewNodeCertificate(p().get(name).address, worker.certs, csr),
        `${name} renews before the removal`,
      ).resolves.toMatchObject({ nodeId: worker.nodeId, role: 'worker' });

    await admin('a1').removeNode(worker.nodeId, { force: true });
    const removedAt = Date.now();
    const refusedAfterMs = new Map<string, number>();
    const lastOutcome = new Map<string, string>();
    try {
      await waitUntil(
        "every manager to refuse to renew the removed worker's certificate",
        async () => {
          for (const name of names.filter((n) => !refusedAfterMs.has(n))) {
            const outcome = await renewNodeCertificate(p().get(name).address, worker.certs, csr, 2_000).then(
              () => 'renewed',
              (err: unknown) =>
                err instanceof ControlError ? `${err.code}: ${err.message}` : `unexpected: ${String(err)}`,
            );
            lastOutcome.set(name, outcome);
            if (outcome.startsWith('PERMISSION_DENIED')) refusedAfterMs.set(name, Date.now() - removedAt);
          }
          return refusedAfterMs.size === names.length;
        },
        10_000,
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}; last outcomes: ${JSON.stringify(Object.fromEntries(lastOutcome))}`,
        {
          cause: err,
        },
      );
    }
    for (const name of names)
      expect(lastOutcome.get(name), name).toMatch(
        new RegExp(`node ${worker.nodeId} has been removed from the cluster`),
      );
    console.log(
      `removed worker refused for renewal after: ${names.map((n) => `${n} ${refusedAfterMs.get(n)} ms`).join(', ')}`,
    );
    expect(Math.max(...refusedAfterMs.values())).toBeLessThan(5_000);
    expect(await nodesOf('a1')).not.toContainEqual(expect.stringContaining(worker.nodeId) as unknown);
  });
});

describe('certificate renewal under a running cluster', () => {
  const EXPIRY_MS = 30_000;
  const tuning: ManagerTuning = { ...FAST, certExpiryMs: EXPIRY_MS };
  let dirs: TestDirs | null = null;
  let procs: ManagerProcesses | null = null;
  const clients: FlotillaClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await procs?.stop();
    await dirs?.remove();
    procs = null;
    dirs = null;
  });

  it('keeps a 3-manager cluster taking writes through several rounds of 30-second certificates', async () => {
    dirs = await TestDirs.create('flotilla-renewal-');
    const p = (procs = new ManagerProcesses(dirs));
    const addr = addresses(220);
    const names = ['r1', 'r2', 'r3'];
    const admin = new Map<string, FlotillaClient>();
    for (const name of names) {
      const c = new FlotillaClient({ address: p.controlAddress(name), timeoutMs: 10_000 });
      clients.push(c);
      admin.set(name, c);
    }
    await p.spawn('r1', { mode: 'init', listenAddr: addr(1), tuning });
    const token = (await admin.get('r1')!.getCluster()).joinTokens.manager;
    await p.spawn('r2', { mode: 'join', listenAddr: addr(2), joinAddr: addr(1), joinToken: token, tuning });
    await p.spawn('r3', { mode: 'join', listenAddr: addr(3), joinAddr: addr(2), joinToken: token, tuning });
    await waitUntil('three reachable Raft members with one leader', async () => {
      const managers = (await admin.get('r1')!.listNodes(undefined, { linearizable: true })).filter(
        (n) => n.managerStatus !== undefined,
      );
      return managers.length === 3 && managers.every((n) => n.managerStatus?.reachability === 'reachable');
    });
    const { id: clusterId } = await admin.get('r1')!.getCluster();
    const rootPem = (await p.certificates('r1')).rootsPem;

    /** Every certificate seen in each manager's certs/node.crt: serial → when first seen, notAfter. */
    const seen = new Map(names.map((n) => [n, new Map<string, { at: number; notAfter: number }>()]));
    const problems: string[] = [];
    const acked: string[] = [];
    let slowestAckMs = 0;
    const started = Date.now();
    // The window is the subject of the test (several 30 s lifetimes under load), not a wait for
    // a condition: the watcher and the writer run until it closes.
    const end = started + 75_000;

    const watch = async (): Promise<void> => {
      while (Date.now() < end) {
        for (const name of names) {
          const pem = await readFile(certFilePaths(p.dirs.dir(name)).nodeCert, 'utf8');
          const now = Date.now();
          try {
            const cert = await verifyCertificate(pem, { roots: [rootPem] });
            if (cert.nodeId !== p.get(name).id || cert.role !== 'manager' || cert.clusterId !== clusterId)
              problems.push(
                `${name}: node.crt names ${cert.nodeId} (${cert.role}, cluster ${cert.clusterId})`,
              );
            const certs = seen.get(name)!;
            if (!certs.has(cert.serial))
              certs.set(cert.serial, { at: now, notAfter: cert.notAfter.getTime() });
            // What a peer dialing it now gets: the server must have taken up a certificate that is valid.
            await verifyCertificate(await servedCertificate(p.get(name).address), { roots: [rootPem] });
          } catch (err) {
            problems.push(`${name} at +${now - started} ms: ${String(err)}`);
          }
        }
        await sleep(250);
      }
    };
    const write = async (): Promise<void> => {
      for (let round = 0; Date.now() < end; round++) {
        const roundStart = Date.now();
        await Promise.all(
          names.map(async (name) => {
            const service = `renewal-${round}-via-${name}`;
            const t = Date.now();
            try {
              await createAcked(admin.get(name)!, service);
              acked.push(service);
              slowestAckMs = Math.max(slowestAckMs, Date.now() - t);
            } catch (err) {
              problems.push(`writing ${service} at +${t - started} ms: ${String(err)}`);
            }
          }),
        );
        await sleep(Math.max(0, roundStart + 1_000 - Date.now()));
      }
    };
    await Promise.all([watch(), write()]);

    const summary = names.map((name) => {
      const certs = [...seen.get(name)!.values()];
      const gaps = certs.slice(1).map((c, i) => c.at - certs[i]!.at);
      return `${name}: ${certs.length - 1} replacements seen, gaps ${gaps.slice(0, 10).join('/')}${gaps.length > 10 ? '/…' : ''} ms`;
    });
    console.log(
      `renewal over ${Date.now() - started} ms: ${acked.length} writes acked (slowest ${slowestAckMs} ms)\n${summary.join('\n')}`,
    );
    expect(problems.slice(0, 20)).toEqual([]);
    for (const name of names) {
      const certs = [...seen.get(name)!.values()];
      expect(certs.length - 1, `${name}'s node.crt replacements`).toBeGreaterThanOrEqual(2);
      // The certificate it started the window with has expired: the cluster runs on renewed ones.
      expect(certs[0]!.notAfter, `${name}'s first certificate's end`).toBeLessThan(Date.now());
    }
    const rounds = acked.length / names.length;
    expect(rounds).toBeGreaterThanOrEqual(60);
    for (const name of names) {
      const listed = new Set(
        (await admin.get(name)!.listServices(undefined, { linearizable: true })).map((s) => s.spec.name),
      );
      expect(
        acked.filter((s) => !listed.has(s)),
        `services acked but missing at ${name}`,
      ).toEqual([]);
      // New mutual-TLS connections with the certificates on disk now (the first ones long expired).
      const peer = names[(names.indexOf(name) + 1) % names.length]!;
      const remote = new FlotillaClient({
        address: p.get(peer).address,
        credentials: channelCredentials(await p.certificates(name)),
        timeoutMs: 5_000,
      });
      clients.push(remote);
      await expect(remote.getCluster(), `${name} calling ${peer} over TCP`).resolves.toMatchObject({
        id: clusterId,
      });
    }
  }, 110_000);

  // The CA backdates notBefore by an hour (clock skew); the renewer must measure the life from
  // issue, or a 30 s certificate would look due at once and be renewed dozens of times a second.
  it('renews a 30-second certificate in the last half of its life, not as soon as it has it', async () => {
    dirs = await TestDirs.create('flotilla-renewal-window-');
    const p = (procs = new ManagerProcesses(dirs));
    await p.spawn('w1', { mode: 'init', listenAddr: addresses(230)(1), tuning });
    const path = certFilePaths(p.dirs.dir('w1')).nodeCert;
    const first = new X509Certificate(await readFile(path));
    // Issued EXPIRY_MS before its end (to the second: X.509 times have no milliseconds).
    const issuedAt = Date.parse(first.validTo) - EXPIRY_MS;
    let replacedAt = 0;
    await waitUntil(
      'node.crt to be replaced by a renewed certificate',
      async () => {
        const current = new X509Certificate(await readFile(path));
        if (current.serialNumber === first.serialNumber) return false;
        replacedAt = Date.now();
        return true;
      },
      EXPIRY_MS + 5_000,
    );
    const ageMs = replacedAt - issuedAt;
    console.log(`a ${EXPIRY_MS} ms certificate was replaced ${ageMs} ms after it was issued`);
    expect(ageMs, 'age of the certificate when it was replaced (ms)').toBeGreaterThanOrEqual(
      0.5 * EXPIRY_MS - 1_500,
    );
    expect(ageMs, 'age of the certificate when it was replaced (ms)').toBeLessThanOrEqual(
      0.8 * EXPIRY_MS + 1_500,
    );
  });
});
