// The single executable (npm run build:bin) on its own: built from this checkout, copied into a
// scratch directory with no node_modules and no package.json, and run there as an operator on a
// VM would: `init`, `join` with the manager token, `node ls` and `service ls`.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '../support/run-command.js';
import { waitUntil } from '../support/wait.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const ADDR = ['127.0.0.135:2377', '127.0.0.136:2377'];

let scratch = '';
let binary = '';
const daemons: ChildProcess[] = [];

beforeAll(async () => {
  await run(process.execPath, [join(root, 'dist', 'scripts', 'build-bin.js')], { cwd: root });
  scratch = await mkdtemp(join(tmpdir(), 'flotilla-binary-'));
  binary = join(scratch, 'flotilla');
  await copyFile(join(root, 'dist', `flotilla-linux-${process.arch}`), binary);
}, 180_000);

afterAll(async () => {
  for (const daemon of daemons) daemon.kill('SIGKILL');
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

/** Runs the executable in the scratch directory, with an environment that names no Node paths. */
function flotilla(...args: string[]): Promise<CommandResult> {
  return runCommand(binary, args, { cwd: scratch, env: { PATH: '/usr/bin:/bin' } });
}

function daemon(...args: string[]): void {
  const child = spawn(binary, args, { cwd: scratch, env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' });
  daemons.push(child);
}

describe('the single executable', () => {
  it('runs init, join and service ls with neither node_modules nor package.json beside it', async () => {
    expect(existsSync(join(scratch, 'node_modules'))).toBe(false);
    expect((await flotilla('--version')).stdout).toMatch(/^flotilla \d+\.\d+\.\d+\n$/);

    const m1 = join(scratch, 'm1');
    daemon('init', '--data-dir', m1, '--listen-addr', ADDR[0]!, '--executor', 'none');
    await waitUntil(
      'the first manager to answer',
      async () => (await flotilla('node', 'ls', '--data-dir', m1)).code === 0,
      30_000,
    );
    const token = await flotilla('join-token', '-q', 'manager', '--data-dir', m1);
    expect(token.stdout).toMatch(/^SWMTKN-1-/);

    const m2 = join(scratch, 'm2');
    daemon(
      'join',
      '--token',
      token.stdout.trim(),
      '--data-dir',
      m2,
      '--listen-addr',
      ADDR[1]!,
      '--executor',
      'none',
      ADDR[0]!,
    );
    await waitUntil(
      'two managers in node ls',
      async () =>
        (await flotilla('node', 'ls', '-q', '--data-dir', m1)).stdout.trim().split('\n').length === 2,
      30_000,
    );

    const services = await flotilla('service', 'ls', '--data-dir', m2);
    expect(services.code).toBe(0);
    expect(services.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS/);
    expect(services.stderr).toBe('');
  }, 120_000);
});
