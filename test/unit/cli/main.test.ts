import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../../dist/src/cli/main.js', import.meta.url);
const exec = promisify(execFile);

async function flotilla(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(bin))
    throw new Error(`${bin.pathname} is missing: run 'npm run build' first (npm test does)`);
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin.pathname, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the flotilla command', () => {
  it('prints the package version', async () => {
    const r = await flotilla('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flotilla \d+\.\d+\.\d+\n$/);
  });

  it('prints usage with --help', async () => {
    const r = await flotilla('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:  flotilla');
  });

  it('refuses an unknown command with exit code 2 and a hint', async () => {
    const r = await flotilla('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'frobnicate' is not a flotilla command");
  });
});
