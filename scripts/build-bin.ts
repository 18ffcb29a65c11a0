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
import { build, type Plugin } from 'esbuild';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(root, 'dist', 'sea');
/** The fuse Node's binary carries for postject (documented in Node's single-executable guide). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * ssh2 (dockerode's SSH transport, unused here) tries optional native add-ons inside try/catch. A
 * single executable can load no file from disk (and warns when asked to): these stand-ins throw,
 * as a missing add-on does, so ssh2 takes its JavaScript path silently.
 */
const nativeAddonStubs: Plugin = {
  name: 'native-addon-stubs',
  setup(b) {
    b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({
      path: args.path,
      namespace: 'addon-stub',
    }));
    b.onLoad({ filter: /.*/, namespace: 'addon-stub' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the single executable`)});`,
      loader: 'js',
    }));
  },
};

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
    // import.meta.url has no CommonJS meaning. Nothing in the executable reads files next to its
    // modules (the protos come from its assets, the version from here), so it is a path that
    // exists nowhere: no module takes itself for the process's main script (src/daemon/main.ts).
    define: {
      'import.meta.url': JSON.stringify('file:///flotilla-single-executable/bundle.cjs'),
      'process.env.FLOTILLA_BUILD_VERSION': JSON.stringify(pkg.version),
    },
    plugins: [nativeAddonStubs],
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
