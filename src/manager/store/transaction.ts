// The transaction format: a batch of creates, updates, patches and deletes that becomes one Raft
// entry and is applied all-or-nothing on every manager. The proposer stamps `at`, so every manager writes the
// same timestamps. Bytes from the log are checked here before the store acts on them.

import { packValue, unpackValue } from './codec.js';
import { InvalidTransactionError, type TransactionErrorData } from './errors.js';
import { isKind, type Kind, type StoredObject } from './types.js';

/** An object as it travels in a transaction: meta, if present, is replaced by the applier. */
export interface WireObject {
  id: string;
  [field: string]: unknown;
}

export type Operation =
  | { op: 'create'; kind: Kind; object: WireObject }
  /** Replaces the whole object. Without expectedVersion the write is unconditional. */
  | { op: 'update'; kind: Kind; object: WireObject; expectedVersion?: number }
  /**
   * Replaces the given top-level fields of the object and keeps the rest: what a controller
   * changing a task's status writes, at a fraction of a whole object's bytes in the log, on the
   * wire and to decode on every manager. With expectedVersion it writes exactly what the update
   * of the merged object would.
   */
  | { op: 'patch'; kind: Kind; id: string; fields: PatchFields; expectedVersion?: number }
  | { op: 'delete'; kind: Kind; id: string; expectedVersion?: number };

/** A patch's fields: top-level fields of the object other than id and meta, none undefined. */
export type PatchFields = Record<string, unknown>;

export interface Transaction {
  /** ISO-8601 time of the proposal: becomes createdAt / updatedAt of what it writes. */
  at: string;
  ops: Operation[];
}

/** What applying a transaction returned; the same on every manager. */
export type TransactionResult =
  /** One object per operation, in order: after the create/update, before the delete. */
  { ok: true; objects: StoredObject[] } | { ok: false; error: TransactionErrorData };

export const MAX_ID_LENGTH = 128;

/**
 * How many operations the leader's controllers pack into one transaction (one Raft entry): a
 * thousand tasks are about 0.5 MB, a third of Raft's proposal limit (a larger one is split).
 * Fewer, larger entries matter when a service of 10,000 replicas is created: each entry is one
 * round of fsync and replication, and one round of every loop reacting to it.
 */
export const CONTROLLER_OPS_PER_TRANSACTION = 1000;

export function encodeTransaction(tx: Transaction): Uint8Array {
  return packValue(checkTransaction(tx));
}

/** Decodes and checks a transaction from the log; throws InvalidTransactionError. */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  let value: unknown;
  try {
    value = unpackValue(bytes);
  } catch (err) {
    throw new InvalidTransactionError(`not msgpack (${err instanceof Error ? err.message : String(err)})`);
  }
  return checkTransaction(value);
}

/** Narrows an untrusted value to a Transaction, or throws InvalidTransactionError. */
export function checkTransaction(value: unknown): Transaction {
  if (!isPlainObject(value)) throw new InvalidTransactionError('not an object');
  const { at, ops } = value;
  if (typeof at !== 'string' || at === '')
    throw new InvalidTransactionError('`at` must be a timestamp string');
  if (!Array.isArray(ops)) throw new InvalidTransactionError('`ops` must be an array');
  ops.forEach((op: unknown, i) => checkOperation(op, i));
  return value as unknown as Transaction;
}

function checkOperation(op: unknown, i: number): void {
  const fail = (reason: string): never => {
    throw new InvalidTransactionError(reason, i);
  };
  if (!isPlainObject(op)) return fail('not an object');
  if (!isKind(op.kind)) return fail(`unknown kind ${JSON.stringify(op.kind)}`);
  if (op.expectedVersion !== undefined && !isVersion(op.expectedVersion))
    fail('expectedVersion must be a non-negative integer');
  if (op.op === 'create' || op.op === 'update') {
    const problem = objectProblem(op.kind, op.object);
    if (problem !== undefined) fail(problem);
    if (op.op === 'create' && op.expectedVersion !== undefined) fail('a create has no expectedVersion');
  } else if (op.op === 'patch') {
    if (!isId(op.id)) fail(`id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    const problem = patchProblem(op.kind, op.fields);
    if (problem !== undefined) fail(problem);
  } else if (op.op === 'delete') {
    if (!isId(op.id)) fail(`id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  } else {
    fail(`unknown operation ${JSON.stringify(op.op)}`);
  }
}

/**
 * What is wrong with the fields the store relies on (id, spec.name, spec.labels, the task index
 * fields), or undefined. The rest of the object is the API layer's business.
 */
export function objectProblem(kind: Kind, object: unknown): string | undefined {
  if (!isPlainObject(object)) return 'object must be an object';
  if (!isId(object.id)) return `object.id must be a string of 1 to ${MAX_ID_LENGTH} characters`;
  return fieldsProblem(kind, object);
}

/** objectProblem for the fields other than id. */
function fieldsProblem(kind: Kind, object: Record<string, unknown>): string | undefined {
  const spec = object.spec;
  if (spec !== undefined) {
    if (!isPlainObject(spec)) return 'spec must be an object';
    if (spec.name !== undefined && typeof spec.name !== 'string') return 'spec.name must be a string';
    const labels = spec.labels;
    if (labels !== undefined) {
      if (!isPlainObject(labels)) return 'spec.labels must be an object';
      for (const [key, value] of Object.entries(labels))
        if (typeof value !== 'string') return `label ${JSON.stringify(key)} must have a string value`;
    }
  }
  if (kind === 'task') {
    for (const field of ['serviceId', 'nodeId', 'desiredState'] as const)
      if (object[field] !== undefined && typeof object[field] !== 'string')
        return `${field} must be a string`;
  }
  return undefined;
}

/** What is wrong with a patch's fields (as objectProblem for the fields it sets), or undefined. */
function patchProblem(kind: Kind, fields: unknown): string | undefined {
  if (!isPlainObject(fields)) return 'fields must be an object';
  for (const [field, value] of Object.entries(fields)) {
    if (field === 'id' || field === 'meta') return `a patch cannot set ${field}`;
    if (value === undefined)
      return `fields.${field} is undefined (a patch sets fields, it does not remove them)`;
  }
  return fieldsProblem(kind, fields);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

export function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
