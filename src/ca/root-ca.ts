// The cluster's root CA: creating it (a self-signed ECDSA P-256 certificate, as `docker swarm
// init` does), loading it to sign with, and cross-signing a new root with the old one so that
// nodes which trust only the old root accept certificates from the new one during rotation.

import type { RandomBytes } from '../api/index.js';
import { CertificateError } from './errors.js';
import {
  CERT_BACKDATE_MS,
  certificateDigest,
  certificatePem,
  certificateSpki,
  encodePem,
  importPrivateKey,
  namesEqual,
  parseCertificate,
  randomSerial,
  signedBy,
  SIGNING_ALGORITHM,
  subtle,
  EC_KEY_ALGORITHM,
  x509,
} from './x509.js';
import type { EcKeyPair } from './x509.js';

export const ROOT_CA_COMMON_NAME = 'flotilla-root-ca';
/** SwarmKit's default root CA lifetime. */
export const DEFAULT_ROOT_VALIDITY_MS = 20 * 365 * 24 * 60 * 60 * 1000;

const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';

/** A CA that can sign: its certificate and its private key (PKCS#8), both PEM. */
export interface SigningCA {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface RootCAOptions {
  now?: Date;
  /** Default 20 years. */
  validityMs?: number;
  randomBytes?: RandomBytes;
}

/** A new root CA: CN=flotilla-root-ca, CA:true (critical), keyCertSign|cRLSign, a subject key id. */
export async function createRootCA(options: RootCAOptions = {}): Promise<SigningCA> {
  const now = options.now ?? new Date();
  const validityMs = options.validityMs ?? DEFAULT_ROOT_VALIDITY_MS;
  if (!(validityMs > 0)) throw new RangeError(`createRootCA: validityMs must be positive, got ${validityMs}`);
  const keys = await subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(options.randomBytes),
    name: [{ CN: [ROOT_CA_COMMON_NAME] }],
    notBefore: new Date(now.getTime() - CERT_BACKDATE_MS),
    notAfter: new Date(now.getTime() + validityMs),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: certificatePem(cert),
    keyPem: encodePem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey)),
  };
}

/** A SigningCA checked and parsed once, ready to sign many certificates. */
export class LoadedSigningCA implements SigningCA {
  /** sha256 of the CA certificate's DER, lowercase hex (what a join token names). */
  readonly digest: string;

  /** Use loadSigningCA. */
  constructor(
    readonly certPem: string,
    readonly keyPem: string,
    /** @internal */ readonly certificate: x509.X509Certificate,
    /** @internal */ readonly keys: EcKeyPair,
  ) {
    this.digest = certificateDigest(certificate);
  }

  get notBefore(): Date {
    return this.certificate.notBefore;
  }

  get notAfter(): Date {
    return this.certificate.notAfter;
  }

  /** The key identifier leaves name as their authority (the CA's own subject key id if it has one). */
  async authorityKeyIdentifier(): Promise<x509.AuthorityKeyIdentifierExtension> {
    const ski = this.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
    if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
    return x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey);
  }
}

/**
 * Parses and checks a SigningCA: one CA certificate (basicConstraints CA:true) and the ECDSA
 * P-256 private key that belongs to it.
 */
export async function loadSigningCA(ca: SigningCA): Promise<LoadedSigningCA> {
  if (ca instanceof LoadedSigningCA) return ca;
  const certificate = parseCertificate(ca.certPem, 'the CA certificate');
  const keys = await importPrivateKey(ca.keyPem, 'the CA key');
  if (!keys.spki.equals(certificateSpki(certificate)))
    throw new CertificateError(
      'CA_KEY_MISMATCH',
      `the CA key does not belong to the CA certificate (${certificate.subject}, serial ${certificate.serialNumber})`,
    );
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca !== true)
    throw new CertificateError(
      'CA_NOT_A_CA',
      `the CA certificate (${certificate.subject}) is not a CA certificate: it lacks basicConstraints CA:true`,
    );
  return new LoadedSigningCA(ca.certPem, ca.keyPem, certificate, keys);
}

/**
 * An intermediate certificate with the new root's subject, public key, validity, serial and
 * extensions, but issued (signed) by the old root — SwarmKit's CrossSignCACertificate. A leaf
 * signed by the new root, sent with this intermediate, verifies for a node that trusts only the
 * old root; a node that already trusts the new root ignores the intermediate.
 */
export async function crossSignRoot(oldCA: SigningCA, newRootCertPem: string): Promise<string> {
  const old = await loadSigningCA(oldCA);
  const newRoot = parseCertificate(newRootCertPem, 'the new root CA certificate');
  if (newRoot.getExtension(x509.BasicConstraintsExtension)?.ca !== true)
    throw new CertificateError(
      'CA_NOT_A_CA',
      `the new root certificate (${newRoot.subject}) is not a CA certificate: it lacks basicConstraints CA:true`,
    );
  if (!namesEqual(newRoot.issuerName, newRoot.subjectName) || !(await signedBy(newRoot, newRoot)))
    throw new CertificateError(
      'CA_MALFORMED_CERTIFICATE',
      `the new root certificate (${newRoot.subject}) is not self-signed, so it is not a root`,
    );
  const extensions = newRoot.extensions.filter((ext) => ext.type !== OID_AUTHORITY_KEY_IDENTIFIER);
  extensions.push(await old.authorityKeyIdentifier());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newRoot.serialNumber,
    subject: newRoot.subjectName,
    issuer: old.certificate.subjectName,
    notBefore: newRoot.notBefore,
    notAfter: newRoot.notAfter,
    publicKey: newRoot.publicKey,
    signingKey: old.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return certificatePem(cert);
}
