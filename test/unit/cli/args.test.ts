import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseBytes,
  parseCommandLine,
  parseCpus,
  parseDuration,
  type CommandDef,
} from '../../../src/cli/args.js';
import { parseSince, parseTail } from '../../../src/cli/commands/service.js';
import { UsageError } from '../../../src/cli/errors.js';

const create: CommandDef = {
  path: 'service create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create a new service',
  args: [1, Infinity],
  stopAtFirstPositional: true,
  flags: [
    { name: 'name', kind: 'string', help: '' },
    { name: 'replicas', kind: 'uint', help: '' },
    { name: 'env', short: 'e', kind: 'list', help: '' },
    { name: 'detach', short: 'd', kind: 'bool', help: '' },
    { name: 'quiet', short: 'q', kind: 'bool', help: '' },
    { name: 'restart-delay', kind: 'duration', help: '' },
    { name: 'limit-memory', kind: 'bytes', help: '' },
    { name: 'limit-cpu', kind: 'cpus', help: '' },
    { name: 'update-max-failure-ratio', kind: 'float', help: '' },
  ],
};

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('the command-line parser', () => {
  it('takes --flag value, --flag=value, repeatable flags and combined short booleans', () => {
    const { flags, args } = parseCommandLine(create, [
      '--name',
      'web',
      '--replicas=3',
      '-e',
      'A=1',
      '-eB=2',
      '--env=C=3',
      '-dq',
      'busybox',
    ]);
    expect(flags.str('name')).toBe('web');
    expect(flags.num('replicas')).toBe(3);
    expect(flags.list('env')).toEqual(['A=1', 'B=2', 'C=3']);
    expect(flags.bool('detach')).toBe(true);
    expect(flags.bool('quiet')).toBe(true);
    expect(args).toEqual(['busybox']);
  });

  it('ends the options at the first positional, so the container command keeps its own flags', () => {
    const { flags, args } = parseCommandLine(create, ['-d', 'busybox', 'sh', '-c', 'echo --name x', '-d']);
    expect(args).toEqual(['busybox', 'sh', '-c', 'echo --name x', '-d']);
    expect(flags.has('name')).toBe(false);
  });

  it('reads booleans given a value, and false turns them off', () => {
    expect(parseCommandLine(create, ['--detach=false', 'x']).flags.bool('detach')).toBe(false);
    expect(parseCommandLine(create, ['--detach=true', 'x']).flags.bool('detach')).toBe(true);
    expect(usageError(() => parseCommandLine(create, ['--detach=maybe', 'x'])).message).toBe(
      'invalid argument "maybe" for "--detach" flag: must be true or false',
    );
  });

  it('converts durations, byte sizes, CPUs and ratios', () => {
    const { flags } = parseCommandLine(create, [
      '--restart-delay',
      '1m30s',
      '--limit-memory',
      '512M',
      '--limit-cpu',
      '0.5',
      '--update-max-failure-ratio',
      '0.25',
      'x',
    ]);
    expect(flags.num('restart-delay')).toBe(90e9);
    expect(flags.num('limit-memory')).toBe(512 * 1024 * 1024);
    expect(flags.num('limit-cpu')).toBe(5e8);
    expect(flags.num('update-max-failure-ratio')).toBe(0.25);
  });

  it('names the flag and the reason for an unknown flag, a missing value or a bad value', () => {
    expect(usageError(() => parseCommandLine(create, ['--bogus', 'x'])).message).toBe(
      'unknown flag: --bogus',
    );
    expect(usageError(() => parseCommandLine(create, ['-z', 'x'])).message).toBe(
      "unknown shorthand flag: 'z' in -z",
    );
    // After the image, --name belongs to the container's command line.
    expect(parseCommandLine(create, ['x', '--name']).args).toEqual(['x', '--name']);
    expect(usageError(() => parseCommandLine(create, ['--name'])).message).toBe(
      'flag needs an argument: --name',
    );
    expect(usageError(() => parseCommandLine(create, ['-e'])).message).toBe(
      "flag needs an argument: 'e' in -e",
    );
    expect(usageError(() => parseCommandLine(create, ['--replicas', '-1', 'x'])).message).toBe(
      'invalid argument "-1" for "--replicas" flag: must not be negative',
    );
    expect(usageError(() => parseCommandLine(create, ['--replicas', 'three', 'x'])).message).toBe(
      'invalid argument "three" for "--replicas" flag: not an integer',
    );
    expect(usageError(() => parseCommandLine(create, ['--restart-delay', '10', 'x'])).message).toContain(
      '"--restart-delay" flag: not a duration',
    );
    expect(usageError(() => parseCommandLine(create, ['--limit-memory', 'lots', 'x'])).message).toContain(
      '"--limit-memory" flag: not a size',
    );
  });

  it('counts positional arguments against the command', () => {
    expect(usageError(() => parseCommandLine(create, [])).message).toBe(
      '"flotilla service create" requires at least 1 argument',
    );
    const ls: CommandDef = { path: 'service ls', usage: '', summary: '', args: [0, 0], flags: [] };
    expect(usageError(() => parseCommandLine(ls, ['extra'])).message).toBe(
      `"flotilla service ls" accepts no arguments (got 'extra')`,
    );
    expect(parseCommandLine(ls, ['--help']).help).toBe(true);
  });

  it('passes everything after -- as arguments', () => {
    expect(parseCommandLine({ ...create, stopAtFirstPositional: false }, ['--', '-d', 'x']).args).toEqual([
      '-d',
      'x',
    ]);
  });
});

describe('docker value syntaxes', () => {
  it('parses Go durations', () => {
    expect(parseDuration('10s')).toBe(10e9);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('1.5h')).toBe(5400e9);
    expect(parseDuration('500ms')).toBe(500e6);
    expect(parseDuration('2us')).toBe(2000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('10')).toBeNull();
    expect(parseDuration('s')).toBeNull();
    expect(parseDuration('-1s')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });

  it('prints durations as Go does', () => {
    expect(formatDuration(90e9)).toBe('1m30s');
    expect(formatDuration(500e6)).toBe('500ms');
    expect(formatDuration(3600e9)).toBe('1h0m0s');
    expect(formatDuration(0)).toBe('0s');
  });

  it("parses byte sizes as docker's RAMInBytes (binary units)", () => {
    expect(parseBytes('512M')).toBe(512 * 1024 ** 2);
    expect(parseBytes('1g')).toBe(1024 ** 3);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('100kb')).toBe(102_400);
    expect(parseBytes('1048576')).toBe(1_048_576);
    expect(parseBytes('12x')).toBeNull();
    expect(parseBytes('')).toBeNull();
  });

  it('parses CPUs as nano-CPUs', () => {
    expect(parseCpus('2')).toBe(2e9);
    expect(parseCpus('.25')).toBe(2.5e8);
    expect(parseCpus('-1')).toBeNull();
    expect(parseCpus('two')).toBeNull();
  });
});

describe('service logs values', () => {
  it('takes --tail as a number of lines, 0 included, or all; anything else is a usage error', () => {
    expect(parseTail(undefined)).toBeUndefined();
    expect(parseTail('all')).toBeUndefined();
    expect(parseTail('0')).toBe(0);
    expect(parseTail('25')).toBe(25);
    for (const bad of ['-1', 'ten', '1.5', ''])
      expect(() => parseTail(bad), bad).toThrow(
        new UsageError(
          `invalid argument "${bad}" for "--tail" flag: a number of lines or "all"`,
          'service logs',
        ),
      );
  });

  it('takes --since as a duration back from now, a unix time or an RFC 3339 time', () => {
    const now = Date.parse('2026-12-07T08:00:00Z');
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2026-12-07T07:00:00Z', now)).toBe(Date.parse('2026-12-07T07:00:00Z'));
    expect(parseSince(undefined, now)).toBeUndefined();
  });
});
