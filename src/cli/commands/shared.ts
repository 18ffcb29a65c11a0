// What the object commands share: a connection opened for the command and closed after it, the
// --format/-q flags of lists and inspects, and reading a file or stdin.

import { readFile } from 'node:fs/promises';
import type { FlagDef, ParsedFlags } from '../args.js';
import type { Io } from '../command.js';
import { connect, type Connection } from '../connect.js';
import { CliError, errorLine } from '../errors.js';

export async function withConnection<T>(
  io: Io,
  flags: ParsedFlags,
  fn: (c: Connection) => Promise<T>,
): Promise<T> {
  const connection = connect(flags, io.env);
  try {
    return await fn(connection);
  } finally {
    connection.client.close();
  }
}

export const quietFlag: FlagDef = { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display IDs' };
export const formatFlag: FlagDef = {
  name: 'format',
  kind: 'string',
  help: "Format output: 'json', 'table', 'table TEMPLATE' or a Go-like template such as '{{.ID}} {{.Name}}'",
};
export const filterFlag: FlagDef = {
  name: 'filter',
  short: 'f',
  kind: 'list',
  help: 'Filter output based on conditions provided (key=value)',
};

/** `-f key=value` filters, checked against the keys a command knows. */
export function parseFilters(flags: ParsedFlags, allowed: readonly string[]): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  for (const f of flags.list('filter')) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (eq < 0 || !allowed.includes(key)) {
      throw new CliError(`invalid filter '${f}': expected key=value with key one of ${allowed.join(', ')}`);
    }
    filters.set(key, [...(filters.get(key) ?? []), f.slice(eq + 1)]);
  }
  return filters;
}

/** A file's bytes, or standard input's for `-`. */
export async function readInput(io: Io, path: string): Promise<Buffer> {
  if (path === '-') return io.readStdin();
  try {
    return await readFile(path);
  } catch (err) {
    throw new CliError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Runs `fn` for each name, printing the name on success and one error line per failure (docker's rm). */
export async function forEachName(
  io: Io,
  names: readonly string[],
  fn: (name: string) => Promise<void>,
): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      await fn(name);
      io.out(`${name}\n`);
    } catch (err) {
      failed++;
      io.err(`${errorLine(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
