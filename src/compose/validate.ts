// Checks one loaded compose file against the schema tables (schema.ts): unknown keys and wrong
// types are errors, keys Flotilla ignores or refuses are reported by name, and the values come
// back normalised — numbers from numeric strings, durations in nanoseconds, sizes in bytes —
// with everything that failed left out. Pure: problems go to the sink.

import { parseBytes, parseDuration } from './units.js';
import { childPath, type ProblemSink } from './problems.js';
import type { Field, ValueType } from './schema.js';

export function validateValue(value: unknown, type: ValueType, path: string, sink: ProblemSink): unknown {
  return new Validator(sink).check(value, type, path);
}

const INVALID = Symbol('invalid');
/** A checked value, or INVALID when the check failed (and said so). */
type Checked = unknown;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

function describe(type: ValueType): string {
  if (typeof type === 'string') {
    const names: Record<string, string> = {
      string: 'a string',
      integer: 'an integer',
      number: 'a number',
      boolean: 'a boolean',
      null: 'empty',
      scalar: 'a string, number or boolean',
      duration: 'a duration such as 10s',
      bytes: 'a size such as 512m',
      filemode: 'a file mode such as 0440',
      any: 'any value',
    };
    return names[type] ?? type;
  }
  if ('list' in type) return 'a list';
  if ('map' in type || 'object' in type) return 'a mapping';
  if ('enum' in type) return `one of ${type.enum.join(', ')}`;
  return type.oneOf.map(describe).join(' or ');
}

/** Whether a value's shape fits a type at first sight, to choose among the options of a oneOf. */
function fits(value: unknown, type: ValueType): boolean {
  const kind = kindOf(value);
  if (typeof type === 'string') {
    switch (type) {
      case 'any':
        return true;
      case 'null':
        return kind === 'null';
      case 'scalar':
        return kind !== 'list' && kind !== 'mapping';
      case 'string':
        return kind === 'string';
      case 'boolean':
        return kind === 'boolean' || value === 'true' || value === 'false';
      case 'integer':
        return (
          (kind === 'number' && Number.isInteger(value)) ||
          (kind === 'string' && /^-?\d+$/.test(value as string))
        );
      case 'number':
      case 'bytes':
      case 'filemode':
        return kind === 'number' || kind === 'string';
      case 'duration':
        return kind === 'string' || kind === 'number';
    }
  }
  if ('list' in type) return kind === 'list';
  if ('map' in type || 'object' in type) return kind === 'mapping';
  if ('enum' in type) return kind === 'string';
  return type.oneOf.some((option) => fits(value, option));
}

class Validator {
  constructor(private readonly sink: ProblemSink) {}

  check(value: unknown, type: ValueType, path: string): Checked {
    if (typeof type === 'string') return this.scalar(value, type, path);
    if ('oneOf' in type) {
      const option = type.oneOf.find((o) => fits(value, o));
      if (option === undefined) return this.fail(path, `must be ${describe(type)}`);
      return this.check(value, option, path);
    }
    if ('enum' in type) {
      if (typeof value !== 'string' || !type.enum.includes(value)) {
        return this.fail(path, `must be one of ${type.enum.join(', ')} (got ${JSON.stringify(value)})`);
      }
      return value;
    }
    if ('list' in type) {
      if (!Array.isArray(value)) return this.fail(path, 'must be a list');
      const out: unknown[] = [];
      value.forEach((item, i) => {
        const checked = this.check(item, type.list, childPath(path, i));
        if (checked !== INVALID) out.push(checked);
      });
      return out;
    }
    if ('map' in type) {
      if (!isRecord(value)) return this.fail(path, 'must be a mapping');
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const at = childPath(path, key);
        if (type.keys !== undefined && !type.keys.test(key)) {
          this.fail(at, `name must match ${type.keys.source}`);
          continue;
        }
        const checked = this.check(item, type.map, at);
        if (checked !== INVALID) out[key] = checked;
      }
      return out;
    }
    return this.object(value, type.object, type.required ?? [], path);
  }

  private object(
    value: unknown,
    fields: Readonly<Record<string, Field>>,
    required: readonly string[],
    path: string,
  ): Checked {
    if (!isRecord(value)) return this.fail(path, 'must be a mapping');
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const at = childPath(path, key);
      if (key.startsWith('x-')) continue;
      const field = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
      if (field === undefined) {
        this.fail(at, 'unknown key (not in the Compose specification)');
        continue;
      }
      if (field.support === 'refused') {
        this.fail(at, `not supported for stacks: ${field.note ?? ''}`.replace(/: $/, ''));
        continue;
      }
      if (field.support === 'ignored') {
        this.sink.warn(at, `ignored: ${field.note ?? 'Flotilla does not support it'}`);
        continue;
      }
      const checked = this.check(item, field.type, at);
      if (checked !== INVALID) out[key] = checked;
    }
    for (const key of required) {
      if (!(key in value)) this.fail(childPath(path, key), 'required');
    }
    return out;
  }

  private scalar(value: unknown, type: Exclude<ValueType, object>, path: string): Checked {
    switch (type) {
      case 'any':
        return value;
      case 'null':
        return value === null ? null : this.fail(path, 'must be empty');
      case 'scalar':
        return fits(value, 'scalar') ? value : this.fail(path, 'must be a string, number or boolean');
      case 'string':
        return typeof value === 'string' ? value : this.fail(path, `must be a string (got ${kindOf(value)})`);
      case 'boolean':
        if (typeof value === 'boolean') return value;
        if (value === 'true' || value === 'false') return value === 'true';
        return this.fail(path, 'must be true or false');
      case 'integer':
        if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
        if (typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)))
          return Number(value);
        return this.fail(path, 'must be an integer');
      case 'number':
        if (typeof value === 'number' && Number.isFinite(value)) return value;
        if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
          return Number(value);
        return this.fail(path, 'must be a number');
      case 'duration': {
        if (typeof value !== 'string')
          return this.fail(path, 'must be a duration string such as 10s or 1m30s');
        const parsed = parseDuration(value);
        return parsed.ok ? parsed.value : this.fail(path, parsed.reason);
      }
      case 'bytes': {
        if (typeof value !== 'string' && typeof value !== 'number')
          return this.fail(path, 'must be a size such as 512m');
        const parsed = parseBytes(value);
        return parsed.ok ? parsed.value : this.fail(path, parsed.reason);
      }
      case 'filemode': {
        if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0o7777)
          return value;
        if (typeof value === 'string' && /^0?[0-7]{1,4}$/.test(value)) return parseInt(value, 8);
        return this.fail(path, 'must be a file mode such as 0440');
      }
    }
  }

  private fail(path: string, message: string): typeof INVALID {
    this.sink.error(path, message);
    return INVALID;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
