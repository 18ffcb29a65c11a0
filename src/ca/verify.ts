// Verifying a node certificate (or a leaf with its chain) against the cluster's trusted roots and
// reading who it is for. Roots share one subject name across clusters and rotations, so the chain
// is found by signature, not by name: every candidate issuer with the right name is tried.

import { CertificateError } from './errors.js';
import {
  certificateDigest,
  identityFromSubject,
  namesEqual,
  parseCertificates,
  printable,
  signedBy,
  subjectFields,
  x509,
} from './x509.js';
import type { CertificateIdentity } from './x509.js';

export interface VerifyOptions {
  /** PEM of the trusted roots; each string may hold several certificates. */
  roots: readonly string[];
  now?: Date;
}

export interface VerifiedCertificate extends CertificateIdentity {
  notBefore: Date;
  notAfter: Date;
  /** sha256 (hex) of the trusted root the chain ends at: comparable with rootCADigest. */
  rootDigest: string;
}

/** Longest chain accepted: leaf, up to three intermediates, root. Rotation needs one. */
const MAX_INTERMEDIATES = 3;

/**
 * Verifies `certPem` (the leaf first, then any intermediates) at `now`: every certificate on the
 * path is within its validity, every issuer is a CA, and the path ends at a trusted root.
 */
export async function verifyCertificate(
  certPem: string,
  options: VerifyOptions,
): Promise<VerifiedCertificate> {
  const now = options.now ?? new Date();
  const [leaf, ...intermediates] = parseCertificates(certPem, 'the certificate');
  if (leaf === undefined) throw new CertificateError('CA_MALFORMED_CERTIFICATE', 'the certificate is empty');
  const roots = options.roots.flatMap((pem, index) => parseCertificates(pem, `trusted root #${index + 1}`));
  const leafName = describeLeaf(leaf);

  checkValidity(leaf, now, leafName);
  const path = await findPath(leaf, intermediates, roots, []);
  if (path === null)
    throw new CertificateError(
      'CA_UNKNOWN_AUTHORITY',
      `${leafName} was not issued by a trusted CA: no chain from it${
        intermediates.length > 0 ? ` (through the ${intermediates.length} certificate(s) sent with it)` : ''
      } to the ${roots.length} trusted root(s) verifies; it may belong to another cluster or an old root`,
    );
  // path: the issuers from the leaf's up to the root, which is last.
  for (const [index, issuer] of path.entries()) {
    const isRoot = index === path.length - 1;
    const issuerName = `${isRoot ? 'the trusted root' : 'the intermediate CA'} ${issuer.subject} (serial ${issuer.serialNumber})`;
    checkValidity(issuer, now, `${issuerName} in the chain of ${leafName}`);
    const constraints = issuer.getExtension(x509.BasicConstraintsExtension);
    if (constraints?.ca !== true)
      throw new CertificateError(
        'CA_NOT_A_CA',
        `${issuerName} signs ${leafName} but is not a CA certificate`,
      );
    // Intermediates between this issuer and the leaf (RFC 5280 §4.2.1.9).
    if (constraints.pathLength !== undefined && index > constraints.pathLength)
      throw new CertificateError(
        'CA_NOT_A_CA',
        `${issuerName} allows ${constraints.pathLength} intermediate(s) below it, the chain of ${leafName} has ${index}`,
      );
  }
  const root = path[path.length - 1];
  if (root === undefined) throw new Error('verifyCertificate: empty path'); // findPath never returns one

  const identity = identityFromSubject(subjectFields(leaf), leaf.serialNumber, leafName);
  if (identity instanceof CertificateError) throw identity;
  if (leaf.getExtension(x509.BasicConstraintsExtension)?.ca === true)
    throw new CertificateError('CA_BAD_IDENTITY', `${leafName} is a CA certificate, not a node certificate`);
  return {
    ...identity,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    rootDigest: certificateDigest(root),
  };
}

/** The issuers from `cert`'s up to a trusted root (last), or null when none verifies. */
async function findPath(
  cert: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
  roots: readonly x509.X509Certificate[],
  used: readonly x509.X509Certificate[],
): Promise<x509.X509Certificate[] | null> {
  // Roots first: a node that trusts the new root should not depend on a cross-signed intermediate.
  for (const root of roots) {
    if (namesEqual(cert.issuerName, root.subjectName) && (await signedBy(cert, root))) return [root];
  }
  if (used.length >= MAX_INTERMEDIATES) return null;
  for (const candidate of intermediates) {
    if (used.includes(candidate) || candidate === cert) continue;
    if (!namesEqual(cert.issuerName, candidate.subjectName) || !(await signedBy(cert, candidate))) continue;
    const rest = await findPath(candidate, intermediates, roots, [...used, candidate]);
    if (rest !== null) return [candidate, ...rest];
  }
  return null;
}

function checkValidity(cert: x509.X509Certificate, now: Date, what: string): void {
  if (now.getTime() < cert.notBefore.getTime())
    throw new CertificateError(
      'CA_NOT_YET_VALID',
      `${what} is not valid until ${cert.notBefore.toISOString()} (now is ${now.toISOString()}; check the clocks)`,
    );
  if (now.getTime() > cert.notAfter.getTime())
    throw new CertificateError(
      'CA_EXPIRED',
      `${what} expired at ${cert.notAfter.toISOString()} (now is ${now.toISOString()})`,
    );
}

/** "the certificate of node abc (worker, cluster xyz)" from whatever its subject holds. */
function describeLeaf(cert: x509.X509Certificate): string {
  const fields = subjectFields(cert);
  const first = (values: string | string[] | undefined): string | undefined =>
    (Array.isArray(values) ? values[0] : values) ?? undefined;
  const nodeId = first(fields.CN);
  const role = first(fields.OU);
  const clusterId = first(fields.O);
  const details: string[] = [];
  if (role !== undefined) details.push(printable(role));
  if (clusterId !== undefined) details.push(`cluster ${printable(clusterId)}`);
  const who = nodeId === undefined ? 'an unnamed node' : `node ${printable(nodeId)}`;
  return `the certificate of ${who}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}
