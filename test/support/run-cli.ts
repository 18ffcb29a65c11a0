// Runs the flotilla command line in this process with its output captured, as a test reads it.

import { runCli } from '../../src/cli/cli.js';
import type { Io } from '../../src/cli/command.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** `flotilla ...argv` with `env` as its environment (FLOTILLA_DATA_DIR and the like). */
export async function runCliCaptured(argv: string[], env: Record<string, string>): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => (out += s),
    err: (s) => (err += s),
    stdoutIsTTY: false,
    stdinIsTTY: false,
    readStdin: async () => Buffer.alloc(0),
    env,
    now: () => Date.now(),
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}
