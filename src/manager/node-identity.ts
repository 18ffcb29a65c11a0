// A manager's identity in its data directory (DATA_DIR/node.json): its node id, role, addresses
// and cluster id. Written once at init/join, atomically (temp file + fsync + rename + directory
// fsync), and read back on every restart so the manager rejoins as the same Raft member.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isId } from '../api/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface NodeIdentity {
  format: 1;
  id: string;
  /**
   * 'worker' once the cluster removed this manager from the Raft membership (demoted, or a join
   * that never caught up): the node keeps its id, and its Raft data is gone.
   */
  role: 'manager' | 'worker';
  /** host:port the gRPC server binds. */
  listenAddr: string;
  /** host:port the other managers reach this one at (its Raft address). */
  advertiseAddr: string;
  clusterId: string;
  /**
   * The members a joining manager was told of: where to answer the leader if it restarts before
   * it received any of the log (afterwards the log's membership carries the addresses).
   */
  peers?: Record<string, string>;
}

export const IDENTITY_FILE = 'node.json';

/** The data directory holds no usable identity (or one that does not parse). */
export class IdentityError extends Error {
  readonly code = 'MANAGER_IDENTITY';
  override readonly name = 'IdentityError';
}

export function identityPath(dataDir: string): string {
  return join(dataDir, IDENTITY_FILE);
}

/** The identity stored in `dataDir`, or null when there is none. */
export async function readIdentity(dataDir: string): Promise<NodeIdentity | null> {
  let text: string;
  try {
    text = await readFile(identityPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseIdentity(text, identityPath(dataDir));
}

/** The one validator for node.json: bytes from the disk become a NodeIdentity here. */
export function parseIdentity(text: string, where = IDENTITY_FILE): NodeIdentity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new IdentityError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  const o = value as Partial<Record<keyof NodeIdentity, unknown>>;
  const bad = (field: string): never => {
    throw new IdentityError(`${where}: field ${field} is missing or invalid`);
  };
  if (typeof value !== 'object' || value === null) bad('(root)');
  if (o.format !== 1) bad('format');
  if (!isId(o.id)) bad('id');
  if (o.role !== 'manager' && o.role !== 'worker') bad('role');
  if (typeof o.listenAddr !== 'string' || o.listenAddr === '') bad('listenAddr');
  if (typeof o.advertiseAddr !== 'string' || o.advertiseAddr === '') bad('advertiseAddr');
  if (!isId(o.clusterId)) bad('clusterId');
  if (
    o.peers !== undefined &&
    (typeof o.peers !== 'object' ||
      o.peers === null ||
      !Object.values(o.peers).every((a) => typeof a === 'string'))
  )
    bad('peers');
  return o as NodeIdentity;
}

/** Writes node.json atomically: readers see the old file or the whole new one, never a part. */
export async function writeIdentity(dataDir: string, identity: NodeIdentity): Promise<void> {
  await writeFileAtomic(identityPath(dataDir), JSON.stringify(identity, null, 2) + '\n');
}
