// The shapes the store keeps: kinds, the fields every stored object carries (id, meta), and the
// type map through which src/api plugs in its own object types. The store itself only looks at
// id, meta, spec.name, spec.labels and, for tasks, serviceId / nodeId / desiredState.

export const KINDS = ['node', 'service', 'task', 'secret', 'config', 'cluster'] as const;
export type Kind = (typeof KINDS)[number];

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

export interface ObjectVersion {
  /** The Raft index of the object's last write. */
  index: number;
}

export interface ObjectMeta {
  version: ObjectVersion;
  /** ISO-8601 timestamps stamped by the proposer of the transaction, never by an applier. */
  createdAt: string;
  updatedAt: string;
}

/** The part of a spec the store indexes: names are unique per kind, labels are searchable. */
export interface IndexedSpec {
  name?: string;
  labels?: Record<string, string>;
}

/** A stored object as the store sees it: anything with an id and meta. */
export interface StoredObject {
  id: string;
  meta: ObjectMeta;
  spec?: IndexedSpec;
  [field: string]: unknown;
}

/** The task fields the store indexes (Docker's Task: ServiceID, NodeID, DesiredState, Slot). */
export interface StoredTask extends StoredObject {
  serviceId?: string;
  nodeId?: string;
  desiredState?: string;
  slot?: number;
}

/** The least every object type must have, so that src/api's interfaces fit without casts. */
export interface ObjectShape {
  id: string;
  meta: ObjectMeta;
}

/** The object type stored for each kind. */
export type ObjectTypes = { [K in Kind]: ObjectShape };

/** The untyped default: good for tests and for code that does not know src/api. */
export interface DefaultObjectTypes {
  node: StoredObject;
  service: StoredObject;
  task: StoredTask;
  secret: StoredObject;
  config: StoredObject;
  cluster: StoredObject;
}

/**
 * What reads hand out: stored objects are deep-frozen and shared, never copied. To change one,
 * copy it (`structuredClone`) and propose the copy.
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<DeepReadonly<U>>
    : T extends object
      ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
      : T;

/** Which label values match: a string matches that value exactly; null matches any value. */
export type LabelSelector = Readonly<Record<string, string | null>>;

/** A condition on one field: one value or any of several. */
export type OneOrMany<T> = T | readonly T[];

/** List filters; criteria combine with AND, the values of one criterion with OR (as Docker's). */
export interface ListFilter {
  /** Id prefixes. */
  ids?: OneOrMany<string>;
  /** Exact names (spec.name). */
  names?: OneOrMany<string>;
  labels?: LabelSelector;
  /** Tasks only: objects without the field never match. */
  serviceId?: OneOrMany<string>;
  nodeId?: OneOrMany<string>;
  desiredState?: OneOrMany<string>;
}

export type EventType = 'create' | 'update' | 'delete';

/** One change, in commit order. `object` is the object after the change (before it, for a delete). */
export interface StoreEvent<O = StoredObject> {
  /** The Raft index of the transaction that made the change. */
  version: number;
  kind: Kind;
  type: EventType;
  object: O;
  /** For an update, the object before it. */
  previous?: O;
}

export interface WatchFilter {
  kinds?: readonly Kind[];
  /** Exact ids. */
  ids?: readonly string[];
  /** An update matches if the object matched before or after it (so a label removal is seen). */
  labels?: LabelSelector;
  types?: readonly EventType[];
}
