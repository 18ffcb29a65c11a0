// Placement constraint expressions (`node.role==worker`, `node.labels.zone != eu`), parsed as
// SwarmKit's manager/constraint does: the first `==` (else `!=`) splits key from value, the key
// and value must match its character classes, and values compare case-insensitively.
//
// Stricter than SwarmKit on purpose: a key it does not know (a typo such as `node.label.x`)
// makes SwarmKit's scheduler match no node, silently; here it is an error at creation.

import { isIP } from 'node:net';
import { fail } from './checks.js';

export type ConstraintOperator = '==' | '!=';

/** What a constraint looks at on a node. */
export type ConstraintField =
  | 'node.id'
  | 'node.hostname'
  | 'node.ip'
  | 'node.role'
  | 'node.platform.os'
  | 'node.platform.arch'
  | 'node.labels'
  | 'engine.labels';

export interface Constraint {
  field: ConstraintField;
  /** For node.labels / engine.labels: the label name (case-sensitive). */
  label?: string;
  operator: ConstraintOperator;
  /** Trimmed; compared case-insensitively (node.ip: an address or a CIDR network). */
  value: string;
}

const KEY = /^[a-z_][a-z0-9\-_.]+$/i;
// SwarmKit's value pattern: no characters of present or future operators (<, >, ~, =, !).
const VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;
const PLAIN_FIELDS: readonly ConstraintField[] = [
  'node.id',
  'node.hostname',
  'node.ip',
  'node.role',
  'node.platform.os',
  'node.platform.arch',
];
const LABEL_PREFIXES = ['node.labels.', 'engine.labels.'] as const;
const KNOWN_KEYS = [...PLAIN_FIELDS, 'node.labels.<label>', 'engine.labels.<label>'].join(', ');

/** Parses one expression, or throws ValidationError at `path`. */
export function parseConstraint(expression: string, path = 'constraint'): Constraint {
  const operator: ConstraintOperator | undefined = expression.includes('==')
    ? '=='
    : expression.includes('!=')
      ? '!='
      : undefined;
  if (operator === undefined) fail(path, 'must be <key>==<value> or <key>!=<value>');
  const at = expression.indexOf(operator);
  const key = expression.slice(0, at).trim();
  const value = expression.slice(at + 2).trim();
  if (!KEY.test(key)) fail(path, `key ${JSON.stringify(key)} is invalid`);
  if (!VALUE.test(value)) fail(path, `value ${JSON.stringify(value)} is invalid`);

  const lowerKey = key.toLowerCase();
  for (const prefix of LABEL_PREFIXES) {
    if (lowerKey.startsWith(prefix) && key.length > prefix.length) {
      const field = prefix === 'node.labels.' ? 'node.labels' : 'engine.labels';
      return { field, label: key.slice(prefix.length), operator, value };
    }
  }
  const field = PLAIN_FIELDS.find((known) => known === lowerKey);
  if (field === undefined) fail(path, `unknown key ${JSON.stringify(key)} (known: ${KNOWN_KEYS})`);
  if (field === 'node.role' && !/^(manager|worker)$/i.test(value)) {
    fail(path, 'node.role must be compared with manager or worker');
  }
  if (field === 'node.ip' && !isAddressOrNetwork(value)) {
    fail(path, 'node.ip must be compared with an IP address or a CIDR network');
  }
  return { field, operator, value };
}

function isAddressOrNetwork(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return isIP(value) !== 0;
  const family = isIP(value.slice(0, slash));
  const bits = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
