// The npm package as a user installs it: `npm pack` of this checkout (its dist/ as `npm test`
// just built it), `npm install -g` of the tarball into a scratch prefix (dependencies from npm's
// cache, as the checkout's own install left them), then the installed `flotilla` command run from
// a scratch directory: its version, and a manager it founds that answers `node ls`.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '../support/run-command.js';
import { waitUntil } from '../support/wait.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const ADDR = '127.0.0.137:2377';
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

let scratch = '';
let bin = '';
let manager: ChildProcess | null = null;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'flotilla-package-'));
  // dist/ is current (npm test builds first): pack it as it is, without prepack's rebuild.
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', scratch], { cwd: root });
  const tarball = (await readdir(scratch)).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack left no tarball in ${scratch}`);
  const prefix = join(scratch, 'prefix');
  await run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(scratch, tarball),
    ],
    { cwd: scratch, timeout: 240_000 },
  );
  bin = join(prefix, 'bin', 'flotilla');
}, 300_000);

afterAll(async () => {
  manager?.kill('SIGKILL');
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

function flotilla(...args: string[]): Promise<CommandResult> {
  return runCommand(bin, args, { cwd: scratch });
}

describe('the npm package, installed globally from its tarball', () => {
  it('gives a flotilla command that runs a manager and talks to it', async () => {
    expect((await flotilla('version')).stdout.trim()).toBe(`flotilla ${version}`);
    const dataDir = join(scratch, 'm1');
    manager = spawn(bin, ['init', '--data-dir', dataDir, '--listen-addr', ADDR, '--executor', 'none'], {
      cwd: scratch,
      stdio: 'ignore',
    });
    // It answers at once; its manager status shows once the node's status pass has run.
    let ls: CommandResult = { code: -1, stdout: '', stderr: '' };
    await waitUntil(
      'the installed manager to list itself as the leader',
      async () => {
        ls = await flotilla('node', 'ls', '--data-dir', dataDir);
        return ls.code === 0 && /Leader/.test(ls.stdout);
      },
      60_000,
    );
    expect(ls.stdout).toMatch(/^ID\s+HOSTNAME\s+STATUS/);
  }, 120_000);
});
