// The wrapper process between the worker and a task's process. It is started detached (its own
// session and process group), so it and the task survive a worker killed with SIGKILL; it frames
// the task's output into timestamped log lines, and records the pid and the exit code in the
// task's state.json, so a worker that adopts the task later still learns how it ended.
//
// Why a Node wrapper rather than `sh -c 'cmd "$@"; echo $? > exitcode'`: the shell gives the exit
// code but no per-line timestamps, and dies itself on the group's SIGTERM unless it traps it; a
// Node script does both, costs one node process per task (~40 MB), and needs nothing beyond the
// node binary the worker runs on. It is written into the data directory under a name that
// carries its hash, so a wrapper still running from an older version keeps its own file.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../util/clock.js';
import { ProcessExecutorError } from './task-files.js';

/** Lines longer than this are cut into several, as Docker's log drivers do at 16 KiB. */
export const MAX_LOG_LINE = 16 * 1024;

/** How long the wrapper waits, after the task's process exited, for pipes held by its children. */
const DRAIN_AFTER_EXIT_MS = 2_000;

// Plain CommonJS so it runs on any node without a build step. Keep it small: everything that can
// live in the worker does.
export const WRAPPER_SOURCE = `'use strict';
// Flotilla process executor wrapper: see src/worker/process/wrapper.ts.
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { spawn } = require('node:child_process');
const { StringDecoder } = require('node:string_decoder');

const taskDir = process.argv[2];
const statePath = path.join(taskDir, 'state.json');
const MAX_LINE = ${MAX_LOG_LINE};

// The stop signal is sent to the whole group: the task's process gets it, the wrapper stays to
// record how the task ended (SIGKILL, which cannot be caught, is recorded by the worker).
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGPIPE'])
  process.on(sig, () => {});

function readState() {
  return JSON.parse(fs.readFileSync(statePath, 'utf8'));
}
function writeState(patch) {
  const next = Object.assign(readState(), patch);
  const tmp = statePath + '.wrapper.tmp';
  fs.writeFileSync(tmp, JSON.stringify(next), { mode: 0o600 });
  fs.renameSync(tmp, statePath);
}
function ownStartTime() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
function tell(message) {
  try {
    fs.writeSync(1, JSON.stringify(message) + '\\n');
  } catch {}
  try {
    fs.closeSync(1);
  } catch {}
}
function framer(fd) {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const write = (lines, now) => {
    if (lines.length === 0) return;
    let out = '';
    for (const line of lines) out += now + ' ' + line + '\\n';
    fs.writeSync(fd, out);
  };
  return {
    push(chunk) {
      const now = new Date().toISOString();
      const parts = (partial + decoder.write(chunk)).split('\\n');
      partial = parts.pop();
      const lines = [];
      for (let line of parts) {
        while (line.length > MAX_LINE) {
          lines.push(line.slice(0, MAX_LINE));
          line = line.slice(MAX_LINE);
        }
        lines.push(line);
      }
      while (partial.length > MAX_LINE) {
        lines.push(partial.slice(0, MAX_LINE));
        partial = partial.slice(MAX_LINE);
      }
      write(lines, now);
    },
    end() {
      const rest = partial + decoder.end();
      partial = '';
      if (rest) write([rest], new Date().toISOString());
    },
  };
}

const launch = readState().launch;
const base = { pid: process.pid, startTime: ownStartTime(), startedAt: new Date().toISOString() };
const framers = {
  stdout: framer(fs.openSync(path.join(taskDir, 'stdout.log'), 'a')),
  stderr: framer(fs.openSync(path.join(taskDir, 'stderr.log'), 'a')),
};

let finished = false;
function failToStart(err) {
  if (finished) return;
  finished = true;
  const notFound = err.code === 'ENOENT';
  const reason = notFound
    ? launch.file.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH'
    : err.message;
  const message = 'exec: "' + launch.file + '": ' + reason;
  writeState(Object.assign({}, base, {
    exitCode: notFound ? 127 : 126,
    exitMessage: message,
    finishedAt: new Date().toISOString(),
  }));
  tell({ error: message });
  process.exit(0);
}

let child;
try {
  child = spawn(launch.file, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    uid: launch.uid,
    gid: launch.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
} catch (err) {
  failToStart(err);
}
child.on('error', failToStart);
if (child.pid !== undefined) {
  writeState(Object.assign({}, base, { childPid: child.pid }));
  tell({ pid: child.pid });
  let open = 2;
  let exit;
  const finish = () => {
    if (finished) return;
    finished = true;
    framers.stdout.end();
    framers.stderr.end();
    const code = exit.code !== null ? exit.code : 128 + (os.constants.signals[exit.signal] || 0);
    writeState({ exitCode: code, exitMessage: '', finishedAt: new Date().toISOString() });
    // As when a container's main process ends: nothing else of the task keeps running.
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {}
    process.exit(0);
  };
  const closed = () => {
    open -= 1;
    if (open === 0 && exit) finish();
  };
  child.stdout.on('data', (c) => framers.stdout.push(c));
  child.stderr.on('data', (c) => framers.stderr.push(c));
  child.stdout.on('close', closed);
  child.stderr.on('close', closed);
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    if (open === 0) finish();
    // Background children may hold the pipes open; their output after this is not waited for.
    else setTimeout(finish, ${DRAIN_AFTER_EXIT_MS}).unref();
  });
}
`;

/** Writes the wrapper into `dataDir` (once per version) and returns its path. */
export async function installWrapper(dataDir: string): Promise<string> {
  const hash = createHash('sha256').update(WRAPPER_SOURCE).digest('hex').slice(0, 12);
  const file = join(dataDir, `process-wrapper-${hash}.cjs`);
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing !== WRAPPER_SOURCE) {
    await mkdir(dataDir, { recursive: true });
    const tmp = `${file}.tmp`;
    await writeFile(tmp, WRAPPER_SOURCE, { mode: 0o644 });
    await rename(tmp, file);
  }
  return file;
}

/**
 * How a wrapper is spawned, stdio aside. `detached` is what lets the task outlive a worker killed
 * with SIGKILL: the wrapper gets its own session and process group, which the worker's death
 * does not touch. (Exported so a test can start a wrapper from a process it then kills.)
 */
export function wrapperCommand(options: { nodePath: string; wrapperPath: string; taskDir: string }): {
  file: string;
  args: string[];
  options: { detached: true; cwd: string; env: Record<string, string> };
} {
  return {
    file: options.nodePath,
    args: [options.wrapperPath, options.taskDir],
    options: {
      detached: true,
      cwd: options.taskDir,
      // The wrapper's own environment is not the task's (that comes from state.json).
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    },
  };
}

export type WrapperStart = { pid: number; wrapperPid: number } | { error: string; wrapperPid: number };

/**
 * Starts the wrapper for a task directory and waits for its one line: the task's pid, or why
 * its process could not start. The wrapper is left running on its own (detached, unreferenced).
 */
export async function startWrapper(options: {
  nodePath: string;
  wrapperPath: string;
  taskDir: string;
  taskId: string;
  clock: Clock;
  timeoutMs: number;
}): Promise<WrapperStart> {
  // The wrapper's own failures (not the task's output) go to wrapper.log, for whoever debugs it.
  const wrapperLog = openSync(join(options.taskDir, 'wrapper.log'), 'a');
  let child;
  try {
    const command = wrapperCommand(options);
    child = spawn(command.file, command.args, { ...command.options, stdio: ['ignore', 'pipe', wrapperLog] });
  } finally {
    closeSync(wrapperLog);
  }
  const wrapperPid = child.pid;
  return new Promise<WrapperStart>((resolve, reject) => {
    let output = '';
    let done = false;
    const finish = (result: WrapperStart | Error): void => {
      if (done) return;
      done = true;
      timer.cancel();
      child.stdout?.destroy();
      child.unref();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = options.clock.setTimer(options.timeoutMs, () =>
      finish(
        new ProcessExecutorError(
          'PROCESS_WRAPPER_TIMEOUT',
          `the process wrapper did not report within ${options.timeoutMs} ms`,
          options.taskId,
        ),
      ),
    );
    child.on('error', (error) => finish(error));
    child.stdout?.on('error', () => {
      // Destroying our end after the first line is expected; nothing else can fail here.
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const nl = output.indexOf('\n');
      if (nl < 0) return;
      finish(parseWrapperLine(output.slice(0, nl), wrapperPid ?? 0));
    });
    child.stdout?.on('end', () =>
      finish(new Error(`the process wrapper ended without reporting (output: ${JSON.stringify(output)})`)),
    );
  });
}

function parseWrapperLine(line: string, wrapperPid: number): WrapperStart | Error {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return new Error(`the process wrapper said something unexpected: ${JSON.stringify(line)}`);
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const p = parsed as { pid?: unknown; error?: unknown };
    if (typeof p.pid === 'number') return { pid: p.pid, wrapperPid };
    if (typeof p.error === 'string') return { error: p.error, wrapperPid };
  }
  return new Error(`the process wrapper said something unexpected: ${JSON.stringify(line)}`);
}
