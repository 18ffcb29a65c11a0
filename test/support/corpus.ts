// Where the real-world compose files are: ../shared/compose-corpus beside the project's checkout
// (the workplace's shared folder), wherever the checkout is.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** The corpus folder, or null (with a warning) where this machine has none. */
export function composeCorpus(): string | null {
  const dir = join(PROJECT_ROOT, '..', 'shared', 'compose-corpus');
  if (existsSync(dir)) return dir;
  console.warn(`compose corpus tests skipped: ${dir} does not exist on this machine`);
  return null;
}
