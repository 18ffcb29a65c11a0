// Where the .proto files are read from at run time: proto/ at the package root, found above this
// module (src/ in tests, dist/src/ in the built package), unless a directory was set first (the
// single executable extracts its embedded copies and points here before anything loads).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let protoDir: string | undefined;

/** Reads every .proto file from `dir` from now on (call before any gRPC service or client is made). */
export function useProtoDir(dir: string): void {
  protoDir = dir;
}

/** The path of `proto/<file>`. */
export function protoFilePath(file: string): string {
  if (protoDir !== undefined) return join(protoDir, file);
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ;) {
    const candidate = join(dir, 'proto', file);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`proto/${file} not found above ${here}`);
    dir = parent;
  }
}
