// Reading the indexed fields of an object, and the predicates of list and watch filters. The
// indexes narrow the candidates; these predicates decide, so a list never depends on which
// index was used.

import type {
  Kind,
  LabelSelector,
  ListFilter,
  OneOrMany,
  StoreEvent,
  StoredObject,
  WatchFilter,
} from './types.js';

export type TaskIndexField = 'serviceId' | 'nodeId' | 'desiredState';
export const TASK_INDEX_FIELDS: readonly TaskIndexField[] = ['serviceId', 'nodeId', 'desiredState'];

/** The object's unique name, if it has one (an empty name counts as none). */
export function nameOf(object: StoredObject): string | undefined {
  const name = object.spec?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export function labelsOf(object: StoredObject): Readonly<Record<string, string>> | undefined {
  return object.spec?.labels;
}

export function taskField(object: StoredObject, field: TaskIndexField): string | undefined {
  const value = object[field];
  return typeof value === 'string' ? value : undefined;
}

export function asList<T>(value: OneOrMany<T> | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

export function matchesLabels(object: StoredObject, selector: LabelSelector): boolean {
  const labels = labelsOf(object);
  for (const [key, wanted] of Object.entries(selector)) {
    const actual = labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
    if (actual === undefined || (wanted !== null && actual !== wanted)) return false;
  }
  return true;
}

export function matchesListFilter(kind: Kind, object: StoredObject, filter: ListFilter): boolean {
  const ids = asList(filter.ids);
  if (ids && !ids.some((prefix) => object.id.startsWith(prefix))) return false;
  const names = asList(filter.names);
  if (names) {
    const name = nameOf(object);
    if (name === undefined || !names.includes(name)) return false;
  }
  if (filter.labels && !matchesLabels(object, filter.labels)) return false;
  for (const field of TASK_INDEX_FIELDS) {
    const wanted = asList(filter[field]);
    if (!wanted) continue;
    const value = kind === 'task' ? taskField(object, field) : undefined;
    if (value === undefined || !wanted.includes(value)) return false;
  }
  return true;
}

export function matchesWatchFilter(event: StoreEvent, filter: WatchFilter): boolean {
  if (filter.kinds && !filter.kinds.includes(event.kind)) return false;
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.ids && !filter.ids.includes(event.object.id)) return false;
  if (filter.labels) {
    const selector = filter.labels;
    const matched =
      matchesLabels(event.object, selector) ||
      (event.previous !== undefined && matchesLabels(event.previous, selector));
    if (!matched) return false;
  }
  return true;
}
