// The one msgpack configuration the store uses for transactions and snapshots. Records (msgpackr's
// shared-structure extension) are off: they make the bytes depend on what was encoded before, and
// the store's bytes must depend only on the value (identical snapshots on every manager).

import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Encodes into a fresh buffer (msgpackr may otherwise return a view of a larger shared one). */
export function packValue(value: unknown): Uint8Array {
  return new Uint8Array(packr.pack(value));
}

/** Decodes msgpack bytes; throws whatever msgpackr throws on malformed input. */
export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes) as unknown;
}
