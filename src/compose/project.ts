// A compose project: the files of `stack deploy -c a.yml -c b.yml` loaded, validated against the
// Compose specification and merged in order (later files override earlier ones as docker/cli
// merges them), with the position of every key kept for messages. Its types are the compose
// file's own shapes after validation (numbers, durations in ns, sizes in bytes).

import type { Lookup } from './interpolate.js';
import { loadComposeFiles, type LoadedFile, type LoadOptions } from './load.js';
import { ProblemSink, type ComposeProblem, type SourcePosition } from './problems.js';
import { COMPOSE_FILE } from './schema.js';
import { isRecord, validateValue } from './validate.js';

export type ListOrDict = Record<string, string | number | boolean | null> | string[];
export type External = boolean | { name?: string };
export type Command = null | string | string[];

export interface UpdateConfigShape {
  parallelism?: number;
  delay?: number;
  failure_action?: 'continue' | 'pause' | 'rollback';
  monitor?: number;
  max_failure_ratio?: number;
  order?: 'start-first' | 'stop-first';
}

export interface DeployShape {
  mode?: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  endpoint_mode?: 'vip' | 'dnsrr';
  replicas?: number;
  labels?: ListOrDict;
  update_config?: UpdateConfigShape;
  rollback_config?: UpdateConfigShape;
  resources?: {
    limits?: { cpus?: number | string; memory?: number; pids?: number };
    reservations?: {
      cpus?: number | string;
      memory?: number;
      generic_resources?: Array<{ discrete_resource_spec?: { kind?: string; value?: number } }>;
    };
  };
  restart_policy?: {
    condition?: 'none' | 'on-failure' | 'any';
    delay?: number;
    max_attempts?: number;
    window?: number;
  };
  placement?: {
    constraints?: string[];
    preferences?: Array<{ spread: string }>;
    max_replicas_per_node?: number;
  };
}

export type PortShape =
  | number
  | string
  | {
      name?: string;
      mode?: 'host' | 'ingress';
      target: number;
      published?: number | string;
      protocol?: 'tcp' | 'udp' | 'sctp';
    };

export type VolumeMountShape =
  | string
  | {
      type: 'bind' | 'volume' | 'tmpfs' | 'cluster' | 'npipe' | 'image';
      source?: string;
      target?: string;
      read_only?: boolean;
      consistency?: string;
      bind?: { propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave' };
      volume?: { nocopy?: boolean };
      tmpfs?: { size?: number; mode?: number };
    };

export type FileReferenceShape =
  string | { source: string; target?: string; uid?: string | number; gid?: string | number; mode?: number };

export type DependsOnShape =
  | string[]
  | Record<
      string,
      {
        condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
        required?: boolean;
      }
    >;

export interface ServiceShape {
  build?: unknown;
  cap_add?: string[];
  cap_drop?: string[];
  command?: Command;
  configs?: FileReferenceShape[];
  depends_on?: DependsOnShape;
  deploy?: DeployShape | null;
  dns?: string | string[];
  dns_search?: string | string[];
  entrypoint?: Command;
  env_file?: string | Array<string | { path: string; required?: boolean; format?: string }>;
  environment?: ListOrDict;
  group_add?: Array<string | number>;
  healthcheck?: {
    disable?: boolean;
    interval?: number;
    retries?: number;
    test?: string | string[];
    timeout?: number;
    start_period?: number;
    start_interval?: number;
  };
  hostname?: string;
  image?: string;
  init?: boolean;
  labels?: ListOrDict;
  logging?: { driver?: string; options?: Record<string, string | number | boolean | null> };
  networks?: string[] | Record<string, null | { aliases?: string[]; driver_opts?: Record<string, unknown> }>;
  ports?: PortShape[];
  pull_policy?: string;
  read_only?: boolean;
  restart?: string;
  secrets?: FileReferenceShape[];
  stdin_open?: boolean;
  stop_grace_period?: number;
  stop_signal?: string;
  sysctls?: ListOrDict;
  tmpfs?: string | string[];
  tty?: boolean;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  user?: string;
  volumes?: VolumeMountShape[];
  working_dir?: string;
}

export interface NetworkShape {
  name?: string;
  driver?: string;
  external?: External;
  labels?: ListOrDict;
}

export interface VolumeShape {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string | number | boolean | null>;
  external?: External;
  labels?: ListOrDict;
}

export interface FileObjectShape {
  name?: string;
  file?: string;
  content?: string;
  environment?: string;
  external?: External;
  labels?: ListOrDict;
  driver?: string;
  driver_opts?: Record<string, string | number | boolean | null>;
  template_driver?: string;
}

export interface ComposeModel {
  services: Record<string, ServiceShape>;
  networks: Record<string, NetworkShape | null>;
  volumes: Record<string, VolumeShape | null>;
  secrets: Record<string, FileObjectShape>;
  configs: Record<string, FileObjectShape>;
}

/** A loaded project: the merged model, where each key came from, and what was found on the way. */
export interface ComposeProject {
  model: ComposeModel;
  /** Directory relative paths are resolved against (the first file's). */
  workingDir: string;
  /** Variables for value-less environment entries (as interpolation saw them). */
  lookup: Lookup;
  positionOf: (path: string) => SourcePosition | undefined;
  /** Problems so far (errors are empty when loadProject returned). */
  warnings: ComposeProblem[];
}

/**
 * Loads, validates and merges compose files. Throws ComposeError listing every error (with
 * file:line:col and key path); warnings are in the result.
 */
export async function loadProject(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<ComposeProject> {
  const loaded = await loadComposeFiles(paths, options);
  return projectFromFiles(loaded.files, loaded.workingDir, loaded.lookup, loaded.sink);
}

/** Validation and merging of already parsed files (unit tests build them from text). */
export function projectFromFiles(
  files: readonly LoadedFile[],
  workingDir: string,
  lookup: Lookup,
  sink: ProblemSink = new ProblemSink(),
): ComposeProject {
  const positions = new Map<string, SourcePosition>();
  let merged: Record<string, unknown> = {};
  for (const file of files) {
    const fileSink = sink.withPositions((path) => file.positions.get(path));
    if (!isRecord(file.value)) {
      fileSink.errors.push({
        severity: 'error',
        position: { file: file.file, line: 1, col: 1 },
        path: '',
        message: 'a compose file must be a mapping with a services key',
      });
      continue;
    }
    const checked = validateValue(file.value, COMPOSE_FILE, '', fileSink);
    if (!isRecord(checked)) continue;
    for (const [path, position] of file.positions) positions.set(path, position);
    merged = mergeTop(merged, checked);
  }
  const model: ComposeModel = {
    services: (merged.services ?? {}) as ComposeModel['services'],
    networks: (merged.networks ?? {}) as ComposeModel['networks'],
    volumes: (merged.volumes ?? {}) as ComposeModel['volumes'],
    secrets: (merged.secrets ?? {}) as ComposeModel['secrets'],
    configs: (merged.configs ?? {}) as ComposeModel['configs'],
  };
  const projectSink = sink.withPositions((path) => positions.get(path));
  if (files.length > 0 && Object.keys(model.services).length === 0 && sink.errors.length === 0) {
    projectSink.error('services', 'a stack needs at least one service');
  }
  projectSink.throwIfErrors();
  return {
    model,
    workingDir,
    lookup,
    positionOf: (path) => positions.get(path),
    warnings: sink.warnings,
  };
}

// ---- merging (docker/cli loader/merge.go, in spirit) -----------------------------------------

function mergeTop(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (key === 'services' && isRecord(value) && isRecord(out.services)) {
      const services: Record<string, unknown> = { ...out.services };
      for (const [name, service] of Object.entries(value)) {
        const current = services[name];
        services[name] = isRecord(current) && isRecord(service) ? mergeService(current, service) : service;
      }
      out.services = services;
    } else if (isRecord(value) && isRecord(out[key])) {
      out[key] = deepMerge(out[key], value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

const DICT_KEYS = new Set(['environment', 'labels', 'sysctls']);

function mergeService(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    if (DICT_KEYS.has(key)) out[key] = { ...asDict(current), ...asDict(value) };
    else if (key === 'ports' && Array.isArray(current) && Array.isArray(value))
      out[key] = uniqueBy([...(current as unknown[]), ...(value as unknown[])], (p) => JSON.stringify(p));
    else if (key === 'volumes' && Array.isArray(current) && Array.isArray(value))
      out[key] = mergeByKey(current, value, volumeTarget);
    else if ((key === 'secrets' || key === 'configs') && Array.isArray(current) && Array.isArray(value))
      out[key] = mergeByKey(current, value, referenceSource);
    else if (key === 'deploy' && isRecord(current) && isRecord(value)) {
      const deploy = deepMerge(current, value);
      if (current.labels !== undefined || value.labels !== undefined)
        deploy.labels = { ...asDict(current.labels), ...asDict(value.labels) };
      out[key] = deploy;
    } else if (isRecord(current) && isRecord(value)) out[key] = deepMerge(current, value);
    else out[key] = value;
  }
  return out;
}

function deepMerge(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** A list-or-dict value as a dict; `KEY` alone in a list maps to null (value from the environment). */
export function asDict(value: unknown): Record<string, string | number | boolean | null> {
  if (isRecord(value)) return value as Record<string, string | number | boolean | null>;
  const out: Record<string, string | null> = {};
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (typeof entry !== 'string') continue;
      const eq = entry.indexOf('=');
      if (eq === -1) out[entry] = null;
      else out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  }
  return out;
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) seen.set(key(item), item);
  return [...seen.values()];
}

function mergeByKey(base: unknown[], override: unknown[], key: (item: unknown) => string): unknown[] {
  const byKey = new Map<string, unknown>();
  for (const item of [...base, ...override]) byKey.set(key(item), item);
  return [...byKey.values()];
}

function volumeTarget(item: unknown): string {
  if (isRecord(item)) return typeof item.target === 'string' ? item.target : '';
  const parts = (typeof item === 'string' ? item : '').split(':');
  return parts.length === 1 ? (parts[0] ?? '') : (parts[1] ?? '');
}

function referenceSource(item: unknown): string {
  const source = isRecord(item) ? item.source : item;
  return typeof source === 'string' ? source : '';
}
