// A worker's record of itself in its data directory (DATA_DIR/worker.json): its node id and the
// managers it last knew of, so a restarted worker reconnects as the same node without a token,
// and the addresses it was given (advertised, listened on), so it comes back where it was.
// Written atomically; the certificates beside it (certs/) are src/ca's.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isId } from '../api/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface WorkerState {
  format: 1;
  nodeId: string;
  /** host:port of every manager, the last known leader first. */
  managers: string[];
  /** The host other nodes reach this node at (its advertise address), when it was given one. */
  addr?: string;
  /** Where the node's routing mesh listens (the host of its listen address), when given. */
  listenHost?: string;
  /**
   * The port of its listen address, when given: where the node serves the manager role if the
   * cluster promotes it (on `listenHost`, advertised at `addr`).
   */
  managerPort?: number;
}

export const WORKER_STATE_FILE = 'worker.json';

/** The data directory holds no usable worker state. */
export class WorkerStateError extends Error {
  readonly code = 'WORKER_STATE';
  override readonly name = 'WorkerStateError';
}

export async function readWorkerState(dataDir: string): Promise<WorkerState | null> {
  const path = join(dataDir, WORKER_STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WorkerStateError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const o = (typeof value === 'object' && value !== null ? value : {}) as Partial<
    Record<keyof WorkerState, unknown>
  >;
  if (o.format !== 1) throw new WorkerStateError(`${path}: field format is missing or invalid`);
  if (!isId(o.nodeId)) throw new WorkerStateError(`${path}: field nodeId is missing or invalid`);
  if (!Array.isArray(o.managers) || !o.managers.every((m) => typeof m === 'string' && m !== ''))
    throw new WorkerStateError(`${path}: field managers must be a list of host:port`);
  for (const field of ['addr', 'listenHost'] as const)
    if (o[field] !== undefined && (typeof o[field] !== 'string' || o[field] === ''))
      throw new WorkerStateError(`${path}: field ${field} must be a host when present`);
  if (
    o.managerPort !== undefined &&
    (!Number.isInteger(o.managerPort) || (o.managerPort as number) < 1 || (o.managerPort as number) > 65535)
  )
    throw new WorkerStateError(`${path}: field managerPort must be a port (1-65535) when present`);
  return {
    format: 1,
    nodeId: o.nodeId,
    managers: o.managers as string[],
    ...(o.addr !== undefined ? { addr: o.addr as string } : {}),
    ...(o.listenHost !== undefined ? { listenHost: o.listenHost as string } : {}),
    ...(o.managerPort !== undefined ? { managerPort: o.managerPort as number } : {}),
  };
}

export async function writeWorkerState(dataDir: string, state: WorkerState): Promise<void> {
  await writeFileAtomic(join(dataDir, WORKER_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
}
