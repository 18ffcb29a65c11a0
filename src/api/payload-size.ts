// Bounds on untrusted input before it is read field by field: its size as JSON and its nesting
// depth. The walk stops as soon as a bound is crossed, so a huge or cyclic value costs no more
// than the limit to reject.

import { fail, isPlainObject, keyPath } from './checks.js';

/** The largest spec accepted (service, node, cluster; secret and config apart from their data). */
export const MAX_SPEC_BYTES = 512 * 1024;
/** Deeper than any spec of the object model (about 8 levels), shallow enough to stop cycles. */
export const MAX_DEPTH = 32;

/**
 * Throws ValidationError at `path` when `value` serialised as JSON would exceed `limit` bytes
 * (string escapes aside), or at the offending field when it nests deeper than MAX_DEPTH.
 * `skipKeys` leaves top-level fields out of the count (a secret's data has its own limit).
 */
export function checkPayloadSize(
  value: unknown,
  path: string,
  limit: number = MAX_SPEC_BYTES,
  skipKeys: readonly string[] = [],
): void {
  let total = 0;
  const add = (bytes: number): void => {
    total += bytes;
    if (total > limit) fail(path, `must be at most ${limit} bytes as JSON`);
  };

  const walk = (node: unknown, at: () => string, depth: number): void => {
    if (typeof node === 'string') return add(Buffer.byteLength(node, 'utf8') + 2);
    if (typeof node === 'number' || typeof node === 'boolean' || typeof node === 'bigint') {
      return add(String(node).length);
    }
    if (node instanceof Uint8Array) return add(Math.ceil(node.byteLength / 3) * 4 + 2);
    if (typeof node !== 'object' || node === null) return add(4);
    if (depth >= MAX_DEPTH) fail(at(), `must not nest deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(node)) {
      add(2);
      for (let i = 0; i < node.length; i++) {
        add(1);
        walk(node[i], () => `${at()}[${i}]`, depth + 1);
      }
      return;
    }
    add(2);
    // Anything else (Date, Map, class instances) is rejected by the validators by type.
    if (!isPlainObject(node)) return;
    // for…in rather than Object.entries: an object of a million keys is refused after a few thousand.
    for (const key in node) {
      if (!Object.hasOwn(node, key) || (depth === 0 && skipKeys.includes(key))) continue;
      add(Buffer.byteLength(key, 'utf8') + 4);
      walk(node[key], () => keyPath(at(), key), depth + 1);
    }
  };

  walk(value, () => path, 0);
}
