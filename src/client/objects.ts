// What the client sends and receives besides the gRPC messages themselves: specs as JSON bytes,
// filters in the wire's shape, and objects read back from JSON. Objects come from a manager's
// store, where every one was validated by src/api on its way in, so only their envelope (an
// object with an id and a version) is checked here; config data turns from base64 back to bytes.

import { ValidationError } from '../api/index.js';
import type { Cluster, Config, Node, Secret, Service, Task, TaskState } from '../api/index.js';
import type { LabelMatch } from '../generated/flotilla/control/v1/LabelMatch.js';
import type { ListFilter as WireListFilter } from '../generated/flotilla/control/v1/ListFilter.js';
import { ControlError } from '../manager/control/index.js';
import type { EventType, Kind } from '../manager/store/index.js';

/** The object type of each kind, as the client returns it. */
export interface ObjectsByKind {
  service: Service;
  task: Task;
  node: Node;
  /** `spec.data` is never present: a secret's value is not readable through the API. */
  secret: Secret;
  config: Config;
  cluster: Cluster;
}

/** Label conditions: `key: value` matches that value, `key: null` any value. */
export type LabelFilter = Record<string, string | null>;

/** List filters; criteria combine with AND, the values of one criterion with OR. */
export interface ListFilter {
  names?: string | string[];
  idPrefixes?: string | string[];
  labels?: LabelFilter;
}

export interface TaskFilter extends ListFilter {
  /** Services by id or name. */
  services?: string | string[];
  /** Nodes by id or name. */
  nodes?: string | string[];
  desiredStates?: TaskState | TaskState[];
}

export interface WatchFilter {
  kinds?: Kind[];
  ids?: string[];
  labels?: LabelFilter;
  types?: EventType[];
}

export type WatchEvent = {
  [K in Kind]: {
    /** The Raft index of the change: resume a watch from it. */
    version: number;
    kind: K;
    type: EventType;
    /** The object after the change (before it, for a delete). */
    object: ObjectsByKind[K];
    /** For an update: the object before it. */
    previous?: ObjectsByKind[K];
  };
}[Kind];

const many = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export function labelMatches(labels: LabelFilter | undefined): LabelMatch[] {
  return Object.entries(labels ?? {}).map(([key, value]) => (value === null ? { key } : { key, value }));
}

export function wireListFilter(filter: TaskFilter = {}): WireListFilter {
  return {
    names: many(filter.names),
    idPrefixes: many(filter.idPrefixes),
    labels: labelMatches(filter.labels),
    serviceIds: many(filter.services),
    nodeIds: many(filter.nodes),
    desiredStates: many(filter.desiredStates),
  };
}

/** A spec as the JSON the API takes; values JSON cannot carry are refused before sending. */
export function specJson(spec: unknown): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(spec);
  } catch (err) {
    throw new ValidationError(
      'spec',
      `must be JSON-serialisable (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (text === undefined) throw new ValidationError('spec', 'required');
  return Buffer.from(text, 'utf8');
}

/** Text as UTF-8, bytes as they are. */
export function dataBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** An object from the manager's JSON. */
export function decodeObject<K extends Kind>(kind: K, json: Uint8Array): ObjectsByKind[K] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch {
    throw new ControlError('INTERNAL', `the manager sent a ${kind} that is not JSON`);
  }
  if (
    !isRecord(value) ||
    typeof value.id !== 'string' ||
    !isRecord(value.meta) ||
    !isRecord(value.meta.version)
  )
    throw new ControlError('INTERNAL', `the manager sent a ${kind} without an id and a version`);
  if (kind === 'config' && isRecord(value.spec) && typeof value.spec.data === 'string')
    value.spec.data = Uint8Array.from(Buffer.from(value.spec.data, 'base64'));
  return value as unknown as ObjectsByKind[K];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
