// Join tokens: Swarm's SWMTKN-1 shape, parsing with errors that say which part is wrong (and
// never print the secret), the root CA check a joining node makes, and secret comparison.

import { createHash, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  checkRootAgainstToken,
  createRootCA,
  joinSecretMatches,
  newJoinToken,
  parseJoinToken,
  rootCADigest,
  type SigningCA,
} from '../../../src/ca/index.js';

const TOKEN_SHAPE = /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/;

function parseError(token: string): CertificateError {
  try {
    parseJoinToken(token);
  } catch (err) {
    if (err instanceof CertificateError) return err;
    throw err;
  }
  throw new Error(`expected ${token} to be refused`);
}

describe('join tokens', () => {
  let ca: SigningCA;
  let other: SigningCA;
  beforeAll(async () => {
    [ca, other] = await Promise.all([createRootCA(), createRootCA()]);
  });

  it("digests the root certificate's DER with sha256", () => {
    const der = new X509Certificate(ca.certPem).raw;
    expect(rootCADigest(ca.certPem)).toBe(createHash('sha256').update(der).digest('hex'));
    // The PEM's line wrapping does not matter.
    const rewrapped = ca.certPem.replace(/\n(?!-----)/g, '\r\n');
    expect(rootCADigest(rewrapped)).toBe(rootCADigest(ca.certPem));
  });

  it('makes tokens of the form SWMTKN-1-<50 base-36 digest>-<25 base-36 secret>', () => {
    const token = newJoinToken(ca.certPem);
    expect(token).toMatch(TOKEN_SHAPE);
    const digest = BigInt(`0x${rootCADigest(ca.certPem)}`)
      .toString(36)
      .padStart(50, '0');
    expect(token.split('-')[2]).toBe(digest);
  });

  it('writes 16 random bytes as the secret, in base 36 left-padded to 25 characters', () => {
    const zeros = newJoinToken(ca.certPem, (n) => new Uint8Array(n));
    expect(zeros.split('-')[3]).toBe('0'.repeat(25));
    const ones = newJoinToken(ca.certPem, (n) => new Uint8Array(n).fill(0xff));
    expect(ones.split('-')[3]).toBe(((1n << 128n) - 1n).toString(36));
    expect(ones.split('-')[3]).toHaveLength(25);
    expect(newJoinToken(ca.certPem)).not.toBe(newJoinToken(ca.certPem));
  });

  it('parses its own tokens back into version, CA digest and secret', () => {
    const token = newJoinToken(ca.certPem);
    expect(parseJoinToken(token)).toEqual({
      version: 1,
      caDigest: rootCADigest(ca.certPem),
      secret: token.split('-')[3],
    });
    expect(parseJoinToken(`${token}\n`).secret).toBe(token.split('-')[3]);
  });

  it("parses a token Docker's documentation shows", () => {
    const parsed = parseJoinToken(
      'SWMTKN-1-1h8aps2yszaiqmz2l3oc5392pgk8e49qhx2aj3nyv0ui0hez2a-6qmn92w6bu3jdvnglku58u11a',
    );
    expect(parsed.version).toBe(1);
    expect(parsed.caDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.secret).toBe('6qmn92w6bu3jdvnglku58u11a');
  });

  it('says which part of a bad token is wrong, and never prints the secret', () => {
    const token = newJoinToken(ca.certPem);
    const [, , digest = '', secret = ''] = token.split('-');
    const cases: [string, RegExp][] = [
      ['', /does not start with "SWMTKN-"/],
      ['SWMTKX-1-' + digest + '-' + secret, /does not start with "SWMTKN-"/],
      ['SWMTKN', /truncated after the prefix/],
      ['SWMTKN-', /truncated after the prefix/],
      ['SWMTKN-2-' + digest + '-' + secret, /version 2 is not supported/],
      ['SWMTKN-x-' + digest + '-' + secret, /version is not a number/],
      ['SWMTKN-1-' + digest, /truncated: the CA digest or the secret is missing/],
      ['SWMTKN-1-' + digest + '-', /truncated: the CA digest or the secret is missing/],
      ['SWMTKN-1-' + digest + '-' + secret.slice(0, 20), /the secret has 20 characters, expected 25/],
      ['SWMTKN-1-' + digest.slice(1) + '-' + secret, /the CA digest has 49 characters, expected 50/],
      ['SWMTKN-1-' + digest.toUpperCase() + '-' + secret, /CA digest has characters other than 0-9 and a-z/],
      [
        'SWMTKN-1-' + digest + '-' + secret.slice(0, 24) + '_',
        /secret has characters other than 0-9 and a-z/,
      ],
      ['SWMTKN-1-' + 'z'.repeat(50) + '-' + secret, /larger than a sha256/],
      [token + '-extra', /5 dash-separated parts, expected 4/],
    ];
    for (const [bad, message] of cases) {
      const err = parseError(bad);
      expect(err.code, bad).toBe('CA_BAD_TOKEN');
      expect(err.message, bad).toMatch(message);
      expect(err.message, bad).not.toContain(secret.slice(0, 20));
    }
  });

  it('accepts the root CA a token names', () => {
    expect(() => checkRootAgainstToken(ca.certPem, newJoinToken(ca.certPem))).not.toThrow();
  });

  it('refuses a root CA the token does not name (an impostor manager)', () => {
    const token = newJoinToken(ca.certPem);
    let err: unknown;
    try {
      checkRootAgainstToken(other.certPem, token);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as CertificateError).code).toBe('CA_DIGEST_MISMATCH');
    expect((err as CertificateError).message).toMatch(
      /^the manager presented a CA certificate that does not match the join token: /,
    );
    expect((err as CertificateError).message).toContain(rootCADigest(ca.certPem));
  });

  it('refuses a bundle of roots, so an impostor cannot add its own root next to the real one', () => {
    const token = newJoinToken(ca.certPem);
    expect(() => checkRootAgainstToken(ca.certPem + other.certPem, token)).toThrow(
      expect.objectContaining({ code: 'CA_MALFORMED_CERTIFICATE' }),
    );
  });

  it('compares secrets exactly', () => {
    const token = newJoinToken(ca.certPem);
    expect(joinSecretMatches(token, token)).toBe(true);
    expect(joinSecretMatches(token.slice(0, -1) + (token.endsWith('0') ? '1' : '0'), token)).toBe(false);
    expect(joinSecretMatches(token.slice(0, -1), token)).toBe(false);
    expect(joinSecretMatches('', '')).toBe(false);
    expect(joinSecretMatches(`${token}x`, token)).toBe(false);
  });
});
