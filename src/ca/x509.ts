// The one module that loads @peculiar/x509 (after reflect-metadata, which its dependency
// injection needs first) and the low-level steps the CA shares: PEM blocks, parsing with typed
// errors, ECDSA P-256 keys, digests, and reading a node's identity out of a subject name.

// Must stay the first import: tsyringe inside @peculiar/x509 throws at load time without it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes as cryptoRandomBytes,
  webcrypto,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { RandomBytes } from '../api/index.js';
import { CertificateError } from './errors.js';

x509.cryptoProvider.set(webcrypto);

export { x509 };

export const subtle = webcrypto.subtle;

/** Every key and signature in the cluster: ECDSA over P-256 with SHA-256 (Swarm's choice too). */
export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export const OID_COMMON_NAME = '2.5.4.3';
export const OID_ORGANIZATION = '2.5.4.10';
export const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';

export type CertificateRole = 'manager' | 'worker' | 'admin';
export const CERTIFICATE_ROLES: readonly CertificateRole[] = ['manager', 'worker', 'admin'];

export function isCertificateRole(value: unknown): value is CertificateRole {
  return typeof value === 'string' && (CERTIFICATE_ROLES as readonly string[]).includes(value);
}

/**
 * Node ids and cluster ids become a DNS subjectAltName and subject fields: letters, digits and
 * `.-_`, starting with a letter or digit, at most 64 characters (the X.520 bound on a CN).
 */
const IDENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isIdentityString(value: unknown): value is string {
  return typeof value === 'string' && IDENTITY_PATTERN.test(value);
}

// ---- PEM ----

export interface PemBlock {
  /** The word(s) after BEGIN: CERTIFICATE, PRIVATE KEY, CERTIFICATE REQUEST, … */
  type: string;
  der: Uint8Array;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;

/**
 * The PEM blocks in `text`, in order. Text between blocks is ignored (as OpenSSL does), but a
 * block whose END does not match its BEGIN, or whose body is not base64, is an error: a
 * half-written or hand-edited file should say so rather than silently lose a certificate.
 */
export function decodePem(text: string): PemBlock[] | string {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [, begin = '', body = '', end = ''] = match;
    if (begin !== end) return `a PEM block begins as ${begin} but ends as ${end}`;
    if (!BASE64_BODY.test(body)) return `the ${begin} PEM block's body is not base64`;
    const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    if (der.length === 0) return `the ${begin} PEM block is empty`;
    blocks.push({ type: begin, der: new Uint8Array(der) });
  }
  if (blocks.length === 0) return 'no PEM block found (expected -----BEGIN …----- … -----END …-----)';
  const begins = text.split('-----BEGIN ').length - 1;
  if (begins !== blocks.length) return `${begins - blocks.length} PEM block(s) have no END line (truncated?)`;
  return blocks;
}

export function encodePem(type: string, der: Uint8Array | ArrayBuffer): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

// ---- Certificates ----

/**
 * Every certificate in `pem` (a single certificate, a leaf with its chain, or a bundle of roots).
 * `what` names the input in the error ("the node certificate", "trusted root #2").
 */
export function parseCertificates(pem: string, what: string): x509.X509Certificate[] {
  if (typeof pem !== 'string')
    throw new CertificateError('CA_MALFORMED_CERTIFICATE', `${what} is not PEM text`);
  const blocks = decodePem(pem);
  if (typeof blocks === 'string')
    throw new CertificateError('CA_MALFORMED_CERTIFICATE', `${what}: ${blocks}`);
  return blocks.map((block, index) => {
    const position = blocks.length > 1 ? ` (PEM block ${index + 1} of ${blocks.length})` : '';
    if (block.type !== 'CERTIFICATE')
      throw new CertificateError(
        'CA_MALFORMED_CERTIFICATE',
        `${what}${position} is a ${block.type}, not a CERTIFICATE`,
      );
    try {
      return new x509.X509Certificate(block.der);
    } catch (err) {
      throw new CertificateError(
        'CA_MALFORMED_CERTIFICATE',
        `${what}${position} is not a valid X.509 certificate (${describe(err)})`,
        { cause: err },
      );
    }
  });
}

/** Exactly one certificate. */
export function parseCertificate(pem: string, what: string): x509.X509Certificate {
  const certs = parseCertificates(pem, what);
  const [cert] = certs;
  if (cert === undefined || certs.length !== 1)
    throw new CertificateError(
      'CA_MALFORMED_CERTIFICATE',
      `${what} must be a single certificate, but the PEM holds ${certs.length}`,
    );
  return cert;
}

export function certificatePem(cert: x509.X509Certificate): string {
  return encodePem('CERTIFICATE', cert.rawData);
}

/**
 * Certificates start an hour before they are made, as SwarmKit's do (its CertBackdate), so a
 * peer whose clock is a little behind the issuer's does not refuse a certificate just issued.
 */
export const CERT_BACKDATE_MS = 60 * 60 * 1000;

const SERIAL_BYTES = 16;
const SERIAL_PATTERN = /^[0-9a-f]{1,32}$/i;

/** A random 128-bit serial number (hex); the encoder adds the sign byte when the top bit is set. */
export function randomSerial(randomBytes: RandomBytes = cryptoRandomBytes): string {
  const bytes = randomBytes(SERIAL_BYTES);
  if (bytes.length !== SERIAL_BYTES)
    throw new Error(
      `randomSerial: the random source returned ${bytes.length} bytes, expected ${SERIAL_BYTES}`,
    );
  // RFC 5280 §4.1.2.2: serial numbers are positive; an all-zero draw would encode as 0.
  if (bytes.every((b) => b === 0)) return '01';
  return Buffer.from(bytes).toString('hex');
}

/** A caller-chosen serial: at most our own width, well inside RFC 5280's 20 octets even with a sign byte. */
export function checkSerial(serial: string): string {
  if (!SERIAL_PATTERN.test(serial) || /^0+$/.test(serial))
    throw new CertificateError(
      'CA_BAD_IDENTITY',
      `serial "${printable(serial)}" must be 1 to 32 hex digits, not zero`,
    );
  return serial.toLowerCase();
}

/** sha256 of the certificate's DER, lowercase hex: how a join token names the root CA. */
export function certificateDigest(cert: x509.X509Certificate): string {
  return createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex');
}

/**
 * A serial number as lowercase hex without leading zeros: x509 keeps a zero byte that OpenSSL
 * (and so a TLS peer certificate) drops, and the two must compare equal.
 */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/** Who a certificate is for, read from its subject: CN=<nodeId>, OU=<role>, O=<clusterId>. */
export interface CertificateIdentity {
  nodeId: string;
  role: CertificateRole;
  clusterId: string;
  /** Lowercase hex, no leading zeros. */
  serial: string;
}

/** The fields of a subject, as a TLS peer certificate presents them (a string, or an array if repeated). */
export type SubjectFields = Partial<Record<'CN' | 'OU' | 'O', string | string[] | undefined>>;

/**
 * The identity a subject names, or a CertificateError saying which part is missing or wrong.
 * Each field must appear exactly once: two OUs would make the role ambiguous.
 */
export function identityFromSubject(
  fields: SubjectFields,
  serial: string,
  what: string,
): CertificateIdentity | CertificateError {
  const single = (key: 'CN' | 'OU' | 'O'): string | undefined | null => {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.length === 1 ? (value[0] ?? null) : null;
    return value;
  };
  const nodeId = single('CN');
  const role = single('OU');
  const clusterId = single('O');
  if (role === undefined)
    return new CertificateError('CA_UNKNOWN_ROLE', `${what} names no role (its subject has no OU)`);
  if (!isCertificateRole(role))
    return new CertificateError(
      'CA_UNKNOWN_ROLE',
      role === null
        ? `${what} names more than one role (OU)`
        : `${what} has role (OU) "${printable(role)}", expected one of ${CERTIFICATE_ROLES.join(', ')}`,
    );
  if (!isIdentityString(nodeId))
    return new CertificateError(
      'CA_BAD_IDENTITY',
      `${what} has no usable node id (its subject CN is ${nodeId == null ? 'missing or repeated' : `"${printable(nodeId)}"`})`,
    );
  if (!isIdentityString(clusterId))
    return new CertificateError(
      'CA_BAD_IDENTITY',
      `${what} has no usable cluster id (its subject O is ${clusterId == null ? 'missing or repeated' : `"${printable(clusterId)}"`})`,
    );
  return { nodeId, role, clusterId, serial: normalizeSerial(serial) };
}

export function subjectFields(cert: x509.X509Certificate): SubjectFields {
  const name = cert.subjectName;
  const field = (oid: string): string[] | undefined => {
    const values = name.getField(oid);
    return values.length === 0 ? undefined : values;
  };
  return { CN: field(OID_COMMON_NAME), OU: field(OID_ORGANIZATIONAL_UNIT), O: field(OID_ORGANIZATION) };
}

/** Issuer and subject names compared as encoded (RFC 5280 §7.1 allows more; our CA never needs it). */
export function namesEqual(a: x509.Name, b: x509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()));
}

/** Whether `cert`'s signature verifies with `issuer`'s public key. */
export async function signedBy(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    // An unsupported or mismatched algorithm is a failed verification, not a crash of the caller.
    return false;
  }
}

// ---- Keys ----

export interface EcKeyPair {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  /** SPKI DER of the public key, to compare against certificates. */
  spki: Buffer;
}

/** Rejects any key but ECDSA P-256; `what` names the key in the message. */
export function assertP256(key: KeyObject, what: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    const kind =
      key.asymmetricKeyType === 'ec'
        ? `EC ${curve ?? 'unknown curve'}`
        : `${(key.asymmetricKeyType ?? 'unknown').toUpperCase()}${rsaBits(key)}`;
    throw new CertificateError(
      'CA_UNSUPPORTED_KEY',
      `${what} is an ${kind} key; the cluster uses ECDSA P-256 only`,
    );
  }
}

function rsaBits(key: KeyObject): string {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  return bits === undefined ? '' : ` ${bits}-bit`;
}

/** A PEM private key (PKCS#8, or SEC1 "EC PRIVATE KEY") as a WebCrypto signing pair. */
export async function importPrivateKey(keyPem: string, what: string): Promise<EcKeyPair> {
  let keyObject: KeyObject;
  try {
    if (typeof keyPem !== 'string' || !keyPem.includes('PRIVATE KEY-----'))
      throw new Error('no PRIVATE KEY PEM block');
    keyObject = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (err) {
    throw new CertificateError('CA_MALFORMED_KEY', `${what} is not a PEM private key (${describe(err)})`, {
      cause: err,
    });
  }
  assertP256(keyObject, what);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const privateKey = await subtle.importKey('pkcs8', pkcs8, EC_KEY_ALGORITHM, false, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, EC_KEY_ALGORITHM, true, ['verify']);
  return { privateKey, publicKey, spki };
}

/** The SPKI DER of a certificate's public key. */
export function certificateSpki(cert: x509.X509Certificate): Buffer {
  return Buffer.from(cert.publicKey.rawData);
}

/** The certificate's public key as a Node KeyObject (for type checks); null if it does not parse. */
export function certificateKeyObject(cert: x509.X509Certificate): KeyObject | null {
  try {
    return createPublicKey({ key: certificateSpki(cert), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A value from a certificate, safe to put in a message (bounded, no control characters). */
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
