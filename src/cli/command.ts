// What every command is given (Io: the process's streams, environment, clock and interrupt
// signal, injectable for tests) and what it is (a flag table and a run function). Commands that
// talk to a manager get the connection flags added to their table (registry.ts).

import type { CommandDef, Parsed } from './args.js';
import type { Env } from './connect.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdoutIsTTY: boolean;
  /** The standard input (secret and config data from `-`, the unlock key). */
  readStdin(): Promise<Buffer>;
  stdinIsTTY: boolean;
  env: Env;
  now(): number;
  /** Aborted on SIGINT/SIGTERM: following logs and waiting for convergence end. */
  signal: AbortSignal;
}

export interface Command {
  def: CommandDef;
  /** Whether it reaches a manager (and so takes --host, --data-dir, --tls…). */
  connects: boolean;
  /** Resolves with the exit code (0 when it returns nothing). */
  run(io: Io, parsed: Parsed): Promise<number | void>;
}
