// Following the cluster's root CA on a node, manager or worker: trust what the cluster trusts now
// (both roots during a rotation), written to certs/root-ca.crt so a restart trusts the same, and
// renew at once when the node's certificate is not of the root the CA signs with now (or, for a
// worker told its role, when it names another role: a promotion or demotion).

import type { Logger } from '../util/logger.js';
import { writeTrustedRoots } from './cert-files.js';
import type { CertificateRenewer } from './renewer.js';
import type { ReloadableTlsIdentity } from './tls.js';
import { verifyCertificate } from './verify.js';
import { identityFromSubject, parseCertificates, subjectFields, type CertificateIdentity } from './x509.js';

export interface ClusterTrust {
  /** PEM bundle of the roots to trust. */
  trustedRoots: string;
  /** PEM of the root the CA signs with now. */
  signingRoot: string;
}

export async function followTrust(
  trust: ClusterTrust,
  node: {
    tls: ReloadableTlsIdentity;
    dataDir: string;
    renewer: Pick<CertificateRenewer, 'renewNow'>;
    log: Logger;
  },
): Promise<void> {
  const { tls } = node;
  if (trust.trustedRoots !== '' && trust.trustedRoots !== tls.current.rootsPem) {
    await writeTrustedRoots(node.dataDir, trust.trustedRoots);
    tls.update({ ...tls.current, rootsPem: trust.trustedRoots });
    node.log.info('trusting the cluster root CA as it is now', {
      roots: (trust.trustedRoots.match(/BEGIN CERTIFICATE/g) ?? []).length,
    });
  }
  if (trust.signingRoot === '') return;
  const current = await verifyCertificate(tls.current.certChainPem, { roots: [trust.signingRoot] }).then(
    () => true,
    () => false,
  );
  if (!current) {
    node.log.info('renewing for a certificate of the new root');
    await node.renewer.renewNow();
  }
}

/** The identity (node id, role, cluster) the leaf of a PEM chain names, or null when it names none. */
export function certificateIdentity(chainPem: string): CertificateIdentity | null {
  const [leaf] = parseCertificates(chainPem, 'the node certificate');
  if (!leaf) return null;
  const identity = identityFromSubject(subjectFields(leaf), leaf.serialNumber, 'the node certificate');
  return identity instanceof Error ? null : identity;
}

/** The role (OU) the leaf of a PEM chain names, or null when it names none it may. */
export function certificateRole(chainPem: string): string | null {
  return certificateIdentity(chainPem)?.role ?? null;
}
