// Shared builders for the store tests: operations, transactions, and a driver that applies them
// to a MemoryStore at increasing Raft indexes.

import { MemoryStore, type MemoryStoreOptions } from '../../../../src/manager/store/memory-store.js';
import type {
  Operation,
  Transaction,
  TransactionResult,
  WireObject,
} from '../../../../src/manager/store/transaction.js';
import type { Kind } from '../../../../src/manager/store/types.js';
export { waitUntil } from '../../../support/wait.js';

export const T0 = '2030-01-01T00:00:00.000Z';

export const create = (kind: Kind, object: WireObject): Operation => ({ op: 'create', kind, object });
export const update = (kind: Kind, object: WireObject, expectedVersion?: number): Operation =>
  expectedVersion === undefined
    ? { op: 'update', kind, object }
    : { op: 'update', kind, object, expectedVersion };
export const remove = (kind: Kind, id: string, expectedVersion?: number): Operation =>
  expectedVersion === undefined ? { op: 'delete', kind, id } : { op: 'delete', kind, id, expectedVersion };

export function service(id: string, name: string, labels?: Record<string, string>): WireObject {
  return { id, spec: labels ? { name, labels } : { name } };
}

export function task(
  id: string,
  fields: { serviceId?: string; nodeId?: string; desiredState?: string; slot?: number } = {},
): WireObject {
  return { id, ...fields, status: { state: 'NEW' } };
}

export function node(id: string, name: string, labels?: Record<string, string>): WireObject {
  return { id, spec: labels ? { name, role: 'worker', labels } : { name, role: 'worker' } };
}

/** Applies transactions to a MemoryStore at indexes 1, 2, 3, … (or wherever told). */
export class Driver {
  readonly store: MemoryStore;
  index = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.store = new MemoryStore(options);
  }

  apply(ops: Operation[], at = T0): TransactionResult {
    const tx: Transaction = { at, ops: structuredClone(ops) };
    return this.store.applyTransaction(tx, ++this.index);
  }

  /** Applies and fails the test if the transaction is refused. */
  ok(ops: Operation[], at = T0): TransactionResult & { ok: true } {
    const result = this.apply(ops, at);
    if (!result.ok) throw new Error(`transaction refused: ${JSON.stringify(result.error)}`);
    return result;
  }
}

/** A small seeded PRNG (mulberry32), so randomized tests replay from their seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
