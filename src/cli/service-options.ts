// Docker's service option syntaxes, each turned into the object model's shape: `--mount`'s csv
// (`type=bind,source=/a,target=/b,readonly`), `--publish`'s short (`8080:80/udp`) and long
// (`published=8080,target=80,mode=host`) forms, `--secret`/`--config` (a name, or
// `source=,target=,uid=,gid=,mode=`), `--placement-pref spread=…`, `KEY=VALUE` lists, and shell
// words for `--entrypoint`/`--args`. Every malformed value is a UsageError naming the flag.

import type {
  BindPropagation,
  Mount,
  MountConsistency,
  MountType,
  PlacementPreference,
  PortConfig,
  PortProtocol,
  PublishMode,
} from '../client/index.js';
import { UsageError } from './errors.js';
import { parseBytes } from './args.js';

/** Splits `a=b,c=d` into pairs; a bare word is a key without a value. Quoted fields as csv. */
export function csvFields(text: string): Array<[string, string | undefined]> {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      if (quoted && text[i + 1] === '"') {
        current += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  fields.push(current);
  return fields
    .filter((f) => f.trim() !== '')
    .map((f) => {
      const eq = f.indexOf('=');
      return eq < 0
        ? [f.trim().toLowerCase(), undefined]
        : [f.slice(0, eq).trim().toLowerCase(), f.slice(eq + 1)];
    });
}

function boolField(flag: string, key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new UsageError(`invalid argument for "--${flag}" flag: ${key}=${value}: must be true or false`);
}

function required(flag: string, key: string, value: string | undefined): string {
  if (value === undefined || value === '')
    throw new UsageError(`invalid argument for "--${flag}" flag: ${key} needs a value`);
  return value;
}

function oneOf<T extends string>(flag: string, key: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(
      `invalid argument for "--${flag}" flag: ${key}=${value}: must be one of ${allowed.join(', ')}`,
    );
  return value as T;
}

function portNumber(flag: string, text: string, what: string, whole: string): number {
  const bad = (why: string): UsageError =>
    new UsageError(`invalid argument "${whole}" for "--${flag}" flag: ${what} ${why}`);
  if (!/^\d+$/.test(text)) throw bad('must be a port number');
  const n = Number(text);
  if (n < 1 || n > 65535) throw bad('must be between 1 and 65535');
  return n;
}

/** docker's `--mount`: type (volume by default), source, target, readonly and the per-type options. */
export function parseMount(text: string, flag = 'mount'): Mount {
  let type: MountType = 'volume';
  const mount: Partial<Mount> & Record<string, unknown> = {};
  const bind: NonNullable<Mount['bindOptions']> = {};
  const volume: NonNullable<Mount['volumeOptions']> = {};
  const tmpfs: NonNullable<Mount['tmpfsOptions']> = {};
  for (const [key, value] of csvFields(text)) {
    switch (key) {
      case 'type':
        type = oneOf(flag, key, required(flag, key, value), ['bind', 'volume', 'tmpfs'] as const);
        break;
      case 'source':
      case 'src':
        mount.source = required(flag, key, value);
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.target = required(flag, key, value);
        break;
      case 'readonly':
      case 'ro':
        mount.readOnly = boolField(flag, key, value);
        break;
      case 'consistency':
        mount.consistency = oneOf<MountConsistency>(flag, key, required(flag, key, value), [
          'default',
          'consistent',
          'cached',
          'delegated',
        ]);
        break;
      case 'bind-propagation':
        bind.propagation = oneOf<BindPropagation>(flag, key, required(flag, key, value), [
          'private',
          'rprivate',
          'shared',
          'rshared',
          'slave',
          'rslave',
        ]);
        break;
      case 'bind-nonrecursive':
        bind.nonRecursive = boolField(flag, key, value);
        break;
      case 'volume-nocopy':
        volume.noCopy = boolField(flag, key, value);
        break;
      case 'volume-label': {
        const [k, v] = splitKeyValue(required(flag, key, value));
        volume.labels = { ...volume.labels, [k]: v };
        break;
      }
      case 'volume-driver':
        volume.driverConfig = { ...volume.driverConfig, name: required(flag, key, value) };
        break;
      case 'volume-opt': {
        const [k, v] = splitKeyValue(required(flag, key, value));
        volume.driverConfig = {
          name: volume.driverConfig?.name ?? '',
          options: { ...volume.driverConfig?.options, [k]: v },
        };
        break;
      }
      case 'tmpfs-size': {
        const size = parseBytes(required(flag, key, value));
        if (size === null)
          throw new UsageError(`invalid argument for "--${flag}" flag: tmpfs-size=${value}: not a size`);
        tmpfs.sizeBytes = size;
        break;
      }
      case 'tmpfs-mode': {
        const v = required(flag, key, value);
        if (!/^[0-7]+$/.test(v))
          throw new UsageError(`invalid argument for "--${flag}" flag: tmpfs-mode=${v}: must be octal`);
        tmpfs.mode = parseInt(v, 8);
        break;
      }
      default:
        throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: unknown option '${key}'`);
    }
  }
  if (mount.target === undefined)
    throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: target is required`);
  const result: Mount = { type, target: mount.target };
  if (mount.source !== undefined) result.source = mount.source;
  if (mount.readOnly !== undefined) result.readOnly = mount.readOnly;
  if (mount.consistency !== undefined) result.consistency = mount.consistency;
  if (Object.keys(bind).length > 0) {
    if (type !== 'bind')
      throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: bind options need type=bind`);
    result.bindOptions = bind;
  }
  if (Object.keys(volume).length > 0) {
    if (type !== 'volume')
      throw new UsageError(
        `invalid argument "${text}" for "--${flag}" flag: volume options need type=volume`,
      );
    result.volumeOptions = volume;
  }
  if (Object.keys(tmpfs).length > 0) {
    if (type !== 'tmpfs')
      throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: tmpfs options need type=tmpfs`);
    result.tmpfsOptions = tmpfs;
  }
  return result;
}

/**
 * docker's `--publish`: `[published:]target[/protocol]` or
 * `published=8080,target=80,protocol=tcp,mode=ingress|host`.
 */
export function parsePublish(text: string, flag = 'publish'): PortConfig {
  if (text.includes('=')) {
    const port: Partial<PortConfig> = {};
    for (const [key, value] of csvFields(text)) {
      switch (key) {
        case 'published':
          port.publishedPort = portNumber(flag, required(flag, key, value), 'published', text);
          break;
        case 'target':
          port.targetPort = portNumber(flag, required(flag, key, value), 'target', text);
          break;
        case 'protocol':
          port.protocol = oneOf<PortProtocol>(flag, key, required(flag, key, value), ['tcp', 'udp', 'sctp']);
          break;
        case 'mode':
          port.publishMode = oneOf<PublishMode>(flag, key, required(flag, key, value), ['ingress', 'host']);
          break;
        case 'name':
          port.name = required(flag, key, value);
          break;
        default:
          throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: unknown option '${key}'`);
      }
    }
    if (port.targetPort === undefined)
      throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: target is required`);
    return port as PortConfig;
  }
  const m = /^(?:([^:]+):)?([^:/]+)(?:\/(\w+))?$/.exec(text);
  if (!m)
    throw new UsageError(
      `invalid argument "${text}" for "--${flag}" flag: expected [published:]target[/protocol]`,
    );
  const port: PortConfig = { targetPort: portNumber(flag, m[2]!, 'target', text) };
  if (m[1] !== undefined) port.publishedPort = portNumber(flag, m[1], 'published', text);
  if (m[3] !== undefined) port.protocol = oneOf<PortProtocol>(flag, 'protocol', m[3], ['tcp', 'udp', 'sctp']);
  return port;
}

/** What `--publish-rm` names: a target port, `published:target`, optionally with a protocol. */
export function publishMatcher(text: string, flag = 'publish-rm'): (p: PortConfig) => boolean {
  const wanted = parsePublish(text, flag);
  return (p) =>
    p.targetPort === wanted.targetPort &&
    (wanted.publishedPort === undefined || p.publishedPort === wanted.publishedPort) &&
    (wanted.protocol === undefined || (p.protocol ?? 'tcp') === wanted.protocol);
}

export interface FileReferenceOptions {
  source: string;
  target: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/**
 * `--secret`/`--config`: `NAME`, or `source=NAME,target=PATH,uid=0,gid=0,mode=0400`. A secret's
 * target defaults to its name (under /run/secrets), a config's to `/NAME`, as docker.
 */
export function parseFileReference(
  text: string,
  kind: 'secret' | 'config',
  flag: string = kind,
): FileReferenceOptions {
  const defaultTarget = (source: string): string => (kind === 'config' ? `/${source}` : source);
  if (!text.includes('=')) {
    if (text === '')
      throw new UsageError(`invalid argument for "--${flag}" flag: a ${kind} name is required`);
    return { source: text, target: defaultTarget(text) };
  }
  const ref: Partial<FileReferenceOptions> = {};
  for (const [key, value] of csvFields(text)) {
    switch (key) {
      case 'source':
      case 'src':
        ref.source = required(flag, key, value);
        break;
      case 'target':
        ref.target = required(flag, key, value);
        break;
      case 'uid':
      case 'gid': {
        const v = required(flag, key, value);
        if (!/^\d+$/.test(v))
          throw new UsageError(`invalid argument for "--${flag}" flag: ${key}=${v}: must be a number`);
        ref[key] = v;
        break;
      }
      case 'mode': {
        const v = required(flag, key, value);
        if (!/^[0-7]+$/.test(v))
          throw new UsageError(`invalid argument for "--${flag}" flag: mode=${v}: must be octal`);
        ref.mode = parseInt(v, 8);
        break;
      }
      default:
        throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: unknown option '${key}'`);
    }
  }
  if (ref.source === undefined)
    throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: source is required`);
  return { ...ref, source: ref.source, target: ref.target ?? defaultTarget(ref.source) };
}

/** `spread=node.labels.zone` → a placement preference. */
export function parsePlacementPref(text: string, flag = 'placement-pref'): PlacementPreference {
  const eq = text.indexOf('=');
  const strategy = eq < 0 ? text : text.slice(0, eq);
  if (strategy !== 'spread' || eq < 0 || text.slice(eq + 1) === '')
    throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: expected spread=<descriptor>`);
  return { spread: { spreadDescriptor: text.slice(eq + 1) } };
}

/** `KEY=VALUE` (or a bare `KEY`: an empty value, as docker's labels). */
export function splitKeyValue(text: string): [string, string] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** Labels from `-l KEY=VALUE` entries; a later key wins. */
export function labelsFrom(entries: readonly string[], flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const [k, v] = splitKeyValue(entry);
    if (k === '')
      throw new UsageError(`invalid argument "${entry}" for "--${flag}" flag: a label needs a key`);
    labels[k] = v;
  }
  return labels;
}

/** The key of an env entry (`A=1` → `A`, `A` → `A`). */
export function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Shell-like words: spaces separate, quotes group, backslash escapes (docker's shlex). */
export function shellWords(text: string, flag: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: unterminated quote`);
  if (inWord) words.push(current);
  return words;
}
