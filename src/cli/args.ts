// The command-line parser: a table of flags per command, docker's conventions (long `--flag`,
// short `-f`, `--flag=value` or `--flag value`, repeatable flags, `--bool=false`, combined short
// booleans `-qf`), and options that stop at the first positional argument when a command takes a
// command line of its own (`service create IMAGE COMMAND ARG…`). Values are checked and
// converted here (integers, docker durations and byte sizes, CPUs), so a bad one is a usage
// error naming the flag before anything reaches a manager.

import { UsageError } from './errors.js';

export type FlagKind = 'bool' | 'string' | 'list' | 'int' | 'uint' | 'float' | 'duration' | 'bytes' | 'cpus';

export interface FlagDef {
  /** Long name without the dashes. */
  name: string;
  short?: string;
  kind: FlagKind;
  /** One line for --help. */
  help: string;
  /** The value's name in --help (`string`, `duration`, …). */
  value?: string;
}

export interface CommandDef {
  /** `service create`, `node ls`, … */
  path: string;
  /** What follows the command in the usage line: `[OPTIONS] IMAGE [COMMAND] [ARG...]`. */
  usage: string;
  summary: string;
  flags: FlagDef[];
  /** Positional arguments allowed: [min, max]; max Infinity for any number. */
  args: [number, number];
  /** Flags end at the first positional (the rest is the container's command line). */
  stopAtFirstPositional?: boolean;
}

export type FlagValue = boolean | string | number | string[];

/** The flags a command was given, converted to their kinds. */
export class ParsedFlags {
  constructor(private readonly values: Map<string, FlagValue>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  num(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  /** The names given, in no particular order (for "nothing to update" checks). */
  names(): string[] {
    return [...this.values.keys()];
  }
}

export interface Parsed {
  flags: ParsedFlags;
  args: string[];
  help: boolean;
}

/** Parses `argv` (what follows the command's name) against the command's flag table. */
export function parseCommandLine(def: CommandDef, argv: readonly string[]): Parsed {
  const byLong = new Map(def.flags.map((f) => [f.name, f]));
  const byShort = new Map(def.flags.filter((f) => f.short !== undefined).map((f) => [f.short!, f]));
  const values = new Map<string, FlagValue>();
  const args: string[] = [];
  let help = false;
  const set = (flag: FlagDef, raw: string | undefined, shown: string): void => {
    if (flag.kind === 'list') {
      const previous = values.get(flag.name);
      values.set(flag.name, [...(Array.isArray(previous) ? previous : []), raw ?? '']);
      return;
    }
    values.set(flag.name, convert(flag, raw, shown));
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const flag = byLong.get(name);
      if (!flag) throw new UsageError(`unknown flag: --${name}`, def.path);
      if (flag.kind === 'bool') {
        set(flag, eq < 0 ? 'true' : arg.slice(eq + 1), `--${name}`);
        continue;
      }
      let raw: string | undefined;
      if (eq >= 0) raw = arg.slice(eq + 1);
      else {
        raw = argv[i + 1];
        if (raw === undefined) throw new UsageError(`flag needs an argument: --${name}`, def.path);
        i++;
      }
      set(flag, raw, `--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // -q, -qf (booleans combined), -e FOO=1, -eFOO=1, -e=FOO=1.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const flag = byShort.get(letter);
        if (!flag) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`, def.path);
        if (flag.kind === 'bool') {
          if (arg[j + 1] === '=') {
            set(flag, arg.slice(j + 2), `-${letter}`);
            break;
          }
          set(flag, 'true', `-${letter}`);
          continue;
        }
        let raw: string | undefined = arg.slice(j + 1);
        if (raw.startsWith('=')) raw = raw.slice(1);
        if (raw === '') {
          raw = argv[i + 1];
          if (raw === undefined)
            throw new UsageError(`flag needs an argument: '${letter}' in -${letter}`, def.path);
          i++;
        }
        set(flag, raw, `-${letter}`);
        break;
      }
      continue;
    }
    args.push(arg);
    if (def.stopAtFirstPositional) {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  if (!help) {
    const [min, max] = def.args;
    if (args.length < min)
      throw new UsageError(
        `"flotilla ${def.path}" requires ${min === max ? 'exactly' : 'at least'} ${min} argument${min === 1 ? '' : 's'}`,
        def.path,
      );
    if (args.length > max)
      throw new UsageError(
        max === 0
          ? `"flotilla ${def.path}" accepts no arguments (got '${args[0]}')`
          : `"flotilla ${def.path}" accepts at most ${max} argument${max === 1 ? '' : 's'} (got ${args.length})`,
        def.path,
      );
  }
  return { flags: new ParsedFlags(values), args, help };
}

function convert(flag: FlagDef, raw: string | undefined, shown: string): FlagValue {
  const value = raw ?? '';
  const bad = (why: string): UsageError =>
    new UsageError(`invalid argument "${value}" for "${shown}" flag: ${why}`);
  switch (flag.kind) {
    case 'bool':
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw bad('must be true or false');
    case 'string':
      return value;
    case 'list':
      return [value];
    case 'int':
    case 'uint': {
      if (!/^[-+]?\d+$/.test(value)) throw bad('not an integer');
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw bad('out of range');
      if (flag.kind === 'uint' && n < 0) throw bad('must not be negative');
      return n;
    }
    case 'float': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw bad('not a number');
      return n;
    }
    case 'duration': {
      const ns = parseDuration(value);
      if (ns === null) throw bad('not a duration (e.g. 10s, 1m30s, 500ms)');
      return ns;
    }
    case 'bytes': {
      const n = parseBytes(value);
      if (n === null) throw bad('not a size (e.g. 512M, 1g, 1048576)');
      return n;
    }
    case 'cpus': {
      const n = parseCpus(value);
      if (n === null) throw bad('not a number of CPUs (e.g. 0.5, 2)');
      return n;
    }
  }
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Go's time.ParseDuration, as docker's duration flags take it (`10s`, `1m30s`, `1.5h`, `-1s` is
 * refused here): integer nanoseconds, or null when it is not a duration. A lone `0` is zero.
 */
export function parseDuration(text: string): number | null {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  if (text === '') return null;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return null;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    at = re.lastIndex;
  }
  const ns = Math.round(total);
  return Number.isFinite(ns) && ns < 2 ** 63 ? ns : null;
}

/** A duration as docker prints one (Go's Duration.String): `1m30s`, `500ms`, `0s`. */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trimZeros(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trimZeros(ns / 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const s = (ns % 60e9) / 1e9;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${trimZeros(s)}s`;
}

function trimZeros(n: number): string {
  return String(Number(n.toFixed(9)));
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * docker's RAMInBytes (go-units): `512M`, `1g`, `1.5GiB`, `100kb`, a plain number of bytes;
 * binary units, case-insensitive. Null when it is not a size.
 */
export function parseBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = m[2]!.toLowerCase();
  if (unit === '' && m[3] !== undefined && m[3].toLowerCase() === 'ib') return null;
  const n = Math.floor(Number(m[1]) * BYTE_UNITS[unit]!);
  return Number.isSafeInteger(n) ? n : null;
}

/** Bytes as docker prints memory (`512MiB`, `1GiB`, `100B`). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${trimZeros(Math.round(value * 100) / 100)}${units[i]}`;
}

/** `0.5` CPUs → 500000000 nano-CPUs (docker's NanoCPUs); null when not a positive decimal. */
export function parseCpus(text: string): number | null {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return null;
  const n = Math.round(Number(text) * 1e9);
  return Number.isSafeInteger(n) ? n : null;
}

/** The --help text of a command. */
export function commandHelp(def: CommandDef): string {
  const rows = def.flags.map((f) => {
    const names = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.kind === 'bool' ? '' : ` ${f.value ?? VALUE_NAMES[f.kind]}`}`;
    return [names, f.help] as const;
  });
  const width = Math.max(0, ...rows.map(([n]) => n.length)) + 3;
  const options =
    rows.length === 0 ? '' : `\nOptions:\n${rows.map(([n, h]) => `  ${n.padEnd(width)}${h}`).join('\n')}\n`;
  return `\nUsage:  flotilla ${def.path} ${def.usage}\n\n${def.summary}\n${options}`;
}

const VALUE_NAMES: Record<FlagKind, string> = {
  bool: '',
  string: 'string',
  list: 'list',
  int: 'int',
  uint: 'uint',
  float: 'float',
  duration: 'duration',
  bytes: 'bytes',
  cpus: 'decimal',
};
