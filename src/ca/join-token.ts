// Join tokens in Swarm's shape, SWMTKN-1-<CA digest>-<secret>: the digest lets a joining node
// check the manager's root CA before trusting it (refusing an impostor), the secret lets the
// manager admit the node. Widths as SwarmKit's ca/config.go: a sha256 in base 36 left-padded to
// 50 characters, and 16 random bytes in base 36 left-padded to 25.

import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import type { RandomBytes } from '../api/index.js';
import { CertificateError } from './errors.js';
import { certificateDigest, parseCertificate } from './x509.js';

export const JOIN_TOKEN_PREFIX = 'SWMTKN';
export const JOIN_TOKEN_VERSION = 1;
/** ceil(log36(2^256)) */
export const TOKEN_DIGEST_LENGTH = 50;
/** ceil(log36(2^128)) */
export const TOKEN_SECRET_LENGTH = 25;
const SECRET_BYTES = 16;
const BASE36 = /^[0-9a-z]+$/;
const SHAPE = `${JOIN_TOKEN_PREFIX}-${JOIN_TOKEN_VERSION}-<${TOKEN_DIGEST_LENGTH} base-36 characters>-<${TOKEN_SECRET_LENGTH} base-36 characters>`;

export interface ParsedJoinToken {
  version: number;
  /** sha256 of the root CA certificate's DER, lowercase hex (as rootCADigest returns it). */
  caDigest: string;
  secret: string;
}

/**
 * sha256 of the root CA certificate's DER, lowercase hex. Exactly one certificate: accepting a
 * bundle would let an impostor manager send the real root next to its own and be trusted for
 * both. (SwarmKit hashes the PEM bytes; the DER does not change when a file is re-wrapped.)
 */
export function rootCADigest(rootCertPem: string): string {
  return certificateDigest(parseCertificate(rootCertPem, 'the root CA certificate'));
}

/** A new token for the root CA in `rootCertPem`; one per role, each with its own secret. */
export function newJoinToken(rootCertPem: string, randomBytes: RandomBytes = cryptoRandomBytes): string {
  const digest = BigInt(`0x${rootCADigest(rootCertPem)}`);
  const bytes = randomBytes(SECRET_BYTES);
  if (bytes.length !== SECRET_BYTES)
    throw new Error(
      `newJoinToken: the random source returned ${bytes.length} bytes, expected ${SECRET_BYTES}`,
    );
  const secret = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  return [
    JOIN_TOKEN_PREFIX,
    String(JOIN_TOKEN_VERSION),
    digest.toString(36).padStart(TOKEN_DIGEST_LENGTH, '0'),
    secret.toString(36).padStart(TOKEN_SECRET_LENGTH, '0'),
  ].join('-');
}

/**
 * The same token for another root (after a root rotation): its secret kept, the new root's digest
 * in place of the old one's, so an operator's tokens keep their secret part.
 */
export function joinTokenForRoot(token: string, rootCertPem: string): string {
  parseJoinToken(token);
  const secret = token.trim().split('-')[3]!;
  const digest = BigInt(`0x${rootCADigest(rootCertPem)}`);
  return [
    JOIN_TOKEN_PREFIX,
    String(JOIN_TOKEN_VERSION),
    digest.toString(36).padStart(TOKEN_DIGEST_LENGTH, '0'),
    secret,
  ].join('-');
}

/** The parts of a token; CA_BAD_TOKEN names the part that is wrong (and never echoes the secret). */
export function parseJoinToken(token: string): ParsedJoinToken {
  const bad = (problem: string): CertificateError =>
    new CertificateError('CA_BAD_TOKEN', `invalid join token: ${problem} (expected ${SHAPE})`);
  if (typeof token !== 'string') throw bad('not a string');
  // Pasted tokens often carry a trailing newline; nothing else is forgiven.
  const parts = token.trim().split('-');
  const [prefix, version, digest, secret] = parts;
  if (prefix !== JOIN_TOKEN_PREFIX) throw bad(`it does not start with "${JOIN_TOKEN_PREFIX}-"`);
  if (version === undefined || version === '') throw bad('it is truncated after the prefix');
  if (version !== String(JOIN_TOKEN_VERSION))
    throw bad(
      /^\d{1,3}$/.test(version)
        ? `version ${version} is not supported (only version ${JOIN_TOKEN_VERSION})`
        : 'the version is not a number',
    );
  if (digest === undefined || secret === undefined || secret === '')
    throw bad('it is truncated: the CA digest or the secret is missing');
  if (parts.length > 4) throw bad(`it has ${parts.length} dash-separated parts, expected 4`);
  if (digest.length !== TOKEN_DIGEST_LENGTH)
    throw bad(`the CA digest has ${digest.length} characters, expected ${TOKEN_DIGEST_LENGTH}`);
  if (!BASE36.test(digest)) throw bad('the CA digest has characters other than 0-9 and a-z');
  const digestValue = fromBase36(digest);
  if (digestValue >= 1n << 256n) throw bad('the CA digest is larger than a sha256');
  if (secret.length !== TOKEN_SECRET_LENGTH)
    throw bad(`the secret has ${secret.length} characters, expected ${TOKEN_SECRET_LENGTH}`);
  if (!BASE36.test(secret)) throw bad('the secret has characters other than 0-9 and a-z');
  return { version: JOIN_TOKEN_VERSION, caDigest: digestValue.toString(16).padStart(64, '0'), secret };
}

/**
 * Throws CA_DIGEST_MISMATCH unless `rootCertPem` is the root CA the token names. A joining node
 * calls this on the CA certificate a manager sends before trusting anything else it says.
 */
export function checkRootAgainstToken(rootCertPem: string, token: string): void {
  const expected = parseJoinToken(token).caDigest;
  const presented = rootCADigest(rootCertPem);
  if (presented !== expected)
    throw new CertificateError(
      'CA_DIGEST_MISMATCH',
      `the manager presented a CA certificate that does not match the join token: its sha256 is ${presented}, ` +
        `the token expects ${expected}; the manager may be an impostor, or the token is from another cluster`,
    );
}

/**
 * Whether a presented token (or secret) equals the expected one, in time independent of where
 * they differ; hashing first makes the lengths equal too, so the length does not leak either.
 */
export function joinSecretMatches(presented: string, expected: string): boolean {
  if (typeof presented !== 'string' || typeof expected !== 'string' || expected === '') return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function fromBase36(text: string): bigint {
  let value = 0n;
  for (const char of text) value = value * 36n + BigInt(parseInt(char, 36));
  return value;
}
