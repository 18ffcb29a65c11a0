// The single executable (npm run build:bin) on its own: built from this checkout, copied into a
// scratch directory with no node_modules and no package.json, and run there as an operator on a
// VM would: `init`, `join` with the manager token, `node ls`, `service ls`, and a published port
// (the mesh's data-plane worker is the executable too).

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PLANE_ENV } from '../../src/mesh/index.js';
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

/** The child processes of `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

function isMeshWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${DATA_PLANE_ENV}=1`);
  } catch {
    return false;
  }
}

function daemon(...args: string[]): void {
  const child = spawn(binary, args, { cwd: scratch, env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' });
  daemons.push(child);
}

describe('the single executable', () => {
  it('runs init, join, service ls and a published port (its mesh worker too) with neither node_modules nor package.json beside it', async () => {
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

    // A published port: each manager's routing mesh binds it and starts its data-plane worker,
    // which is the executable run again as one (FLOTILLA_MESH_DATA_PLANE). No task can run here
    // (no executor), so the port has no backend; the worker must start and stay up.
    const created = await flotilla(
      'service',
      'create',
      '--name',
      'web',
      '--detach',
      '--publish',
      '18190:80',
      '--data-dir',
      m1,
      'flotilla-test/busybox:2',
      'httpd',
      '-f',
    );
    expect(created.code, created.stderr).toBe(0);
    const workerOf = (pid: number): number | undefined => childrenOf(pid).find(isMeshWorker);
    await waitUntil(
      'a data-plane worker beside the first manager',
      () => workerOf(daemons[0]!.pid!) !== undefined,
      30_000,
    );
    const worker = workerOf(daemons[0]!.pid!)!;
    await new Promise((r) => setTimeout(r, 3000));
    // Still the same process: a worker that failed in the executable would have been restarted.
    expect(workerOf(daemons[0]!.pid!)).toBe(worker);
  }, 120_000);
});
