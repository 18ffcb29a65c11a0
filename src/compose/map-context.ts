// What every part of the mapping shares: the project, the stack's name (and so the names of
// its objects), where problems go, and the files read before mapping began.

import { resolve as resolvePath } from 'node:path';
import { ValidationError, type Labels } from '../api/index.js';
import { STACK_NAMESPACE_LABEL } from './plan.js';
import type { ProblemSink } from './problems.js';
import { asDict, type ComposeProject, type FileObjectShape, type ServiceShape } from './project.js';

/** Where the API's fields come from in a compose service, to name the key a refused spec came from. */
const COMPOSE_KEYS: ReadonlyArray<[RegExp, string]> = [
  [/^spec\.name$/, ''],
  [/^spec\.taskTemplate\.containerSpec\.image$/, 'image'],
  [/^spec\.taskTemplate\.containerSpec\.env\b/, 'environment'],
  [/^spec\.taskTemplate\.containerSpec\.hostname$/, 'hostname'],
  [/^spec\.taskTemplate\.containerSpec\.dir$/, 'working_dir'],
  [/^spec\.taskTemplate\.containerSpec\.mounts\b/, 'volumes'],
  [/^spec\.taskTemplate\.containerSpec\.stopSignal$/, 'stop_signal'],
  [/^spec\.taskTemplate\.containerSpec\.(?:capabilityAdd|capabilityDrop)\b/, 'cap_add'],
  [/^spec\.taskTemplate\.containerSpec\.ulimits\b/, 'ulimits'],
  [/^spec\.taskTemplate\.containerSpec\.dnsConfig\b/, 'dns'],
  [/^spec\.taskTemplate\.containerSpec\.healthcheck\b/, 'healthcheck'],
  [/^spec\.taskTemplate\.containerSpec\.secrets\b/, 'secrets'],
  [/^spec\.taskTemplate\.containerSpec\.configs\b/, 'configs'],
  [/^spec\.taskTemplate\.placement\.constraints\[(\d+)\]/, 'deploy.placement.constraints[$1]'],
  [/^spec\.taskTemplate\.placement\.preferences\[(\d+)\]/, 'deploy.placement.preferences[$1]'],
  [/^spec\.taskTemplate\.placement\b/, 'deploy.placement'],
  [/^spec\.taskTemplate\.resources\b/, 'deploy.resources'],
  [/^spec\.taskTemplate\.logDriver\b/, 'logging'],
  [/^spec\.endpointSpec\b/, 'ports'],
  [/^spec\.mode\b/, 'deploy'],
];

function composeKeyOf(apiPath: string): string | undefined {
  for (const [pattern, key] of COMPOSE_KEYS) {
    const match = pattern.exec(apiPath);
    if (match !== null) return match[0].replace(pattern, key);
  }
  return undefined;
}

/** Files by absolute path: their bytes, or why they could not be read. */
export type FileContents = Map<string, Uint8Array | NodeJS.ErrnoException>;

export class MapContext {
  constructor(
    readonly project: ComposeProject,
    readonly stack: string,
    readonly sink: ProblemSink,
    readonly files: FileContents,
  ) {}

  /** docker/cli Namespace.Scope: `<stack>_<name>`. */
  scope(name: string): string {
    return `${this.stack}_${name}`;
  }

  /** The name of a secret or config object: its `name:`, its key when external, else scoped. */
  objectName(key: string, object: FileObjectShape): string {
    if (object.name !== undefined) return object.name;
    // An external object without a name is found under its key (loader.loadFileObjectConfig).
    if (isExternal(object))
      return typeof object.external === 'object' && object.external.name !== undefined
        ? object.external.name
        : key;
    return this.scope(key);
  }

  /** Bytes of a file the mapping needs, or an error at `path` saying why there are none. */
  file(path: string, relative: string, what: string): Uint8Array | undefined {
    const absolute = resolvePath(this.project.workingDir, relative);
    const data = this.files.get(absolute);
    if (data instanceof Uint8Array) return data;
    const reason =
      data?.code === 'ENOENT' ? 'does not exist' : `cannot be read (${data?.message ?? 'not read'})`;
    this.sink.error(path, `${what} ${relative} (${absolute}) ${reason}`);
    return undefined;
  }

  /** Runs an API validator, reporting its error at the compose path. */
  checked<T>(path: string, validate: () => T): T | undefined {
    try {
      return validate();
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const key = composeKeyOf(err.path);
      if (key === undefined) this.sink.error(path, `Flotilla refuses the result: ${err.message}`);
      else this.sink.error(key === '' ? path : `${path}.${key}`, `${err.rule} (${err.path})`);
      return undefined;
    }
  }
}

export function envFiles(service: ServiceShape): Array<{ path: string; required: boolean }> {
  const list =
    service.env_file === undefined
      ? []
      : typeof service.env_file === 'string'
        ? [service.env_file]
        : service.env_file;
  return list.map((entry) =>
    typeof entry === 'string'
      ? { path: entry, required: true }
      : { path: entry.path, required: entry.required ?? true },
  );
}

export function isExternal(object: { external?: boolean | { name?: string } } | null | undefined): boolean {
  return object?.external !== undefined && object.external !== false;
}

export function stringify(value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

export function labelsOf(value: ServiceShape['labels']): Labels {
  const out: Labels = {};
  for (const [key, v] of Object.entries(asDict(value))) out[key] = stringify(v);
  return out;
}

export function withStackLabel(stack: string, labels: Labels): Labels {
  return { ...labels, [STACK_NAMESPACE_LABEL]: stack };
}

export function mapStrings(value: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value ?? {}))
    out[key] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  return out;
}
