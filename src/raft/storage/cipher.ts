// Encryption at rest for the WAL and snapshots: the StorageCipher the disk storage seals entry and
// snapshot data with, and its AES-256-GCM implementation over a keyring of numbered keys (the data
// encryption keys; where they come from is the caller's business, see src/manager/keys).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StorageArgumentError } from './errors.js';

/**
 * Seals and opens the data of stored records. Every sealed payload is stored with the id of the
 * key that sealed it, so a storage can hold data of an older key while the keys rotate.
 */
export interface StorageCipher {
  /** The id of the key new data is sealed with (a u32). Read at every seal: it may change. */
  readonly keyId: number;
  /** Bytes seal() adds to its input; the same for every key. */
  readonly overhead: number;
  /**
   * Seals `plaintext` with the key `keyId`. `aad` is authenticated but not stored in the result:
   * the storage passes the record's plaintext header, so moving sealed data elsewhere fails to open.
   */
  seal(plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  hasKey(keyId: number): boolean;
  /** The plaintext, or null when `sealed` does not authenticate with that key and `aad`. */
  open(keyId: number, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

export interface CipherKey {
  /** A u32, stored next to everything the key seals. */
  id: number;
  /** 32 bytes. */
  key: Uint8Array;
}

export interface AesGcmKeys {
  /** Every key data on disk may still be sealed with; ids unique. */
  keys: readonly CipherKey[];
  /** The id of the key that seals new data. Default: the highest id. */
  sealWith?: number;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
/** Nonces drawn from the CSPRNG at once: a call costs ~10 µs whatever its size, a seal ~20 µs. */
const NONCE_POOL_BYTES = NONCE_BYTES * 341;

/**
 * AES-256-GCM, sealed layout: 12-byte random nonce | ciphertext | 16-byte tag. Random 96-bit nonces
 * bound a key to about 2^32 seals (NIST SP 800-38D), so rotate a key long before that.
 */
export class AesGcmCipher implements StorageCipher {
  readonly overhead = NONCE_BYTES + TAG_BYTES;
  private keys = new Map<number, Buffer>();
  private sealKeyId = 0;
  private sealKey: Buffer = Buffer.alloc(0);
  private noncePool: Buffer = Buffer.alloc(0);
  private noncePoolUsed = 0;

  constructor(keys: AesGcmKeys) {
    this.setKeys(keys);
  }

  get keyId(): number {
    return this.sealKeyId;
  }

  /** Replaces the keyring, as after a key rotation; seals in progress are synchronous and unaffected. */
  setKeys({ keys, sealWith }: AesGcmKeys): void {
    const ring = new Map<number, Buffer>();
    for (const { id, key } of keys) {
      if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
        throw new StorageArgumentError(`cipher key id must be a u32, got ${id}`);
      }
      if (key.length !== KEY_BYTES) {
        throw new StorageArgumentError(
          `cipher key ${id} has ${key.length} bytes, AES-256 needs ${KEY_BYTES}`,
        );
      }
      if (ring.has(id)) throw new StorageArgumentError(`cipher key id ${id} is given twice`);
      // A copy: the caller may zero or reuse its buffer.
      ring.set(id, Buffer.from(key));
    }
    const sealId = sealWith ?? Math.max(...ring.keys());
    const sealKey = ring.get(sealId);
    if (sealKey === undefined) {
      throw new StorageArgumentError(
        ring.size === 0 ? 'a cipher needs at least one key' : `no cipher key has id ${sealId}`,
      );
    }
    this.keys = ring;
    this.sealKeyId = sealId;
    this.sealKey = sealKey;
  }

  seal(plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const nonce = this.nextNonce();
    const cipher = createCipheriv(ALGORITHM, this.sealKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    const rest = cipher.final(); // empty for GCM, but the API allows bytes here
    return Buffer.concat([nonce, body, rest, cipher.getAuthTag()]);
  }

  /** A fresh random nonce: each pool is used once, front to back, then replaced. */
  private nextNonce(): Buffer {
    if (this.noncePoolUsed + NONCE_BYTES > this.noncePool.length) {
      this.noncePool = randomBytes(NONCE_POOL_BYTES);
      this.noncePoolUsed = 0;
    }
    const nonce = this.noncePool.subarray(this.noncePoolUsed, this.noncePoolUsed + NONCE_BYTES);
    this.noncePoolUsed += NONCE_BYTES;
    return nonce;
  }

  hasKey(keyId: number): boolean {
    return this.keys.has(keyId);
  }

  open(keyId: number, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
    const key = this.keys.get(keyId);
    if (key === undefined || sealed.length < this.overhead) return null;
    const tagAt = sealed.length - TAG_BYTES;
    const decipher = createDecipheriv(ALGORITHM, key, sealed.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(tagAt));
    const body = decipher.update(sealed.subarray(NONCE_BYTES, tagAt));
    let plaintext: Buffer;
    try {
      const rest = decipher.final();
      plaintext = rest.length === 0 ? body : Buffer.concat([body, rest]);
    } catch {
      // final() throws exactly when the tag does not verify: wrong key, or altered bytes or aad.
      return null;
    }
    // A plain Uint8Array, as data read without a cipher is: callers compare and copy it as such.
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length);
  }
}

export function aesGcmCipher(keys: AesGcmKeys): AesGcmCipher {
  return new AesGcmCipher(keys);
}
