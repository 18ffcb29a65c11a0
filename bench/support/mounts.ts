// Unmounting what a node's executor mounted under a temporary data directory (the Docker
// executor's secrets tmpfs) before the directory is removed: `rm -r` of a mounted tmpfs fails or
// empties the mount. Same logic as the e2e tests' helper; bench code does not import from test/.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Unmounts every mount point under `root`, deepest first (lazily: a busy one still goes). */
export async function unmountUnder(root: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((path) => path.startsWith(root + '/'))
    .sort((a, b) => b.length - a.length);
  for (const path of mounts)
    await promisify(execFile)('umount', ['-l', path]).catch((err: unknown) =>
      console.log(`  umount ${path} failed: ${String(err)}`),
    );
}
