// Shared helpers of the CA tests: node certificates in one call, and hand-made certificates the
// CA would never issue (no role, a CA leaf, a signer that is not a CA) to test verification.

import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  createCsr,
  generateNodeKey,
  issueNodeCertificate,
  type CertificateRole,
  type IssueOptions,
  type SigningCA,
} from '../../../src/ca/index.js';
import { importPrivateKey, parseCertificate, SIGNING_ALGORITHM, x509 } from '../../../src/ca/x509.js';

export const CLUSTER_ID = 'cluster0000000000000000001';
export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;

export interface NodeCert {
  keyPem: string;
  certPem: string;
}

/** A fresh key and a certificate for it, issued by `ca` the way a joining node gets one. */
export async function nodeCert(
  ca: SigningCA,
  nodeId: string,
  role: CertificateRole,
  options: Partial<IssueOptions> = {},
): Promise<NodeCert> {
  const keyPem = await generateNodeKey();
  const certPem = await issueNodeCertificate(ca, await createCsr(keyPem), {
    nodeId,
    role,
    clusterId: CLUSTER_ID,
    ...options,
  });
  return { keyPem, certPem };
}

export interface CraftOptions {
  subject: x509.JsonName;
  /** The signer; default the CA's key and subject. */
  issuer?: { certPem: string; keyPem: string };
  isCA?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

/** A certificate for a fresh key with exactly the given subject, signed outside the CA's checks. */
export async function craftCertificate(options: CraftOptions & { issuer: SigningCA }): Promise<NodeCert> {
  const keyPem = await generateNodeKey();
  const subjectKeys = await importPrivateKey(keyPem, 'test key');
  const issuerKeys = await importPrivateKey(options.issuer.keyPem, 'issuer key');
  const issuerCert = parseCertificate(options.issuer.certPem, 'issuer');
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    subject: options.subject,
    issuer: issuerCert.subjectName,
    notBefore: options.notBefore ?? new Date(now - HOUR),
    notAfter: options.notAfter ?? new Date(now + DAY),
    publicKey: subjectKeys.publicKey,
    signingKey: issuerKeys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(options.isCA ?? false, undefined, true)],
  });
  return { keyPem, certPem: cert.toString('pem') + '\n' };
}

/** The PEM with one byte of its DER changed at `offsetFromEnd` (counted from the last byte). */
export function flipByte(pem: string, offsetFromEnd = 1): string {
  const match = /-----BEGIN ([A-Z ]+)-----([^-]+)-----END/.exec(pem);
  if (!match?.[1] || !match[2]) throw new Error('flipByte: not PEM');
  const der = Buffer.from(match[2].replace(/\s+/g, ''), 'base64');
  const index = der.length - offsetFromEnd;
  der[index] = (der[index] ?? 0) ^ 0x01;
  const body =
    der
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN ${match[1]}-----\n${body}\n-----END ${match[1]}-----\n`;
}

/** SPKI DER of a PEM private key's public half. */
export function publicKeyOf(keyPem: string): Buffer {
  return createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
}
