// node.key's wrapped form (autolock): sealed under one or two key-encryption keys, opened by any of
// them and by nothing else, the key not importable and not readable from the bytes, and damage
// named as damage.

import { createPrivateKey, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, generateNodeKey } from '../../../src/ca/index.js';
import { unwrapNodeKey, wrapNodeKey } from '../../../src/ca/node-key-wrap.js';

function refusal(read: () => unknown): CertificateError {
  try {
    read();
  } catch (err) {
    if (err instanceof CertificateError) return err;
    throw err;
  }
  throw new Error('expected a CertificateError');
}

describe('wrapped node keys', () => {
  let keyPem: string;
  const kek = randomBytes(32);
  const otherKek = randomBytes(32);

  beforeAll(async () => {
    keyPem = await generateNodeKey();
  });

  it('leaves a key wrapped by no KEK as the plain PEM, and reads it back as such', () => {
    expect(wrapNodeKey(keyPem, [])).toBe(keyPem);
    expect(unwrapNodeKey(keyPem, null)).toEqual({ keyPem, wrappings: 0 });
    expect(unwrapNodeKey(keyPem, kek)).toEqual({ keyPem, wrappings: 0 });
  });

  it('gives back exactly the plain PEM with the KEK, and nothing of it without', () => {
    const wrapped = wrapNodeKey(keyPem, [kek]);
    expect(wrapped).toMatch(
      /^-----BEGIN FLOTILLA WRAPPED NODE KEY-----\n[A-Za-z0-9+/=\n]+-----END FLOTILLA WRAPPED NODE KEY-----\n$/,
    );
    expect(wrapped).not.toContain('PRIVATE KEY-----');
    const body = keyPem.split('\n').slice(1, -2).join('');
    expect(
      Buffer.from(wrapped.replace(/-----[^-]+-----|\n/g, ''), 'base64').includes(Buffer.from(body, 'base64')),
    ).toBe(false);
    expect(() => createPrivateKey({ key: wrapped, format: 'pem' })).toThrow();
    expect(unwrapNodeKey(wrapped, kek)).toEqual({ keyPem, wrappings: 1 });
    // A fresh nonce each time: two wrappings of one key differ.
    expect(wrapNodeKey(keyPem, [kek])).not.toBe(wrapped);
  });

  it('opens a key wrapped by two KEKs (mid-way through a change of unlock key) with either', () => {
    const wrapped = wrapNodeKey(keyPem, [kek, otherKek]);
    expect(unwrapNodeKey(wrapped, kek)).toEqual({ keyPem, wrappings: 2 });
    expect(unwrapNodeKey(wrapped, otherKek)).toEqual({ keyPem, wrappings: 2 });
    expect(refusal(() => unwrapNodeKey(wrapped, randomBytes(32))).code).toBe('CA_KEY_UNWRAP_FAILED');
  });

  it('says a wrapped key needs its KEK, and that another KEK does not open it', () => {
    const wrapped = wrapNodeKey(keyPem, [kek]);
    expect(refusal(() => unwrapNodeKey(wrapped, null))).toMatchObject({
      code: 'CA_KEY_WRAPPED',
      message: expect.stringMatching(/wrapped by the cluster's unlock key/) as unknown,
    });
    expect(refusal(() => unwrapNodeKey(wrapped, otherKek))).toMatchObject({
      code: 'CA_KEY_UNWRAP_FAILED',
      message: expect.stringMatching(/does not unwrap with the key given/) as unknown,
    });
  });

  it('refuses an altered byte as not opening, and a cut or mixed file as damaged', () => {
    const wrapped = wrapNodeKey(keyPem, [kek]);
    const body = wrapped.split('\n')[1]!;
    const flipped = body.slice(0, 20) + (body[20] === 'A' ? 'B' : 'A') + body.slice(21);
    expect(refusal(() => unwrapNodeKey(wrapped.replace(body, flipped), kek)).code).toBe(
      'CA_KEY_UNWRAP_FAILED',
    );
    const damaged = (text: string): string => {
      const err = refusal(() => unwrapNodeKey(text, kek));
      expect(err.code).toBe('CA_MALFORMED_KEY');
      return err.message;
    };
    expect(damaged(wrapped.slice(0, 60))).toMatch(/^the wrapped node key is damaged: no PEM block found/);
    const two = wrapNodeKey(keyPem, [kek, otherKek]);
    expect(damaged(two.slice(0, two.length - 60))).toMatch(/have no END line \(truncated\?\)/);
    expect(damaged(wrapped + keyPem)).toMatch(/holds a PRIVATE KEY PEM block too/);
    expect(
      damaged('-----BEGIN FLOTILLA WRAPPED NODE KEY-----\nAAAA\n-----END FLOTILLA WRAPPED NODE KEY-----\n'),
    ).toMatch(/too few for a sealed key/);
  });
});
