// The cluster's unlock key in Docker Swarm's text form, `SWMKEY-1-` then 32 random bytes in standard
// base64 without padding (Go's RawStdEncoding, as `docker swarm unlock-key` prints): with autolock
// it is the KEK that wraps each manager's data encryption keys, and it is never stored.

import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { KeyError } from './errors.js';

const PREFIX = 'SWMKEY-';
const VERSION = '1';
export const UNLOCK_KEY_BYTES = 32;
/** 32 bytes in base64 without the one '=' of padding. */
const ENCODED_LENGTH = 43;
const BASE64_CHAR = /[A-Za-z0-9+/]/;

export interface NewUnlockKeyOptions {
  /** Source of the key's bytes; tests inject a fixed one. Default: node:crypto randomBytes. */
  randomBytes?: (size: number) => Buffer;
}

export function newUnlockKey(options: NewUnlockKeyOptions = {}): string {
  const random = options.randomBytes ?? cryptoRandomBytes;
  return formatUnlockKey(random(UNLOCK_KEY_BYTES));
}

export function formatUnlockKey(key: Uint8Array): string {
  if (key.length !== UNLOCK_KEY_BYTES) {
    throw new KeyError(
      'KEYS_BAD_UNLOCK_KEY',
      `an unlock key holds ${UNLOCK_KEY_BYTES} bytes, not ${key.length}`,
    );
  }
  return `${PREFIX}${VERSION}-${Buffer.from(key).toString('base64').replace(/=+$/, '')}`;
}

/**
 * The key's 32 bytes. Surrounding whitespace (a pasted newline) is ignored; anything else that is
 * off throws KEYS_BAD_UNLOCK_KEY saying what, without echoing the key.
 */
export function parseUnlockKey(text: string): Buffer {
  const bad = (reason: string): KeyError =>
    new KeyError('KEYS_BAD_UNLOCK_KEY', `not a valid unlock key: ${reason}`);
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) throw bad(`an unlock key starts with ${PREFIX}${VERSION}-`);
  const versionEnd = trimmed.indexOf('-', PREFIX.length);
  if (versionEnd < 0) throw bad(`an unlock key starts with ${PREFIX}${VERSION}-`);
  const version = trimmed.slice(PREFIX.length, versionEnd);
  if (version !== VERSION) {
    throw bad(`version "${version.slice(0, 8)}" is not one this build reads (it reads version ${VERSION})`);
  }
  const encoded = trimmed.slice(versionEnd + 1);
  for (let i = 0; i < encoded.length; i++) {
    if (!BASE64_CHAR.test(encoded[i]!)) {
      const where = `character ${PREFIX.length + VERSION.length + 2 + i}`;
      throw bad(
        encoded[i] === '='
          ? `${where} is base64 padding, which unlock keys do not carry`
          : `${where} is not a base64 character (A-Z, a-z, 0-9, + or /)`,
      );
    }
  }
  if (encoded.length !== ENCODED_LENGTH) {
    throw bad(`it has ${encoded.length} characters after ${PREFIX}${VERSION}-, not ${ENCODED_LENGTH}`);
  }
  // 43 characters carry 258 bits: the last 2 are padding, ignored (as Go's non-strict decoder does).
  return Buffer.from(encoded, 'base64');
}
