// `npm run build:bin`: the `flotilla` command as one self-contained Linux executable, for VMs
// with neither Node nor npm. A Node single executable application: the built CLI bundled into
// one CommonJS script (esbuild), the .proto files embedded as assets, the preparation blob
// injected (postject) into a copy of the Node binary running this script.
// Output: dist/flotilla-linux-<arch>.

import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(root, 'dist', 'sea');
/** The fuse Node's binary carries for postject (documented in Node's single-executable guide). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

async function main(): Promise<void> {
  if (process.platform !== 'linux')
    throw new Error(`build:bin makes a Linux executable; this is ${process.platform}`);
  const entry = join(root, 'dist', 'src', 'cli', 'sea-main.js');
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });

  // 1. One CommonJS script (a single executable runs CommonJS only on Node 20).
  const bundle = join(work, 'flotilla.cjs');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    // import.meta.url has no CommonJS meaning: the bundle's own file stands in (nothing is read
    // relative to it in the executable: the protos come from its assets, the version from here).
    define: {
      'import.meta.url': '__flotillaModuleUrl',
      'process.env.FLOTILLA_BUILD_VERSION': JSON.stringify(pkg.version),
    },
    banner: { js: 'const __flotillaModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    // ssh2 (dockerode's SSH transport, unused) tries optional native add-ons in try/catch.
    external: ['cpu-features', '*.node'],
    logLevel: 'warning',
  });
  for (const warning of result.warnings) console.log(`build:bin: ${warning.text}`);

  // 2. The preparation blob, with every .proto file as an asset.
  const protos = (await readdir(join(root, 'proto'))).filter((f) => f.endsWith('.proto'));
  const blob = join(work, 'sea-prep.blob');
  const seaConfig = join(work, 'sea-config.json');
  const protoList = join(work, 'proto-files.json');
  await writeFile(protoList, JSON.stringify(protos));
  await writeFile(
    seaConfig,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      assets: {
        'proto-files.json': protoList,
        ...Object.fromEntries(protos.map((f) => [`proto/${f}`, join(root, 'proto', f)])),
      },
    }),
  );
  await run(process.execPath, ['--experimental-sea-config', seaConfig]);

  // 3. A copy of this Node binary with the blob injected.
  const output = join(root, 'dist', `flotilla-linux-${process.arch}`);
  await rm(output, { force: true });
  await copyFile(process.execPath, output);
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  await run(process.execPath, [postject, output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    maxBuffer: 16 * 1024 * 1024,
  });
  console.log(
    `build:bin: wrote ${output} (flotilla ${pkg.version}, Node ${process.version}, ${protos.length} protos)`,
  );
}

main().catch((err: unknown) => {
  console.error(`build:bin: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
