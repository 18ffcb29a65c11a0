// The entry of the single executable (`npm run build:bin`, scripts/build-bin.ts). It carries the
// .proto files as assets: they are written to a directory of this process's own, which the
// loaders are pointed at, before the CLI runs exactly as it does from npm. The directory goes
// when the process exits.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sea from 'node:sea';
import { DATA_PLANE_ENV } from '../mesh/data-plane.js';
import { useProtoDir } from '../util/proto-files.js';

if (sea.isSea()) {
  // protobufjs probes for optional modules (long) with a require() the executable cannot serve,
  // and Node warns about it on every run: the probe failing is expected, the warning is noise.
  // Node prints warnings through its own 'warning' listener; ours prints the others the same way.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.message.includes('require() provided to the main script embedded into single-executable'))
      return;
    process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
  });
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-proto-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  // The asset names scripts/build-bin.ts gives them.
  const files = JSON.parse(sea.getAsset('proto-files.json', 'utf8')) as string[];
  for (const file of files) writeFileSync(join(dir, file), sea.getAsset(`proto/${file}`, 'utf8'));
  useProtoDir(dir);
}
// Imported only now: nothing may load a proto before the directory is set. The executable is
// also the routing mesh's data-plane worker when the node's mesh starts it as one.
if (process.env[DATA_PLANE_ENV] === '1') void import('../mesh/data-plane-worker.js');
else void import('./main.js');
