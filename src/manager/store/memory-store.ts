// The store without Raft: one table per kind, the secondary indexes, the watch log, and the
// deterministic, all-or-nothing application of transactions at a given Raft index. Every manager
// holds one; the Raft log decides what is applied to it and in which order.

import { InvalidSnapshotError, type TransactionErrorData } from './errors.js';
import { asList, matchesListFilter, nameOf, TASK_INDEX_FIELDS } from './filters.js';
import { StoreIndexes } from './indexes.js';
import { decodeStoreSnapshot, encodeStoreSnapshot } from './snapshot.js';
import type { Transaction, TransactionResult, WireObject } from './transaction.js';
import {
  KINDS,
  type Kind,
  type ListFilter,
  type ObjectMeta,
  type StoreEvent,
  type StoredObject,
  type WatchFilter,
} from './types.js';
import { EventLog, type EventLogOptions, type Watch, type WatchOptions } from './watch.js';

export type MemoryStoreOptions = EventLogOptions;

type Tables = Map<Kind, Map<string, StoredObject>>;

/** A change decided while validating a transaction, applied only if every operation is valid. */
interface Change {
  kind: Kind;
  type: StoreEvent['type'];
  before?: StoredObject;
  after?: StoredObject;
}

export class MemoryStore {
  private tables: Tables = emptyTables();
  private indexes = new StoreIndexes();
  /** Per kind, its ids in order (see idsInOrder); absent after the set of ids changed. */
  private readonly sortedIds = new Map<Kind, string[]>();
  private readonly events: EventLog;
  private appliedVersion = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.events = new EventLog(options);
  }

  /** The Raft index of the last transaction applied (or restored). */
  get version(): number {
    return this.appliedVersion;
  }

  // ---- Writes -------------------------------------------------------------------------------

  /**
   * Applies `tx` as the Raft entry at `index`, all or nothing: every operation is checked against
   * the state left by the ones before it, and only if all pass is anything written. Refusals are
   * returned as data (they are the same on every manager). Takes ownership of the objects in `tx`
   * (they are frozen and stored as they are).
   */
  applyTransaction(tx: Transaction, index: number): TransactionResult {
    if (!Number.isSafeInteger(index) || index <= this.appliedVersion)
      throw new Error(`store: entry ${index} applied after ${this.appliedVersion} (out of order)`);
    const staged = this.stage(tx, index);
    this.appliedVersion = index;
    if ('code' in staged) {
      this.events.append(index, []);
      return { ok: false, error: staged };
    }
    const events: StoreEvent[] = [];
    const objects: StoredObject[] = [];
    for (const change of staged) {
      const table = this.tables.get(change.kind)!;
      if (change.before) this.indexes.remove(change.kind, change.before);
      if (change.type !== 'update') this.sortedIds.delete(change.kind);
      if (change.after) {
        table.set(change.after.id, change.after);
        this.indexes.add(change.kind, change.after);
      } else {
        table.delete(change.before!.id);
      }
      const object = (change.after ?? change.before)!;
      objects.push(object);
      const event: StoreEvent = { version: index, kind: change.kind, type: change.type, object };
      if (change.type === 'update') event.previous = change.before;
      events.push(Object.freeze(event));
    }
    this.events.append(index, events);
    return { ok: true, objects };
  }

  /** Validates every operation against the state as the earlier ones leave it; writes nothing. */
  private stage(tx: Transaction, index: number): Change[] | TransactionErrorData {
    // Objects and names as the transaction has changed them so far (null: deleted / freed).
    const objects = new Map<string, StoredObject | null>();
    const names = new Map<string, string | null>();
    const key = (kind: Kind, s: string): string => `${kind}\u0000${s}`;
    const lookup = (kind: Kind, id: string): StoredObject | undefined => {
      const staged = objects.get(key(kind, id));
      return staged === undefined ? this.tables.get(kind)!.get(id) : (staged ?? undefined);
    };
    const nameOwner = (kind: Kind, name: string): string | undefined => {
      const staged = names.get(key(kind, name));
      return staged === undefined ? this.indexes.nameOwner(kind, name) : (staged ?? undefined);
    };
    const changes: Change[] = [];
    for (const [opIndex, op] of tx.ops.entries()) {
      const { kind } = op;
      const id = op.op === 'delete' || op.op === 'patch' ? op.id : op.object.id;
      const current = lookup(kind, id);
      if (op.op === 'create' && current) return { code: 'ALREADY_EXISTS', kind, id, opIndex };
      if (op.op !== 'create') {
        if (!current) return { code: 'NOT_FOUND', kind, id, opIndex };
        const version = current.meta.version.index;
        if (op.expectedVersion !== undefined && op.expectedVersion !== version)
          return {
            code: 'VERSION_CONFLICT',
            kind,
            id,
            expected: op.expectedVersion,
            current: version,
            opIndex,
          };
      }
      const meta = { version: { index }, createdAt: current?.meta.createdAt ?? tx.at, updatedAt: tx.at };
      const after =
        op.op === 'delete'
          ? undefined
          : // A patched object shares its unchanged fields with the one it replaces (frozen already).
            stamp(op.op === 'patch' ? { ...current!, ...op.fields, id } : op.object, meta);
      const oldName = current && nameOf(current);
      const newName = after && nameOf(after);
      if (newName !== undefined && newName !== oldName) {
        const existingId = nameOwner(kind, newName);
        if (existingId !== undefined && existingId !== id)
          return { code: 'ALREADY_EXISTS', kind, id, name: newName, existingId, opIndex };
      }
      if (oldName !== undefined && oldName !== newName) names.set(key(kind, oldName), null);
      if (newName !== undefined) names.set(key(kind, newName), id);
      objects.set(key(kind, id), after ?? null);
      changes.push({ kind, type: op.op === 'patch' ? 'update' : op.op, before: current, after });
    }
    return changes;
  }

  // ---- Reads (local; the objects are frozen and shared) -------------------------------------

  get(kind: Kind, id: string): StoredObject | undefined {
    return this.tables.get(kind)!.get(id);
  }

  getByName(kind: Kind, name: string): StoredObject | undefined {
    const id = this.indexes.nameOwner(kind, name);
    return id === undefined ? undefined : this.get(kind, id);
  }

  /** The objects of `kind` that match `filter`, in id order. */
  list(kind: Kind, filter: ListFilter = {}): StoredObject[] {
    const table = this.tables.get(kind)!;
    const candidates = this.candidates(kind, filter);
    if (candidates === undefined) {
      const found: StoredObject[] = [];
      for (const id of this.idsInOrder(kind)) {
        const object = table.get(id)!;
        if (matchesListFilter(kind, object, filter)) found.push(object);
      }
      return found;
    }
    const ids: string[] = [];
    for (const id of candidates) {
      const object = table.get(id);
      if (object && matchesListFilter(kind, object, filter)) ids.push(id);
    }
    // Strings sort by UTF-16 code units by default, the order `<` gives.
    return ids.sort().map((id) => table.get(id)!);
  }

  /**
   * Every id of `kind`, sorted; rebuilt only after a create or delete. Sorting ids rather than the
   * objects matters: a comparator reading `.id` from 10,000 objects of varied shapes costs
   * several times the default sort of their ids.
   */
  private idsInOrder(kind: Kind): readonly string[] {
    let ids = this.sortedIds.get(kind);
    if (!ids) {
      ids = [...this.tables.get(kind)!.keys()].sort();
      this.sortedIds.set(kind, ids);
    }
    return ids;
  }

  count(kind: Kind): number {
    return this.tables.get(kind)!.size;
  }

  /** Changes in commit order; see EventLog.watch. Throws CompactedError. */
  watch(filter: WatchFilter = {}, options: WatchOptions = {}): Watch {
    return this.events.watch(filter, options);
  }

  /** The oldest version a watch can resume from. */
  get oldestWatchableVersion(): number {
    return this.events.oldestVersion;
  }

  /**
   * The smallest set of ids an index gives for the filter (every candidate is still checked
   * against the whole filter), or undefined when no index applies.
   */
  private candidates(kind: Kind, filter: ListFilter): Iterable<string> | undefined {
    const sets: Array<{ size: number; ids: Iterable<string> }> = [];
    const names = asList(filter.names);
    if (names) {
      const ids = names.map((n) => this.indexes.nameOwner(kind, n)).filter((id) => id !== undefined);
      sets.push({ size: ids.length, ids });
    }
    for (const [labelKey, value] of Object.entries(filter.labels ?? {})) {
      const ids = this.indexes.withLabel(kind, labelKey, value);
      sets.push({ size: ids.size, ids });
    }
    if (kind === 'task') {
      for (const field of TASK_INDEX_FIELDS) {
        const values = asList(filter[field]);
        if (!values) continue;
        const perValue = values.map((v) => this.indexes.tasksWith(field, v));
        const size = perValue.reduce((n, s) => n + s.size, 0);
        sets.push({
          size,
          ids: perValue.length === 1 ? perValue[0]! : new Set(perValue.flatMap((s) => [...s])),
        });
      }
    }
    let best: { size: number; ids: Iterable<string> } | undefined;
    for (const set of sets) if (!best || set.size < best.size) best = set;
    return best?.ids;
  }

  // ---- Snapshots ----------------------------------------------------------------------------

  /** The whole state as bytes; identical on every manager at the same version. */
  snapshot(): Uint8Array {
    const tables = {} as Record<Kind, StoredObject[]>;
    for (const kind of KINDS) tables[kind] = [...this.tables.get(kind)!.values()];
    return encodeStoreSnapshot({ version: this.appliedVersion, tables });
  }

  /**
   * Replaces the whole state with a snapshot's (throws InvalidSnapshotError and keeps the current
   * state if it is malformed). Open watches end with CompactedError: they missed the changes the
   * snapshot jumped over.
   */
  restore(bytes: Uint8Array): void {
    const snapshot = decodeStoreSnapshot(bytes);
    const tables = emptyTables();
    const indexes = new StoreIndexes();
    for (const kind of KINDS) {
      const table = tables.get(kind)!;
      for (const object of snapshot.tables[kind]) {
        if (table.has(object.id)) throw new InvalidSnapshotError(`${kind} ${object.id} appears twice`);
        const name = nameOf(object);
        if (name !== undefined && indexes.nameOwner(kind, name) !== undefined)
          throw new InvalidSnapshotError(`two ${kind} objects are named "${name}"`);
        deepFreeze(object);
        table.set(object.id, object);
        indexes.add(kind, object);
      }
    }
    this.tables = tables;
    this.indexes = indexes;
    this.sortedIds.clear();
    this.appliedVersion = snapshot.version;
    this.events.reset(snapshot.version);
  }
}

function emptyTables(): Tables {
  return new Map(KINDS.map((kind) => [kind, new Map<string, StoredObject>()]));
}

/** The stored form of a written object: its fields as given, with the store's meta. */
function stamp(object: WireObject, meta: ObjectMeta): StoredObject {
  return deepFreeze({ ...object, meta });
}

/**
 * Freezes a value and everything reachable from it. Byte arrays cannot be frozen (the language
 * forbids it); they are shared as they are and must be treated as read-only.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value))
    return value;
  Object.freeze(value);
  for (const field of Object.values(value)) deepFreeze(field);
  return value;
}
