// Issuing node certificates from a CSR, as SwarmKit's CA server does: the request only proves
// possession of an ECDSA P-256 key; the CA alone decides the subject (CN=<nodeId>, OU=<role>,
// O=<clusterId>), so a node cannot ask for another node's identity or a stronger role.

import type { RandomBytes } from '../api/index.js';
import { CertificateError } from './errors.js';
import { loadSigningCA } from './root-ca.js';
import type { SigningCA } from './root-ca.js';
import {
  assertP256,
  CERT_BACKDATE_MS,
  CERTIFICATE_ROLES,
  certificatePem,
  checkSerial,
  decodePem,
  describe,
  isCertificateRole,
  isIdentityString,
  printable,
  randomSerial,
  SIGNING_ALGORITHM,
  x509,
} from './x509.js';
import type { CertificateRole } from './x509.js';
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** SwarmKit's default node certificate lifetime. */
export const DEFAULT_NODE_VALIDITY_MS = 90 * 24 * 60 * 60 * 1000;

export interface IssueOptions {
  nodeId: string;
  /** manager and worker for nodes; admin for remote CLI clients. */
  role: CertificateRole;
  clusterId: string;
  /** Default 90 days; never past the CA certificate's own end. */
  validityMs?: number;
  now?: Date;
  /** Hex; default 16 random bytes. */
  serial?: string;
  randomBytes?: RandomBytes;
}

/**
 * Signs the CSR's public key into a node certificate (PEM) after checking the request. Pass a
 * LoadedSigningCA (loadSigningCA) when issuing many, so the CA is parsed and checked once.
 */
export async function issueNodeCertificate(
  ca: SigningCA,
  csrPem: string,
  options: IssueOptions,
): Promise<string> {
  const { nodeId, role, clusterId } = options;
  if (!isIdentityString(nodeId))
    throw new CertificateError(
      'CA_BAD_IDENTITY',
      `cannot issue for node id "${printable(String(nodeId))}": ${IDENTITY_RULE}`,
    );
  if (!isIdentityString(clusterId))
    throw new CertificateError(
      'CA_BAD_IDENTITY',
      `cannot issue for cluster id "${printable(String(clusterId))}": ${IDENTITY_RULE}`,
    );
  if (!isCertificateRole(role))
    throw new CertificateError(
      'CA_UNKNOWN_ROLE',
      `cannot issue for role "${printable(String(role))}": expected one of ${CERTIFICATE_ROLES.join(', ')}`,
    );
  const validityMs = options.validityMs ?? DEFAULT_NODE_VALIDITY_MS;
  if (!(validityMs > 0))
    throw new RangeError(`issueNodeCertificate: validityMs must be positive, got ${validityMs}`);

  const authority = await loadSigningCA(ca);
  const csr = await checkedRequest(csrPem, nodeId);

  const now = options.now ?? new Date();
  if (now.getTime() > authority.notAfter.getTime())
    throw new CertificateError(
      'CA_EXPIRED',
      `the signing CA certificate expired at ${authority.notAfter.toISOString()}; rotate the root CA`,
    );
  const notAfter = Math.min(now.getTime() + validityMs, authority.notAfter.getTime());
  const notBefore = Math.max(now.getTime() - CERT_BACKDATE_MS, authority.notBefore.getTime());

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber:
      options.serial === undefined ? randomSerial(options.randomBytes) : checkSerial(options.serial),
    subject: [{ CN: [nodeId] }, { OU: [role] }, { O: [clusterId] }],
    issuer: authority.certificate.subjectName,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    publicKey: csr.publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      // Every node is both a TLS server (to its peers) and a TLS client (of them).
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      await authority.authorityKeyIdentifier(),
      // Peers are dialed by IP, so the node id is the name a server identity check compares.
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: nodeId }]),
    ],
  });
  return certificatePem(cert);
}

const IDENTITY_RULE = 'ids are 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit';

/** The parsed request, once its key is ECDSA P-256 and its self-signature verifies. */
async function checkedRequest(csrPem: string, nodeId: string): Promise<x509.Pkcs10CertificateRequest> {
  const what = `the certificate request from node ${nodeId}`;
  const blocks = typeof csrPem === 'string' ? decodePem(csrPem) : 'not PEM text';
  if (typeof blocks === 'string') throw new CertificateError('CA_MALFORMED_CSR', `${what}: ${blocks}`);
  const [block] = blocks;
  if (block === undefined || blocks.length !== 1)
    throw new CertificateError(
      'CA_MALFORMED_CSR',
      `${what} must be one PEM block, but it has ${blocks.length}`,
    );
  if (block.type !== 'CERTIFICATE REQUEST' && block.type !== 'NEW CERTIFICATE REQUEST')
    throw new CertificateError('CA_MALFORMED_CSR', `${what} is a ${block.type}, not a CERTIFICATE REQUEST`);
  let csr: x509.Pkcs10CertificateRequest;
  let key: KeyObject;
  try {
    csr = new x509.Pkcs10CertificateRequest(block.der);
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (err) {
    throw new CertificateError('CA_MALFORMED_CSR', `${what} does not parse as PKCS#10 (${describe(err)})`, {
      cause: err,
    });
  }
  assertP256(key, `the key in ${what}`);
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch {
    // An unsupported signature algorithm fails like a wrong signature: the proof is missing.
    verified = false;
  }
  if (!verified)
    throw new CertificateError(
      'CA_BAD_CSR_SIGNATURE',
      `${what} has a signature that does not verify with its own key: it was altered or not signed by the key it names`,
    );
  return csr;
}
