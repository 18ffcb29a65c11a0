// The secondary indexes over the tables: names (unique per kind), labels (every kind), and the
// task fields the controllers look tasks up by (service, node, desired state). Kept in step with
// the tables by MemoryStore: an update is a remove of the old object and an add of the new one.

import { labelsOf, nameOf, taskField, TASK_INDEX_FIELDS, type TaskIndexField } from './filters.js';
import type { Kind, StoredObject } from './types.js';

const EMPTY: ReadonlySet<string> = new Set();

/** key → ids of the objects with that key. */
class MultiIndex {
  private readonly idsByKey = new Map<string, Set<string>>();

  add(key: string, id: string): void {
    let ids = this.idsByKey.get(key);
    if (!ids) this.idsByKey.set(key, (ids = new Set()));
    ids.add(id);
  }

  remove(key: string, id: string): void {
    const ids = this.idsByKey.get(key);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.idsByKey.delete(key);
  }

  get(key: string): ReadonlySet<string> {
    return this.idsByKey.get(key) ?? EMPTY;
  }

  /** Every id under some key, one set per key (for "has the key, any value"). */
  all(): IterableIterator<ReadonlySet<string>> {
    return this.idsByKey.values();
  }

  keyCount(): number {
    return this.idsByKey.size;
  }
}

export class StoreIndexes {
  private readonly idByName = new Map<Kind, Map<string, string>>();
  /** kind → label key → label value → ids. */
  private readonly idsByLabel = new Map<Kind, Map<string, MultiIndex>>();
  private readonly tasksBy: Record<TaskIndexField, MultiIndex> = {
    serviceId: new MultiIndex(),
    nodeId: new MultiIndex(),
    desiredState: new MultiIndex(),
  };

  /** Adds an object whose name (if any) is free; the caller checked it (nameOwner). */
  add(kind: Kind, object: StoredObject): void {
    const name = nameOf(object);
    if (name !== undefined) {
      let names = this.idByName.get(kind);
      if (!names) this.idByName.set(kind, (names = new Map<string, string>()));
      names.set(name, object.id);
    }
    const labels = labelsOf(object);
    if (labels) {
      let byKey = this.idsByLabel.get(kind);
      if (!byKey) this.idsByLabel.set(kind, (byKey = new Map<string, MultiIndex>()));
      for (const [key, value] of Object.entries(labels)) {
        let byValue = byKey.get(key);
        if (!byValue) byKey.set(key, (byValue = new MultiIndex()));
        byValue.add(value, object.id);
      }
    }
    if (kind === 'task') {
      for (const field of TASK_INDEX_FIELDS) {
        const value = taskField(object, field);
        if (value !== undefined) this.tasksBy[field].add(value, object.id);
      }
    }
  }

  /** Removes an object exactly as it was added (pass the stored object, not a newer one). */
  remove(kind: Kind, object: StoredObject): void {
    const name = nameOf(object);
    const names = this.idByName.get(kind);
    if (name !== undefined && names?.get(name) === object.id) names.delete(name);
    const labels = labelsOf(object);
    const byKey = this.idsByLabel.get(kind);
    if (labels && byKey) {
      for (const [key, value] of Object.entries(labels)) {
        const byValue = byKey.get(key);
        if (!byValue) continue;
        byValue.remove(value, object.id);
        if (byValue.keyCount() === 0) byKey.delete(key);
      }
    }
    if (kind === 'task') {
      for (const field of TASK_INDEX_FIELDS) {
        const value = taskField(object, field);
        if (value !== undefined) this.tasksBy[field].remove(value, object.id);
      }
    }
  }

  /** The id of the object of this kind that has the name. */
  nameOwner(kind: Kind, name: string): string | undefined {
    return this.idByName.get(kind)?.get(name);
  }

  /** Ids with label `key` equal to `value`, or with the key at all when `value` is null. */
  withLabel(kind: Kind, key: string, value: string | null): ReadonlySet<string> {
    const byValue = this.idsByLabel.get(kind)?.get(key);
    if (!byValue) return EMPTY;
    if (value !== null) return byValue.get(value);
    const ids = new Set<string>();
    for (const set of byValue.all()) for (const id of set) ids.add(id);
    return ids;
  }

  /** Tasks whose field (serviceId, nodeId, desiredState) equals `value`. */
  tasksWith(field: TaskIndexField, value: string): ReadonlySet<string> {
    return this.tasksBy[field].get(value);
  }
}
