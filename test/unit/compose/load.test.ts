import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLines, serviceOf } from './helpers.js';
import { loadProject, parseBytes, parseCpus, parseDuration, planStack, shellSplit } from './imports.js';

const LAYERED = join(import.meta.dirname, '../../fixtures/compose/layered');

describe('loading files', () => {
  it('reads .env beside the first file for interpolation, the environment winning over it', async () => {
    const project = await loadProject([join(LAYERED, 'compose.yml')], { environment: { TAG: '2.0' } });
    const web = serviceOf(await planStack(project, 'st'), 'web');
    expect(web.taskTemplate.containerSpec.image).toBe('docker.io/web:2.0');
    // env_file first, then environment (interpolated from .env): environment wins.
    expect(web.taskTemplate.containerSpec.env).toEqual(['FROM_FILE=yes', 'GREETING=hello from .env']);
    expect(web.mode).toEqual({ replicated: { replicas: 1 } });
  });

  it('does not read .env when asked not to', async () => {
    const project = await loadProject([join(LAYERED, 'compose.yml')], { environment: {}, dotenv: false });
    expect(project.model.services.web?.image).toBe('docker.io/web:');
    expect(project.warnings.map((w) => w.message)).toContain(
      'variable TAG is not set: it becomes an empty string',
    );
  });

  it('merges -c files in order', async () => {
    const project = await loadProject([join(LAYERED, 'compose.yml'), join(LAYERED, 'compose.prod.yml')]);
    const web = serviceOf(await planStack(project, 'st'), 'web');
    expect(web.mode).toEqual({ replicated: { replicas: 3 } });
    expect(web.taskTemplate.containerSpec.env).toEqual([
      'FROM_FILE=yes',
      'GREETING=hello from .env',
      'MODE=production',
    ]);
    expect(project.positionOf('services.web.deploy.replicas')).toEqual({
      file: join(LAYERED, 'compose.prod.yml'),
      line: 5,
      col: 7,
    });
  });

  it('names a compose file that does not exist', async () => {
    expect(await errorLines(() => loadProject([join(LAYERED, 'nope.yml')]))).toEqual([
      `cannot read compose file ${join(LAYERED, 'nope.yml')}: no such file`,
    ]);
  });
});

describe('value syntaxes shared with the Docker CLI', () => {
  it('reads Go durations', () => {
    expect(parseDuration('1m30s')).toEqual({ ok: true, value: 90e9 });
    expect(parseDuration('1.5h')).toEqual({ ok: true, value: 5400e9 });
    expect(parseDuration('300ms')).toEqual({ ok: true, value: 300e6 });
    expect(parseDuration('0')).toEqual({ ok: true, value: 0 });
    expect(parseDuration('10')).toMatchObject({ ok: false });
    expect(parseDuration('5 s')).toMatchObject({ ok: false });
    expect(parseDuration('2d')).toMatchObject({ ok: false });
  });

  it('reads sizes as binary multiples, as go-units RAMInBytes', () => {
    expect(parseBytes('512m')).toEqual({ ok: true, value: 512 * 1024 ** 2 });
    expect(parseBytes('1.5g')).toEqual({ ok: true, value: 1.5 * 1024 ** 3 });
    expect(parseBytes('2GiB')).toEqual({ ok: true, value: 2 * 1024 ** 3 });
    expect(parseBytes('100kb')).toEqual({ ok: true, value: 102400 });
    expect(parseBytes(1048576)).toEqual({ ok: true, value: 1048576 });
    expect(parseBytes('lots')).toMatchObject({ ok: false });
  });

  it('reads CPU amounts to nano CPUs exactly', () => {
    expect(parseCpus('0.5')).toEqual({ ok: true, value: 500_000_000 });
    expect(parseCpus(2)).toEqual({ ok: true, value: 2_000_000_000 });
    expect(parseCpus('0.001')).toEqual({ ok: true, value: 1_000_000 });
    expect(parseCpus('1.0000000001')).toMatchObject({
      ok: false,
      reason: 'is too precise (at most 9 decimal places)',
    });
    expect(parseCpus('-1')).toMatchObject({ ok: false });
  });

  it('splits commands like a POSIX shell, without expanding anything', () => {
    expect(shellSplit(`sh -c 'echo "$HOME" && ls'`)).toEqual(['sh', '-c', 'echo "$HOME" && ls']);
    expect(shellSplit('a\\ b "c \\"d\\"" e#f # comment')).toEqual(['a b', 'c "d"', 'e#f']);
    expect(shellSplit('  ')).toEqual([]);
    expect(() => shellSplit("echo 'open")).toThrow('unclosed single quote');
  });
});
