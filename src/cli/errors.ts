// The CLI's two kinds of failure and how each becomes one line on stderr: a usage error (bad
// flag, missing argument; exit 2, as docker's flag errors) and everything else a command meets at
// run time (the manager's typed errors, files, the connection; exit 1).

import {
  AlreadyExistsError,
  ControlError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  VersionConflictError,
} from '../client/index.js';

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** The command line is wrong: the message names the flag or argument and why. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help to point at (`service create`). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the CLI itself detects at run time (no socket, a file that cannot be read, …). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The one line printed for an error, without the trailing newline. */
export function errorLine(err: unknown, command?: string): string {
  if (err instanceof UsageError) {
    const where = err.command ?? command;
    return where === undefined
      ? `flotilla: ${err.message}`
      : `flotilla ${where}: ${err.message} (see 'flotilla ${where} --help')`;
  }
  return `Error: ${runtimeMessage(err)}`;
}

function runtimeMessage(err: unknown): string {
  if (err instanceof ValidationError) return `invalid ${err.path === '' ? 'request' : err.path}: ${err.rule}`;
  if (err instanceof NotFoundError) return `no such ${err.kind}: ${err.id}`;
  if (err instanceof AlreadyExistsError) return err.message;
  if (err instanceof VersionConflictError)
    return `${err.message}; someone else changed it meanwhile, run the command again`;
  if (err instanceof UnavailableError) return `manager unavailable (${err.reason}): ${oneLine(err.message)}`;
  if (err instanceof ControlError)
    return `${err.code.toLowerCase().replace(/_/g, ' ')}: ${oneLine(err.message)}`;
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(String(err));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? EXIT_USAGE : EXIT_RUNTIME;
}
