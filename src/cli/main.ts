#!/usr/bin/env node
// The `flotilla` command: docker's swarm commands for a Flotilla cluster (see docs/cli.md). This
// file gives the CLI (cli.ts) the real process: its streams, environment, clock and signals.

import { runCli } from './cli.js';

// Node's deprecation notices (TLS to an IP address, …) are not the user's business here.
process.noDeprecation = true;

const controller = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    // The first asks the command to finish (stop following logs, stop the node); the second insists.
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  });

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// No top-level await: the single executable (npm run build:bin) is CommonJS.
void runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stdoutIsTTY: process.stdout.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
  readStdin,
  env: process.env,
  now: () => Date.now(),
  signal: controller.signal,
}).then((code) => {
  // Exit once the output is written: a closed client's or a stopped node's last handles must not
  // keep the command alive.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
