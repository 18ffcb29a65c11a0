#!/usr/bin/env node
// The `flotilla` command. Today it reports its version and what it can do; the daemon and the
// docker-like commands (init, join, node, service, stack …) arrive with the manager and the
// CLI issues. Unknown commands fail with a clear message and exit code 2, as docker's do.

import { readFileSync } from 'node:fs';

const usage = `Usage: flotilla [--version] [--help] COMMAND

A cluster manager for Docker hosts, in the spirit of Swarm mode.

Commands:
  version     Print the version

The cluster commands (init, join, node, service, stack, …) are not available in this version.
`;

function packageVersion(): string {
  // dist/src/cli/main.js → the package root is three levels up.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function run(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(usage);
    return 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    if (rest.length > 0) {
      err(`flotilla version: unexpected argument '${rest[0]}'\n`);
      return 2;
    }
    out(`flotilla ${packageVersion()}\n`);
    return 0;
  }
  err(`flotilla: '${command}' is not a flotilla command.\nSee 'flotilla --help'.\n`);
  return 2;
}

process.exitCode = run(
  process.argv.slice(2),
  (s) => process.stdout.write(s),
  (s) => process.stderr.write(s),
);
