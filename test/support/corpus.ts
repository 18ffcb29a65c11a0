// Where the real-world compose files are: the workplace's shared folder, ../shared/compose-corpus
// beside the checkout (/work/shared beside /work/main), or at /work/shared for a checkout made
// elsewhere on such a machine (a CI clone in a scratch directory).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** The corpus folder, or null (with a warning) where this machine has none. */
export function composeCorpus(): string | null {
  const places = [join(PROJECT_ROOT, '..', 'shared', 'compose-corpus'), '/work/shared/compose-corpus'];
  const found = places.find((dir) => existsSync(dir));
  if (found !== undefined) return found;
  console.warn(`compose corpus tests skipped: no corpus at ${places.join(' or ')}`);
  return null;
}
