// The value syntaxes compose files share with the Docker CLI: Go durations (`1m30s`), byte sizes
// (`512m`, go-units RAMInBytes: binary multiples) and CPU amounts (`0.5`, opts.ParseCPUs).
// Each returns a number or a string saying what was wrong.

import { MAX_DURATION_EXCLUSIVE, type Nanoseconds } from '../api/index.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration: `300ms`, `1.5h`, `2h45m`, `0`; no negative durations in a compose file. */
export function parseDuration(text: string): Parsed<Nanoseconds> {
  const reason = `must be a duration such as 10s, 1m30s or 500ms (got ${JSON.stringify(text)})`;
  if (text === '0') return { ok: true, value: 0 };
  if (!/^(?:[0-9]*(?:\.[0-9]*)?[a-zµμ]+)+$/.test(text)) return { ok: false, reason };
  let total = 0;
  for (const match of text.matchAll(/([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)/g)) {
    const [, amount = '', unit = ''] = match;
    const scale = DURATION_UNITS[unit];
    if (scale === undefined || amount === '' || amount === '.') return { ok: false, reason };
    total += Number(amount) * scale;
  }
  const value = Math.round(total);
  if (value >= MAX_DURATION_EXCLUSIVE) return { ok: false, reason: 'is too long' };
  return { ok: true, value };
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** go-units RAMInBytes: `512m`, `1.5g`, `2GiB`, `100kb`; an integer is bytes. */
export function parseBytes(value: string | number): Parsed<number> {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0
      ? { ok: true, value }
      : { ok: false, reason: 'must be a non-negative whole number of bytes' };
  }
  const match = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (match === null) {
    return { ok: false, reason: `must be a size such as 512m, 1g or 1048576 (got ${JSON.stringify(value)})` };
  }
  const scale = SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1;
  return { ok: true, value: Math.trunc(Number(match[1]) * scale) };
}

/** docker/cli opts.ParseCPUs: a decimal number of CPUs to nano CPUs, refusing finer than 1e-9. */
export function parseCpus(value: string | number): Parsed<number> {
  const text = typeof value === 'number' ? String(value) : value;
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (match === null || text === '' || text === '.') {
    return { ok: false, reason: `must be a number of CPUs such as 0.5 or 2 (got ${JSON.stringify(text)})` };
  }
  const whole = match[1] ?? '';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 9) return { ok: false, reason: 'is too precise (at most 9 decimal places)' };
  const nano = Number(whole === '' ? 0 : whole) * 1e9 + Number(fraction.padEnd(9, '0'));
  if (!Number.isSafeInteger(nano)) return { ok: false, reason: 'is too large' };
  return { ok: true, value: nano };
}
