// The CLI's entry point as a function of argv and Io (main.ts gives it the real process): global
// options, the command lookup, --help, and the one place errors become one line and an exit
// code (2 for usage, 1 for the rest).

import { readFileSync } from 'node:fs';
import { commandHelp, parseCommandLine } from './args.js';
import type { Io } from './command.js';
import { connectionFlags } from './connect.js';
import { errorLine, exitCodeOf, EXIT_USAGE, UsageError } from './errors.js';
import { findCommand, groupUsage, mainUsage } from './registry.js';

export function packageVersion(): string {
  // Set at bundle time in the single executable (scripts/build-bin.ts), which has no package.json.
  const built = process.env.FLOTILLA_BUILD_VERSION;
  if (built !== undefined && built !== '') return built;
  // dist/src/cli/cli.js (or src/cli/cli.ts) → the package root is three levels up.
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (pkg.name === 'flotilla') return pkg.version;
    } catch {
      // Not at this level: try the next.
    }
  }
  return 'unknown';
}

/**
 * Global options before the command (`flotilla --data-dir D node ls`) are moved after the
 * command's name, where its own flag table takes them.
 */
function splitGlobals(argv: readonly string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const name = arg.startsWith('--')
      ? arg.slice(2).split('=')[0]!
      : arg.startsWith('-') && arg.length === 2
        ? arg.slice(1)
        : null;
    const flag = name === null ? undefined : connectionFlags.find((f) => f.name === name || f.short === name);
    if (!flag) break;
    globals.push(arg);
    if (!arg.includes('=')) {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${arg}`);
      globals.push(value);
      i++;
    }
    i++;
  }
  return { globals, rest: argv.slice(i) };
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let path: string | undefined;
  try {
    const { globals, rest } = splitGlobals(argv);
    const first = rest[0];
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      io.out(mainUsage());
      return 0;
    }
    if (first === '--version' || first === '-v' || first === 'version') {
      if (rest.length > 1) throw new UsageError(`"flotilla version" accepts no arguments (got '${rest[1]}')`);
      io.out(`flotilla ${packageVersion()}\n`);
      return 0;
    }
    const found = findCommand(rest);
    if (found === undefined) {
      io.err(`flotilla: '${first}' is not a flotilla command.\nSee 'flotilla --help'.\n`);
      return EXIT_USAGE;
    }
    if ('group' in found) {
      if (found.unknown !== undefined) {
        io.err(
          `flotilla: '${found.unknown}' is not a 'flotilla ${found.group}' command. See 'flotilla ${found.group} --help'.\n`,
        );
        return EXIT_USAGE;
      }
      io.out(groupUsage(found.group));
      return 0;
    }
    const { command } = found;
    path = command.def.path;
    const parsed = parseCommandLine(command.def, [...globals, ...found.rest]);
    if (parsed.help) {
      io.out(commandHelp(command.def));
      return 0;
    }
    return (await command.run(io, parsed)) ?? 0;
  } catch (err) {
    io.err(`${errorLine(err, path)}\n`);
    return exitCodeOf(err);
  }
}
