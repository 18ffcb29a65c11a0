// The store's snapshot format: every table in a fixed kind order, each in its (deterministic)
// insertion order, with the version the state is at. Two managers that applied the same entries
// write byte-identical snapshots. Decoding checks everything the store relies on.

import { packValue, unpackValue } from './codec.js';
import { InvalidSnapshotError } from './errors.js';
import { isPlainObject, isVersion, objectProblem } from './transaction.js';
import { KINDS, type Kind, type StoredObject } from './types.js';

export const SNAPSHOT_FORMAT = 'flotilla.store/1';

export interface StoreSnapshot {
  /** The Raft index of the last transaction reflected in the tables. */
  version: number;
  tables: Record<Kind, StoredObject[]>;
}

export function encodeStoreSnapshot(snapshot: StoreSnapshot): Uint8Array {
  const tables: Record<string, StoredObject[]> = {};
  for (const kind of KINDS) tables[kind] = snapshot.tables[kind];
  return packValue({ format: SNAPSHOT_FORMAT, version: snapshot.version, tables });
}

/** Throws InvalidSnapshotError. Objects are returned as decoded (not frozen). */
export function decodeStoreSnapshot(bytes: Uint8Array): StoreSnapshot {
  let value: unknown;
  try {
    value = unpackValue(bytes);
  } catch (err) {
    throw new InvalidSnapshotError(`not msgpack (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isPlainObject(value)) throw new InvalidSnapshotError('not an object');
  if (value.format !== SNAPSHOT_FORMAT)
    throw new InvalidSnapshotError(`unknown format ${JSON.stringify(value.format)}`);
  const { version, tables } = value;
  if (!isVersion(version)) throw new InvalidSnapshotError('version must be a non-negative integer');
  if (!isPlainObject(tables)) throw new InvalidSnapshotError('tables must be an object');
  const checked = {} as Record<Kind, StoredObject[]>;
  for (const kind of KINDS) {
    const objects = tables[kind];
    if (!Array.isArray(objects)) throw new InvalidSnapshotError(`table ${kind} must be an array`);
    objects.forEach((object: unknown, i) => {
      const problem = objectProblem(kind, object) ?? metaProblem(object, version);
      if (problem !== undefined) throw new InvalidSnapshotError(`${kind} ${i}: ${problem}`);
    });
    checked[kind] = objects as StoredObject[];
  }
  return { version, tables: checked };
}

function metaProblem(object: unknown, snapshotVersion: number): string | undefined {
  const meta = (object as { meta?: unknown }).meta;
  if (!isPlainObject(meta)) return 'meta must be an object';
  const version = meta.version;
  if (!isPlainObject(version) || !isVersion(version.index) || version.index > snapshotVersion)
    return 'meta.version.index must be an integer no greater than the snapshot version';
  if (typeof meta.createdAt !== 'string' || typeof meta.updatedAt !== 'string')
    return 'meta.createdAt and meta.updatedAt must be strings';
  return undefined;
}
