// Helpers for the object-model tests: a minimal valid spec to break one field at a time, and an
// assertion that a validator refused input with a given path and rule.

import { expect } from 'vitest';
import { ValidationError } from '../../../src/api/index.js';

type Json = Record<string, unknown>;

/** The smallest valid service spec. */
export function minimalService(): Json {
  return { name: 'web', taskTemplate: { containerSpec: { image: 'nginx' } } };
}

/**
 * A deep copy of `base` with the value at `path` (`taskTemplate.containerSpec.mounts[0].type`)
 * replaced, created along the way when missing; `undefined` deletes the field.
 */
export function withField(base: Json, path: string, value: unknown): Json {
  const copy = structuredClone(base);
  const keys = path.split(/\.|\[(\d+)\]/).filter((k): k is string => k !== undefined && k !== '');
  let node: Record<string, unknown> = copy;
  keys.slice(0, -1).forEach((key, i) => {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = /^\d+$/.test(keys[i + 1] ?? '') ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
  const last = keys[keys.length - 1] ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** Runs `validate` and asserts it threw ValidationError for `path` breaking `rule`. */
export function expectRejected(validate: () => unknown, path: string, rule: string): void {
  let caught: unknown;
  try {
    validate();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ValidationError at ${path}`).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect({ path: error.path, rule: error.rule }).toEqual({ path, rule });
  expect(error.message).toBe(`${path}: ${rule}`);
  expect(error.code).toBe('INVALID_ARGUMENT');
}
