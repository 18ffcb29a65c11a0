// The building blocks of the validators: a Check turns an `unknown` value at a path into a typed
// value or throws ValidationError naming that path. The validators of each object family
// compose them; every object is read through Fields, which rejects unknown keys first.
//
// JSON `null` counts as absent for optional fields, as Go's encoding/json (and so Docker) reads it.

import { MAX_DURATION_EXCLUSIVE } from './durations.js';
import { ValidationError } from './errors.js';

export type Check<T> = (value: unknown, path: string) => T;

export function fail(path: string, rule: string): never {
  throw new ValidationError(path, rule);
}

export function fieldPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** A map key in a path: `labels.env`, or `labels["com.example.tier"]` when the key is not a plain word. */
export function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? fieldPath(parent, key) : `${parent}[${JSON.stringify(key)}]`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Drops keys whose value is undefined, so a validated spec carries only the fields it has. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

/** The fields of one input object, read by name; keys not in `known` were rejected on entry. */
export class Fields {
  private constructor(
    private readonly record: Readonly<Record<string, unknown>>,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string, known: readonly string[]): Fields {
    if (!isPlainObject(value)) fail(path, 'must be an object');
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) fail(keyPath(path, key), 'unknown field');
    }
    return new Fields(value, path);
  }

  at(key: string): string {
    return fieldPath(this.path, key);
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  raw(key: string): unknown {
    if (!Object.hasOwn(this.record, key)) return undefined;
    const value = this.record[key];
    return value === null ? undefined : value;
  }

  optional<T>(key: string, check: Check<T>): T | undefined {
    const value = this.raw(key);
    return value === undefined ? undefined : check(value, this.at(key));
  }

  required<T>(key: string, check: Check<T>): T {
    const value = this.raw(key);
    if (value === undefined) fail(this.at(key), 'required');
    return check(value, this.at(key));
  }
}

export interface StringRules {
  nonEmpty?: boolean;
  maxLength?: number;
  /** A pattern (or predicate) and the rule to report when the value does not satisfy it. */
  pattern?: readonly [RegExp | ((value: string) => boolean), string];
}

export function string(rules: StringRules = {}): Check<string> {
  return (value, path) => {
    if (typeof value !== 'string') fail(path, 'must be a string');
    if (rules.nonEmpty === true && value === '') fail(path, 'must not be empty');
    if (rules.maxLength !== undefined && value.length > rules.maxLength) {
      fail(path, `must be at most ${rules.maxLength} characters`);
    }
    if (rules.pattern !== undefined) {
      const [test, rule] = rules.pattern;
      if (!(test instanceof RegExp ? test.test(value) : test(value))) fail(path, rule);
    }
    return value;
  };
}

export const nonEmptyString: Check<string> = string({ nonEmpty: true });

export const boolean: Check<boolean> = (value, path) => {
  if (typeof value !== 'boolean') fail(path, 'must be a boolean');
  return value;
};

/** An integer in [min, max]; JS numbers are exact up to 2^53, which bounds every count here. */
export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): Check<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'must be an integer');
    if (value >= min && value <= max) return value;
    if (max !== Number.MAX_SAFE_INTEGER) fail(path, `must be between ${min} and ${max}`);
    fail(path, value < min ? `must be at least ${min}` : `must be at most ${max}`);
  };
}

export function number(min: number, max: number): Check<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'must be a number');
    if (value < min || value > max) fail(path, `must be between ${min} and ${max}`);
    return value;
  };
}

/** Integer nanoseconds, non-negative and below 2^63 (Go's time.Duration). */
export const duration: Check<number> = (value, path) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(path, 'must be a non-negative integer (nanoseconds)');
  }
  if (value >= MAX_DURATION_EXCLUSIVE) fail(path, 'must be less than 2^63 nanoseconds');
  return value;
};

export function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (value, path) => {
    if (typeof value !== 'string') fail(path, 'must be a string');
    if (!(values as readonly string[]).includes(value)) fail(path, `must be one of ${values.join(', ')}`);
    return value as T;
  };
}

export function arrayOf<T>(item: Check<T>): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, 'must be an array');
    const result: T[] = [];
    for (let i = 0; i < value.length; i++) result.push(item(value[i], `${path}[${i}]`));
    return result;
  };
}

export const stringArray: Check<string[]> = arrayOf(string());

/** A string-to-string map (labels, options). Keys must be non-empty. */
export function stringMap(keyRule?: readonly [RegExp, string]): Check<Record<string, string>> {
  return (value, path) => {
    if (!isPlainObject(value)) fail(path, 'must be an object of strings');
    const entries: Array<[string, string]> = [];
    for (const [key, entry] of Object.entries(value)) {
      const at = keyPath(path, key);
      if (key === '') fail(at, 'key must not be empty');
      if (keyRule !== undefined && !keyRule[0].test(key)) fail(at, keyRule[1]);
      if (typeof entry !== 'string') fail(at, 'must be a string');
      entries.push([key, entry]);
    }
    // fromEntries defines own properties, so a key such as "__proto__" stays plain data.
    return Object.fromEntries(entries);
  };
}

export const labels: Check<Record<string, string>> = stringMap();
