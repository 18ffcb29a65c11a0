// The node side of getting a certificate: a fresh ECDSA P-256 key that never leaves the node,
// and a certificate signing request that proves possession of it. The CA ignores the request's
// subject (it names the node itself), so the request carries only the key and the proof.

import { EC_KEY_ALGORITHM, encodePem, importPrivateKey, SIGNING_ALGORITHM, subtle, x509 } from './x509.js';

/** A new ECDSA P-256 private key, PKCS#8 PEM. */
export async function generateNodeKey(): Promise<string> {
  const pair = await subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify']);
  return encodePem('PRIVATE KEY', await subtle.exportKey('pkcs8', pair.privateKey));
}

export interface CsrOptions {
  /** Informational only: the CA replaces the subject. Default `flotilla-node`. */
  commonName?: string;
}

/** A PKCS#10 request for `keyPem`'s public key, signed with it (PEM). */
export async function createCsr(keyPem: string, options: CsrOptions = {}): Promise<string> {
  const keys = await importPrivateKey(keyPem, 'the node key');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [options.commonName ?? 'flotilla-node'] }],
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return encodePem('CERTIFICATE REQUEST', csr.rawData);
}
