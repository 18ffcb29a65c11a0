// Running a command to its end for a test: its exit code and output, whether it failed or not.

import { execFile, type ExecFileOptions } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCommand(
  file: string,
  args: string[],
  options: ExecFileOptions = {},
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await exec(file, args, { ...options, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CommandResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
