import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '../../support/run-command.js';

const bin = new URL('../../../dist/src/cli/main.js', import.meta.url);

async function flotilla(...args: string[]): Promise<CommandResult> {
  if (!existsSync(bin))
    throw new Error(`${bin.pathname} is missing: run 'npm run build' first (npm test does)`);
  return runCommand(process.execPath, [bin.pathname, ...args]);
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
