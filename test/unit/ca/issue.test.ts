// Node keys, CSRs and issuing: what a node certificate says (read back with Node's own parser),
// and every request the CA refuses.

import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  createCsr,
  createRootCA,
  DEFAULT_NODE_VALIDITY_MS,
  generateNodeKey,
  issueNodeCertificate,
  type SigningCA,
} from '../../../src/ca/index.js';
import { encodePem, parseCertificate, x509 } from '../../../src/ca/x509.js';
import { CLUSTER_ID, DAY, flipByte, HOUR, publicKeyOf } from './fixtures.js';

describe('generateNodeKey and createCsr', () => {
  it('generates a fresh ECDSA P-256 key as PKCS#8 PEM', async () => {
    const [a, b] = await Promise.all([generateNodeKey(), generateNodeKey()]);
    expect(a).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(a);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(a).not.toBe(b);
  });

  it("makes a self-signed request for the key's public half", async () => {
    const keyPem = await generateNodeKey();
    const csrPem = await createCsr(keyPem);
    expect(csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(Buffer.from(csr.publicKey.rawData).equals(publicKeyOf(keyPem))).toBe(true);
  });

  it('refuses to make a request with a key that is not PEM', async () => {
    await expect(createCsr('not a key')).rejects.toMatchObject({ code: 'CA_MALFORMED_KEY' });
  });
});

describe('issueNodeCertificate', () => {
  const now = new Date('2030-06-01T12:00:00Z');
  let ca: SigningCA;
  let keyPem: string;
  let csrPem: string;
  beforeAll(async () => {
    ca = await createRootCA({ now: new Date('2030-01-01T00:00:00Z') });
    keyPem = await generateNodeKey();
    csrPem = await createCsr(keyPem);
  });

  const issue = (overrides: Partial<Parameters<typeof issueNodeCertificate>[2]> = {}, csr = csrPem) =>
    issueNodeCertificate(ca, csr, {
      nodeId: 'node-1',
      role: 'manager',
      clusterId: CLUSTER_ID,
      now,
      ...overrides,
    });

  it('names the node in the subject as CN=<nodeId>, OU=<role>, O=<clusterId>', async () => {
    const cert = new X509Certificate(await issue());
    expect(cert.subject.split('\n')).toEqual(['CN=node-1', 'OU=manager', `O=${CLUSTER_ID}`]);
    expect(cert.issuer).toBe('CN=flotilla-root-ca');
  });

  it("ignores the request's subject: a node cannot choose its identity", async () => {
    const evil = await createCsr(keyPem, { commonName: 'the-leader' });
    const cert = new X509Certificate(await issue({}, evil));
    expect(cert.subject).toContain('CN=node-1');
    expect(cert.subject).not.toContain('the-leader');
  });

  it("certifies the request's key, signed by the CA", async () => {
    const cert = new X509Certificate(await issue());
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });

  it('is a TLS server and client certificate, not a CA, with the node id as its DNS name', async () => {
    const pem = await issue();
    const cert = new X509Certificate(pem);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(cert.subjectAltName).toBe('DNS:node-1');
    expect(cert.checkHost('node-1')).toBe('node-1');
    const parsed = parseCertificate(pem, 'leaf');
    expect(parsed.getExtension(x509.BasicConstraintsExtension)?.critical).toBe(true);
    expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
  });

  it("names the CA's subject key id as its authority key id", async () => {
    const leaf = parseCertificate(await issue(), 'leaf');
    const root = parseCertificate(ca.certPem, 'root');
    const ski = root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(ski).toBeDefined();
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ski);
  });

  it('is valid for 90 days by default, from an hour before now', async () => {
    const cert = parseCertificate(await issue(), 'leaf');
    expect(cert.notBefore.getTime()).toBe(now.getTime() - HOUR);
    expect(cert.notAfter.getTime()).toBe(now.getTime() + DEFAULT_NODE_VALIDITY_MS);
    const short = parseCertificate(await issue({ validityMs: DAY }), 'leaf');
    expect(short.notAfter.getTime()).toBe(now.getTime() + DAY);
  });

  it('never outlives the CA certificate', async () => {
    const cert = parseCertificate(await issue({ validityMs: 100 * 365 * DAY }), 'leaf');
    expect(cert.notAfter.getTime()).toBe(parseCertificate(ca.certPem, 'root').notAfter.getTime());
  });

  it('draws a 16-byte random serial, or uses the one given', async () => {
    const a = parseCertificate(await issue({ randomBytes: (n) => new Uint8Array(n).fill(0x7f) }), 'leaf');
    expect(a.serialNumber).toBe('7f'.repeat(16));
    const b = parseCertificate(await issue({ randomBytes: (n) => new Uint8Array(n).fill(0xff) }), 'leaf');
    // The top bit set: DER adds a sign byte, the serial stays 16 bytes.
    expect(b.serialNumber).toBe('ff'.repeat(16));
    const serials = new Set(
      await Promise.all(
        [issue(), issue(), issue()].map(async (p) => parseCertificate(await p, 'leaf').serialNumber),
      ),
    );
    expect(serials.size).toBe(3);
    expect(parseCertificate(await issue({ serial: '2a' }), 'leaf').serialNumber).toBe('2a');
    await expect(issue({ serial: 'xyz' })).rejects.toMatchObject({ code: 'CA_BAD_IDENTITY' });
  });

  it('issues admin certificates for remote CLI clients (OU=admin) and worker certificates', async () => {
    expect(new X509Certificate(await issue({ role: 'admin', nodeId: 'alice' })).subject).toContain(
      'OU=admin',
    );
    expect(new X509Certificate(await issue({ role: 'worker' })).subject).toContain('OU=worker');
  });

  it('refuses a role it does not know and ids that cannot be names', async () => {
    await expect(issue({ role: 'root' as 'manager' })).rejects.toMatchObject({ code: 'CA_UNKNOWN_ROLE' });
    await expect(issue({ nodeId: 'has space' })).rejects.toMatchObject({ code: 'CA_BAD_IDENTITY' });
    await expect(issue({ nodeId: '' })).rejects.toMatchObject({ code: 'CA_BAD_IDENTITY' });
    await expect(issue({ clusterId: 'a,O=other' })).rejects.toMatchObject({ code: 'CA_BAD_IDENTITY' });
    await expect(issue({ nodeId: 'x'.repeat(65) })).rejects.toMatchObject({ code: 'CA_BAD_IDENTITY' });
  });

  it('refuses requests that are not PEM certificate requests', async () => {
    for (const bad of [
      '',
      'garbage',
      ca.certPem,
      '-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n',
    ]) {
      const err = await issue({}, bad).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(CertificateError);
      expect((err as CertificateError).code).toBe('CA_MALFORMED_CSR');
      expect((err as CertificateError).message).toContain('the certificate request from node node-1');
    }
  });

  it('refuses a request whose DER does not parse', async () => {
    const junk = encodePem('CERTIFICATE REQUEST', new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]));
    await expect(issue({}, junk)).rejects.toMatchObject({ code: 'CA_MALFORMED_CSR' });
  });

  it('refuses a request whose signature is broken', async () => {
    // The last byte of the DER is the signature's; flipping it keeps the encoding valid.
    await expect(issue({}, flipByte(csrPem))).rejects.toMatchObject({
      code: 'CA_BAD_CSR_SIGNATURE',
      message: expect.stringMatching(/signature that does not verify/) as unknown,
    });
  });

  it('refuses a request for an RSA key', async () => {
    const keys = await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    );
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=rsa',
      keys,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    });
    await expect(issue({}, csr.toString('pem'))).rejects.toMatchObject({
      code: 'CA_UNSUPPORTED_KEY',
      message: expect.stringMatching(/RSA 1024-bit key/) as unknown,
    });
  });

  it('refuses a request for a P-384 key', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
      'sign',
      'verify',
    ]);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=p384',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    });
    await expect(issue({}, csr.toString('pem'))).rejects.toMatchObject({ code: 'CA_UNSUPPORTED_KEY' });
  });

  it('refuses to issue once the CA certificate has expired', async () => {
    const old = await createRootCA({ now: new Date('2020-01-01T00:00:00Z'), validityMs: DAY });
    await expect(
      issueNodeCertificate(old, csrPem, { nodeId: 'n', role: 'worker', clusterId: CLUSTER_ID, now }),
    ).rejects.toMatchObject({
      code: 'CA_EXPIRED',
      message: expect.stringMatching(/signing CA certificate expired/) as unknown,
    });
  });
});
