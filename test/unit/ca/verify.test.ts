// Verifying node certificates: who they are for, and each reason to refuse one (time, issuer,
// subject, chain). Plus root rotation: leaves of a new root through a cross-signed intermediate.

import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  createRootCA,
  crossSignRoot,
  rootCADigest,
  verifyCertificate,
  type SigningCA,
} from '../../../src/ca/index.js';
import { parseCertificate, x509 } from '../../../src/ca/x509.js';
import { CLUSTER_ID, craftCertificate, DAY, HOUR, nodeCert, type NodeCert } from './fixtures.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CertificateError)) throw new Error(`expected a CertificateError, got ${String(err)}`);
  return err.code;
}

describe('verifyCertificate', () => {
  const issuedAt = new Date('2031-03-01T00:00:00Z');
  let ca: SigningCA;
  let other: SigningCA;
  /** A CA valid at the real time, for certificates crafted without a `now`. */
  let live: SigningCA;
  let manager: NodeCert;
  beforeAll(async () => {
    live = await createRootCA();
    [ca, other] = await Promise.all([
      createRootCA({ now: new Date('2031-01-01T00:00:00Z') }),
      createRootCA({ now: new Date('2031-01-01T00:00:00Z') }),
    ]);
    manager = await nodeCert(ca, 'mgr-1', 'manager', { now: issuedAt, validityMs: 10 * DAY });
  });

  it('returns the node id, role, cluster id, serial and validity of a certificate from a trusted root', async () => {
    const result = await verifyCertificate(manager.certPem, { roots: [ca.certPem], now: issuedAt });
    const node = new X509Certificate(manager.certPem);
    expect(result).toEqual({
      nodeId: 'mgr-1',
      role: 'manager',
      clusterId: CLUSTER_ID,
      serial: node.serialNumber.toLowerCase().replace(/^0+/, ''),
      notBefore: new Date(issuedAt.getTime() - HOUR),
      notAfter: new Date(issuedAt.getTime() + 10 * DAY),
      rootDigest: rootCADigest(ca.certPem),
    });
  });

  it('finds the trusted root among several, also inside a PEM bundle', async () => {
    const bundle = other.certPem + ca.certPem;
    const result = await verifyCertificate(manager.certPem, { roots: [bundle], now: issuedAt });
    expect(result.rootDigest).toBe(rootCADigest(ca.certPem));
  });

  it('refuses a certificate after its end, naming the node and the time', async () => {
    const later = new Date(issuedAt.getTime() + 11 * DAY);
    const err = await verifyCertificate(manager.certPem, { roots: [ca.certPem], now: later }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CA_EXPIRED' });
    expect((err as Error).message).toMatch(
      /certificate of node mgr-1 \(manager, cluster .*\) expired at 2031-03-11/,
    );
  });

  it('refuses a certificate before its start (clock skew beyond the backdating)', async () => {
    const before = new Date(issuedAt.getTime() - 2 * HOUR);
    expect(await codeOf(verifyCertificate(manager.certPem, { roots: [ca.certPem], now: before }))).toBe(
      'CA_NOT_YET_VALID',
    );
    // Within the hour of backdating it is accepted.
    const slightlyBehind = new Date(issuedAt.getTime() - 30 * 60 * 1000);
    await expect(
      verifyCertificate(manager.certPem, { roots: [ca.certPem], now: slightlyBehind }),
    ).resolves.toBeDefined();
  });

  it('refuses a certificate from another CA', async () => {
    const err = await verifyCertificate(manager.certPem, { roots: [other.certPem], now: issuedAt }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CA_UNKNOWN_AUTHORITY' });
    expect((err as Error).message).toMatch(/node mgr-1 .* was not issued by a trusted CA/);
  });

  it('refuses a certificate whose signature was altered', async () => {
    const der = Buffer.from(parseCertificate(manager.certPem, 'leaf').rawData);
    der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 1;
    const pem = new x509.X509Certificate(der).toString('pem');
    expect(await codeOf(verifyCertificate(pem, { roots: [ca.certPem], now: issuedAt }))).toBe(
      'CA_UNKNOWN_AUTHORITY',
    );
  });

  it('refuses text that is not a PEM certificate', async () => {
    const roots = [ca.certPem];
    expect(await codeOf(verifyCertificate('', { roots, now: issuedAt }))).toBe('CA_MALFORMED_CERTIFICATE');
    expect(await codeOf(verifyCertificate('hello', { roots, now: issuedAt }))).toBe(
      'CA_MALFORMED_CERTIFICATE',
    );
    expect(await codeOf(verifyCertificate(manager.keyPem, { roots, now: issuedAt }))).toBe(
      'CA_MALFORMED_CERTIFICATE',
    );
    const truncated = manager.certPem.slice(0, manager.certPem.length / 2);
    expect(await codeOf(verifyCertificate(truncated, { roots, now: issuedAt }))).toBe(
      'CA_MALFORMED_CERTIFICATE',
    );
    const garbled = manager.certPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n');
    expect(await codeOf(verifyCertificate(garbled, { roots, now: issuedAt }))).toBe(
      'CA_MALFORMED_CERTIFICATE',
    );
    // A leaf followed by a half-written second block is refused too, not read as the leaf alone.
    expect(await codeOf(verifyCertificate(manager.certPem + truncated, { roots, now: issuedAt }))).toBe(
      'CA_MALFORMED_CERTIFICATE',
    );
  });

  it('refuses a malformed trusted root, naming it', async () => {
    await expect(
      verifyCertificate(manager.certPem, { roots: [ca.certPem, 'junk'], now: issuedAt }),
    ).rejects.toThrow(/trusted root #2/);
  });

  it('refuses a certificate without a role, or with a role it does not know', async () => {
    const noRole = await craftCertificate({ issuer: live, subject: [{ CN: ['n1'] }, { O: [CLUSTER_ID] }] });
    const err = await verifyCertificate(noRole.certPem, { roots: [live.certPem] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CA_UNKNOWN_ROLE' });
    expect((err as Error).message).toMatch(/names no role \(its subject has no OU\)/);

    const badRole = await craftCertificate({
      issuer: live,
      subject: [{ CN: ['n1'] }, { OU: ['superuser'] }, { O: [CLUSTER_ID] }],
    });
    await expect(verifyCertificate(badRole.certPem, { roots: [live.certPem] })).rejects.toMatchObject({
      code: 'CA_UNKNOWN_ROLE',
      message: expect.stringMatching(
        /role \(OU\) "superuser", expected one of manager, worker, admin/,
      ) as unknown,
    });

    const twoRoles = await craftCertificate({
      issuer: live,
      subject: [{ CN: ['n1'] }, { OU: ['worker'] }, { OU: ['manager'] }, { O: [CLUSTER_ID] }],
    });
    expect(await codeOf(verifyCertificate(twoRoles.certPem, { roots: [live.certPem] }))).toBe(
      'CA_UNKNOWN_ROLE',
    );
  });

  it('refuses a certificate without a node id or cluster id', async () => {
    const noCN = await craftCertificate({ issuer: live, subject: [{ OU: ['worker'] }, { O: [CLUSTER_ID] }] });
    expect(await codeOf(verifyCertificate(noCN.certPem, { roots: [live.certPem] }))).toBe('CA_BAD_IDENTITY');
    const noO = await craftCertificate({ issuer: live, subject: [{ CN: ['n1'] }, { OU: ['worker'] }] });
    expect(await codeOf(verifyCertificate(noO.certPem, { roots: [live.certPem] }))).toBe('CA_BAD_IDENTITY');
  });

  it('refuses a CA certificate presented as a node certificate', async () => {
    const caLeaf = await craftCertificate({
      issuer: live,
      isCA: true,
      subject: [{ CN: ['n1'] }, { OU: ['manager'] }, { O: [CLUSTER_ID] }],
    });
    expect(await codeOf(verifyCertificate(caLeaf.certPem, { roots: [live.certPem] }))).toBe(
      'CA_BAD_IDENTITY',
    );
  });

  it('refuses a chain through a certificate that is not a CA', async () => {
    // A node signs a "certificate" for a node of its choosing with its own key.
    const worker = await nodeCert(live, 'wrk-1', 'worker');
    const forged = await craftCertificate({
      issuer: { certPem: worker.certPem, keyPem: worker.keyPem },
      subject: [{ CN: ['mgr-9'] }, { OU: ['manager'] }, { O: [CLUSTER_ID] }],
    });
    const err = await verifyCertificate(forged.certPem + worker.certPem, { roots: [live.certPem] }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CA_NOT_A_CA' });
    expect((err as Error).message).toMatch(/intermediate CA CN=wrk-1.* is not a CA certificate/);
  });

  it('refuses a chain through an expired intermediate', async () => {
    const intermediate = await craftCertificate({
      issuer: live,
      isCA: true,
      subject: [{ CN: ['old-intermediate'] }],
      notBefore: new Date(Date.now() - 2 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    // Crafted: the CA itself would not issue past its signer's end.
    const leaf = await craftCertificate({
      issuer: intermediate,
      subject: [{ CN: ['n1'] }, { OU: ['worker'] }, { O: [CLUSTER_ID] }],
    });
    await expect(
      verifyCertificate(leaf.certPem + intermediate.certPem, { roots: [live.certPem] }),
    ).rejects.toMatchObject({
      code: 'CA_EXPIRED',
      message: expect.stringMatching(
        /intermediate CA CN=old-intermediate .* in the chain of the certificate of node n1/,
      ) as unknown,
    });
  });
});

describe('root rotation with a cross-signed root', () => {
  let oldCA: SigningCA;
  let newCA: SigningCA;
  let crossSigned: string;
  let leaf: NodeCert;
  beforeAll(async () => {
    [oldCA, newCA] = await Promise.all([createRootCA(), createRootCA()]);
    crossSigned = await crossSignRoot(oldCA, newCA.certPem);
    leaf = await nodeCert(newCA, 'node-7', 'worker');
  });

  it("carries the new root's subject and key, issued and signed by the old root", () => {
    const cross = new X509Certificate(crossSigned);
    const newRoot = new X509Certificate(newCA.certPem);
    const oldRoot = new X509Certificate(oldCA.certPem);
    expect(cross.subject).toBe(newRoot.subject);
    expect(cross.publicKey.equals(newRoot.publicKey)).toBe(true);
    expect(cross.ca).toBe(true);
    expect(cross.verify(newRoot.publicKey)).toBe(false);
    expect(cross.verify(oldRoot.publicKey)).toBe(true);
    expect(cross.validTo).toBe(newRoot.validTo);
  });

  it('lets a node that trusts only the old root verify a leaf of the new root sent with the intermediate', async () => {
    const result = await verifyCertificate(leaf.certPem + crossSigned, { roots: [oldCA.certPem] });
    expect(result.nodeId).toBe('node-7');
    expect(result.rootDigest).toBe(rootCADigest(oldCA.certPem));
  });

  it('verifies the leaf against the new root alone, with or without the intermediate', async () => {
    expect((await verifyCertificate(leaf.certPem, { roots: [newCA.certPem] })).rootDigest).toBe(
      rootCADigest(newCA.certPem),
    );
    expect((await verifyCertificate(leaf.certPem + crossSigned, { roots: [newCA.certPem] })).rootDigest).toBe(
      rootCADigest(newCA.certPem),
    );
  });

  it('does not let the old root alone vouch for a leaf of the new root', async () => {
    expect(await codeOf(verifyCertificate(leaf.certPem, { roots: [oldCA.certPem] }))).toBe(
      'CA_UNKNOWN_AUTHORITY',
    );
  });

  it('refuses to cross-sign a certificate that is not a root CA', async () => {
    expect(await codeOf(crossSignRoot(oldCA, leaf.certPem))).toBe('CA_NOT_A_CA');
    const intermediate = await craftCertificate({ issuer: newCA, isCA: true, subject: [{ CN: ['sub-ca'] }] });
    expect(await codeOf(crossSignRoot(oldCA, intermediate.certPem))).toBe('CA_MALFORMED_CERTIFICATE');
  });
});
