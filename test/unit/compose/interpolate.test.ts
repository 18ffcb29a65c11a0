import { describe, expect, it } from 'vitest';
import { interpolate, InterpolationError, parseEnvFile } from './imports.js';

const env: Record<string, string> = { NAME: 'web', EMPTY: '', PORT: '8080' };
const lookup = (name: string): string | undefined => env[name];
const sub = (text: string): string => interpolate(text, lookup).value;

describe('interpolation', () => {
  it('substitutes $VAR and ${VAR}', () => {
    expect(sub('$NAME-${PORT}')).toBe('web-8080');
    expect(sub('a${NAME}b')).toBe('awebb');
  });

  it('turns $$ into a literal dollar and leaves the rest alone', () => {
    expect(sub('^/(sys|proc)($$|/)')).toBe('^/(sys|proc)($|/)');
    expect(sub('$${NAME}')).toBe('${NAME}');
  });

  it('uses :- defaults for unset and empty variables, - defaults for unset ones only', () => {
    expect(sub('${MISSING:-admin}')).toBe('admin');
    expect(sub('${EMPTY:-admin}')).toBe('admin');
    expect(sub('${EMPTY-admin}')).toBe('');
    expect(sub('${MISSING-admin}')).toBe('admin');
    expect(sub('${NAME:-admin}')).toBe('web');
  });

  it('substitutes inside defaults', () => {
    expect(sub('${MISSING:-${NAME}:${PORT}}')).toBe('web:8080');
  });

  it('replaces set variables with :+ and +', () => {
    expect(sub('${NAME:+on}')).toBe('on');
    expect(sub('${EMPTY:+on}')).toBe('');
    expect(sub('${EMPTY+on}')).toBe('on');
    expect(sub('${MISSING+on}')).toBe('');
  });

  it('refuses with :? when unset or empty and with ? when unset, naming the variable and message', () => {
    expect(() => sub('${MISSING:?give a password}')).toThrow(
      'required variable MISSING is missing: give a password',
    );
    expect(() => sub('${EMPTY:?must be set}')).toThrow('required variable EMPTY is empty: must be set');
    expect(sub('${EMPTY?x}')).toBe('');
    expect(() => sub('${MISSING?}')).toThrow(InterpolationError);
  });

  it('reports variables used without a value so the caller can warn', () => {
    expect(interpolate('a=${MISSING} b=$OTHER', lookup)).toEqual({
      value: 'a= b=',
      unset: ['MISSING', 'OTHER'],
    });
  });

  it('refuses malformed references', () => {
    expect(() => sub('${NAME')).toThrow('no closing }');
    expect(() => sub('${}')).toThrow(InterpolationError);
    expect(() => sub('cost: $5')).toThrow('written $$');
    expect(() => sub('${NAME!x}')).toThrow(InterpolationError);
  });

  it('leaves Swarm service templates alone', () => {
    expect(sub('NODE_ID={{.Node.ID}}')).toBe('NODE_ID={{.Node.ID}}');
  });
});

describe('env files', () => {
  it('reads .env the way compose does: export prefix, quotes, comments', () => {
    const text = '# comment\nexport A=1\nB="two words"\nC=\'x\'\nD=plain # trailing\n\nE\n';
    expect(
      parseEnvFile(text, { dotenv: true, lookup: (n) => (n === 'E' ? 'from-env' : undefined) }).entries,
    ).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'x'],
      ['D', 'plain'],
      ['E', 'from-env'],
    ]);
  });

  it('reads env_file literally, as docker/cli does, dropping value-less keys the environment lacks', () => {
    const parsed = parseEnvFile('A="quoted"\nB=x # not a comment\nMISSING\n', {
      dotenv: false,
      lookup: () => undefined,
    });
    expect(parsed.entries).toEqual([
      ['A', '"quoted"'],
      ['B', 'x # not a comment'],
    ]);
  });

  it('reports a line whose variable name has spaces', () => {
    expect(parseEnvFile('BAD KEY=1', { dotenv: false }).errors).toEqual([
      { line: 1, reason: 'variable name "BAD KEY" is not valid' },
    ]);
  });
});
