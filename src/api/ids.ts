// Object ids: 25 random characters of [0-9a-z], the shape of Docker's swarm ids (SwarmKit's
// identity.NewID: 128 random bits in base 36). Each character takes one random byte by
// rejection sampling, so every character is uniform: 25 * log2(36) ≈ 129 bits.

import { randomFillSync } from 'node:crypto';

export const ID_LENGTH = 25;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 36 not above 256: bytes at or above it would favour low digits. */
const ACCEPT_BELOW = 256 - (256 % ALPHABET.length);
const ID_PATTERN = /^[0-9a-z]{25}$/;

/** A source of random bytes; injected in deterministic tests, the system's CSPRNG otherwise. */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * Bytes from the system's CSPRNG, drawn a few kilobytes at a time: a call into it for each id
 * cost about 12 µs, most of the leader's time spent naming 10,000 new tasks.
 */
const pool = new Uint8Array(4096);
let poolUsed = pool.length;

function pooledRandomBytes(size: number): Uint8Array {
  if (size > pool.length) return randomFillSync(new Uint8Array(size));
  if (poolUsed + size > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  // A copy: the pool is refilled later, and a caller may keep what it was given.
  const bytes = pool.slice(poolUsed, poolUsed + size);
  poolUsed += size;
  return bytes;
}

export function newId(randomBytes: RandomBytes = pooledRandomBytes): string {
  let id = '';
  // 252 of 256 bytes are accepted, so one draw of a few spare bytes nearly always suffices.
  while (id.length < ID_LENGTH) {
    const bytes = randomBytes(ID_LENGTH + 7);
    if (bytes.length === 0) throw new Error('newId: the random source returned no bytes');
    for (const byte of bytes) {
      if (byte >= ACCEPT_BELOW) continue;
      id += ALPHABET.charAt(byte % ALPHABET.length);
      if (id.length === ID_LENGTH) break;
    }
  }
  return id;
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
