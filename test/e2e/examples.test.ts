// The library examples (examples/library), each run as its README line says: built, then
// `node dist/examples/library/<name>.js`; each must finish on its own with exit code 0 and say
// what it showed.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const examples = join(import.meta.dirname, '..', '..', 'dist', 'examples', 'library');

async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [join(examples, `${name}.js`)], { timeout: 120_000 });
  return stdout;
}

describe('the library examples', () => {
  it('deploys a service and awaits its convergence', async () => {
    expect(await example('deploy-and-wait')).toMatch(/service web converged in \d+ ms: 3 of 3 tasks running/);
  }, 150_000);

  it('watches a service from creation to removal', async () => {
    const out = await example('watch-events');
    expect(out).toMatch(/create service events/);
    expect(out).toMatch(/update task \w+ running/);
    expect(out).toContain('watched the service from creation to removal');
  }, 150_000);

  it('rolls a failing update back automatically', async () => {
    const out = await example('rolling-update-rollback');
    expect(out).toContain('rolled back: ');
    expect(out).toContain('running version 1');
    expect(out).toContain('version 1 runs on 3 tasks again');
  }, 150_000);

  it('embeds a manager and a worker in one process and spreads a service over both', async () => {
    expect(await example('embedded-node')).toContain('4 tasks running on 2 nodes');
  }, 150_000);
});
