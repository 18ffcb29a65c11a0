// The root CA: what createRootCA makes (read back with Node's own OpenSSL-backed parser), and
// what loadSigningCA refuses to sign with.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  createRootCA,
  DEFAULT_ROOT_VALIDITY_MS,
  loadSigningCA,
  LoadedSigningCA,
  rootCADigest,
  type SigningCA,
} from '../../../src/ca/index.js';
import { parseCertificate, x509 } from '../../../src/ca/x509.js';
import { HOUR, nodeCert } from './fixtures.js';

describe('createRootCA', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  let ca: SigningCA;
  beforeAll(async () => {
    ca = await createRootCA({ now });
  });

  it('makes a self-signed CA certificate named flotilla-root-ca with an ECDSA P-256 key', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.subject).toBe('CN=flotilla-root-ca');
    expect(cert.issuer).toBe('CN=flotilla-root-ca');
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it('returns the key as PKCS#8 PEM', () => {
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(ca.keyPem).asymmetricKeyType).toBe('ec');
  });

  it('marks basicConstraints critical and limits the key to signing certificates and CRLs', () => {
    const cert = parseCertificate(ca.certPem, 'root');
    const constraints = cert.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.ca).toBe(true);
    expect(constraints?.critical).toBe(true);
    const usage = cert.getExtension(x509.KeyUsagesExtension);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('is valid for 20 years from an hour before now by default', () => {
    const cert = parseCertificate(ca.certPem, 'root');
    expect(cert.notBefore.getTime()).toBe(now.getTime() - HOUR);
    expect(cert.notAfter.getTime()).toBe(now.getTime() + DEFAULT_ROOT_VALIDITY_MS);
  });

  it('honours validityMs and draws its serial from the injected random source', async () => {
    const short = await createRootCA({
      now,
      validityMs: 10 * HOUR,
      randomBytes: (n) => new Uint8Array(n).fill(0xab),
    });
    const cert = parseCertificate(short.certPem, 'root');
    expect(cert.notAfter.getTime()).toBe(now.getTime() + 10 * HOUR);
    expect(cert.serialNumber).toBe('ab'.repeat(16));
  });

  it('makes a different key and certificate each time', async () => {
    const other = await createRootCA({ now });
    expect(other.keyPem).not.toBe(ca.keyPem);
    expect(rootCADigest(other.certPem)).not.toBe(rootCADigest(ca.certPem));
  });
});

describe('loadSigningCA', () => {
  let ca: SigningCA;
  let other: SigningCA;
  beforeAll(async () => {
    [ca, other] = await Promise.all([createRootCA(), createRootCA()]);
  });

  it('loads a CA and its key, with the digest a join token names', async () => {
    const loaded = await loadSigningCA(ca);
    expect(loaded).toBeInstanceOf(LoadedSigningCA);
    expect(loaded.digest).toBe(rootCADigest(ca.certPem));
    expect(await loadSigningCA(loaded)).toBe(loaded);
  });

  it('refuses a key that belongs to another CA', async () => {
    const err = await loadSigningCA({ certPem: ca.certPem, keyPem: other.keyPem }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as CertificateError).code).toBe('CA_KEY_MISMATCH');
    expect((err as CertificateError).message).toMatch(/CA key does not belong to the CA certificate/);
  });

  it('refuses to sign with a node certificate', async () => {
    const leaf = await nodeCert(ca, 'node1', 'manager');
    await expect(loadSigningCA({ certPem: leaf.certPem, keyPem: leaf.keyPem })).rejects.toMatchObject({
      code: 'CA_NOT_A_CA',
    });
  });

  it('refuses a key that is not PEM, and a certificate that is not one', async () => {
    await expect(loadSigningCA({ certPem: ca.certPem, keyPem: 'nonsense' })).rejects.toMatchObject({
      code: 'CA_MALFORMED_KEY',
    });
    await expect(loadSigningCA({ certPem: 'nonsense', keyPem: ca.keyPem })).rejects.toMatchObject({
      code: 'CA_MALFORMED_CERTIFICATE',
    });
    await expect(loadSigningCA({ certPem: ca.keyPem, keyPem: ca.keyPem })).rejects.toThrow(
      /the CA certificate is a PRIVATE KEY, not a CERTIFICATE/,
    );
  });

  it('refuses a CA key that is not ECDSA P-256', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await expect(loadSigningCA({ certPem: ca.certPem, keyPem: p384.toString() })).rejects.toMatchObject({
      code: 'CA_UNSUPPORTED_KEY',
      message: expect.stringMatching(/EC secp384r1 key; the cluster uses ECDSA P-256 only/) as unknown,
    });
  });
});
