// Every command by its path (`service create`), docker's aliases (`list`, `remove`), and the
// groups with their one-line summaries for `flotilla --help` and `flotilla service`.

import type { CommandDef } from './args.js';
import type { Command } from './command.js';
import { adminCertCommands } from './commands/admin-cert.js';
import { clusterCommands } from './commands/cluster.js';
import { daemonCommands } from './commands/daemon.js';
import { nodeCommands } from './commands/node.js';
import { configCommands, secretCommands } from './commands/secret-config.js';
import { serviceCommands } from './commands/service.js';
import { stackCommands } from './commands/stack.js';
import { connectionFlags } from './connect.js';

function withConnectionFlags(command: Command): Command {
  if (!command.connects) return command;
  const own = new Set(command.def.flags.map((f) => f.name));
  const def: CommandDef = {
    ...command.def,
    flags: [...command.def.flags, ...connectionFlags.filter((f) => !own.has(f.name))],
  };
  return { ...command, def };
}

export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [
    ...daemonCommands,
    ...nodeCommands,
    ...serviceCommands,
    ...stackCommands,
    ...secretCommands,
    ...configCommands,
    ...clusterCommands,
    ...adminCertCommands,
  ].map((c) => [c.def.path, withConnectionFlags(c)] as const),
);

export const GROUPS: Readonly<Record<string, string>> = {
  node: 'Manage cluster nodes',
  service: 'Manage services',
  stack: 'Manage stacks (compose files)',
  secret: 'Manage secrets',
  config: 'Manage configs',
  cluster: 'Manage the cluster',
  'admin-cert': 'Manage admin client certificates (for --host)',
};

const ALIASES: Readonly<Record<string, string>> = { list: 'ls', remove: 'rm' };

/** The command that argv names, and the arguments after its name; undefined when none matches. */
export function findCommand(
  argv: readonly string[],
): { command: Command; rest: string[] } | { group: string; unknown?: string } | undefined {
  const [first, second] = argv;
  if (first === undefined) return undefined;
  if (first in GROUPS) {
    if (second === undefined || second === '--help' || second === '-h') return { group: first };
    const sub = ALIASES[second] ?? second;
    const command = COMMANDS.get(`${first} ${sub}`);
    return command ? { command, rest: argv.slice(2) } : { group: first, unknown: second };
  }
  const command = COMMANDS.get(first);
  return command ? { command, rest: argv.slice(1) } : undefined;
}

export function groupUsage(group: string): string {
  const subs = [...COMMANDS.values()].filter((c) => c.def.path.startsWith(`${group} `));
  const width = Math.max(...subs.map((c) => c.def.path.length - group.length - 1)) + 3;
  return (
    `\nUsage:  flotilla ${group} COMMAND\n\n${GROUPS[group]}\n\nCommands:\n` +
    subs.map((c) => `  ${c.def.path.slice(group.length + 1).padEnd(width)}${c.def.summary}`).join('\n') +
    `\n\nRun 'flotilla ${group} COMMAND --help' for more information on a command.\n`
  );
}

export function mainUsage(): string {
  const top = [...COMMANDS.values()].filter((c) => !c.def.path.includes(' '));
  const rows: Array<[string, string]> = [
    ...Object.entries(GROUPS),
    ...top.map((c) => [c.def.path, c.def.summary] as [string, string]),
    ['version', 'Show the Flotilla version'],
  ];
  const width = Math.max(...rows.map(([n]) => n.length)) + 3;
  return (
    `\nUsage:  flotilla [OPTIONS] COMMAND\n\nA cluster manager for Docker hosts, in the spirit of Swarm mode.\n\n` +
    `Options:\n` +
    connectionFlags
      .map((f) => `  ${(f.short ? `-${f.short}, ` : '    ') + `--${f.name}`}`.padEnd(22) + f.help)
      .join('\n') +
    `\n\nCommands:\n` +
    rows.map(([n, s]) => `  ${n.padEnd(width)}${s}`).join('\n') +
    `\n\nRun 'flotilla COMMAND --help' for more information on a command.\n`
  );
}
