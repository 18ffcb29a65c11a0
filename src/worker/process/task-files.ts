// Where the process executor keeps a task on disk (`<dataDir>/tasks/<taskId>/`) and the task's
// record, state.json: how to launch it (written by prepare), its process (written by the
// wrapper once it runs) and how it ended (wrapper, or the executor when it had to kill it).

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ProcessExecutorErrorCode =
  /** A task id that is not safe as a directory name. */
  | 'PROCESS_BAD_TASK_ID'
  /** A state.json that does not parse or validate (hand-edited, or from another version). */
  | 'PROCESS_BAD_RECORD'
  /** The executor was closed while a call waited on a task. */
  | 'PROCESS_EXECUTOR_CLOSED'
  /** The wrapper did not report within its start timeout. */
  | 'PROCESS_WRAPPER_TIMEOUT';

export class ProcessExecutorError extends Error {
  override readonly name = 'ProcessExecutorError';
  constructor(
    readonly code: ProcessExecutorErrorCode,
    message: string,
    readonly taskId?: string,
  ) {
    super(message);
  }
}

/** What the wrapper runs: argv, environment, working directory and identity, all resolved. */
export interface LaunchSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
}

export interface TaskRecord {
  version: 1;
  taskId: string;
  serviceId: string;
  launch: LaunchSpec;
  stopSignal: string;
  stopGraceMs: number;
  /** The wrapper's pid, which is also the task's process group id (it runs detached). */
  pid?: number;
  /** The wrapper's start time, /proc/<pid>/stat field 22: tells a reused pid from ours. */
  startTime?: number;
  /** The task's own process (the wrapper's child). */
  childPid?: number;
  startedAt?: string;
  /** Set once the task's process has ended. */
  exitCode?: number;
  exitMessage?: string;
  finishedAt?: string;
}

const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface TaskPaths {
  dir: string;
  state: string;
  stdout: string;
  stderr: string;
  secrets: string;
  configs: string;
  /** The default working directory. */
  work: string;
}

export function tasksDir(dataDir: string): string {
  return join(dataDir, 'tasks');
}

export function taskPaths(dataDir: string, taskId: string): TaskPaths {
  // The id becomes a directory name: anything that could climb out of tasks/ is refused.
  if (!TASK_ID_PATTERN.test(taskId) || taskId === '.' || taskId === '..')
    throw new ProcessExecutorError('PROCESS_BAD_TASK_ID', `not a usable task id: ${JSON.stringify(taskId)}`);
  const dir = join(tasksDir(dataDir), taskId);
  return {
    dir,
    state: join(dir, 'state.json'),
    stdout: join(dir, 'stdout.log'),
    stderr: join(dir, 'stderr.log'),
    secrets: join(dir, 'secrets'),
    configs: join(dir, 'configs'),
    work: join(dir, 'work'),
  };
}

/** The task's record, or null when it has none (never prepared, or removed). */
export async function readRecord(paths: TaskPaths): Promise<TaskRecord | null> {
  let text: string;
  try {
    text = await readFile(paths.state, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProcessExecutorError('PROCESS_BAD_RECORD', `${paths.state} is not JSON`);
  }
  return validateRecord(parsed, paths.state);
}

/** Writes the record whole, through a temporary file and a rename, so a reader never sees half. */
export async function writeRecord(paths: TaskPaths, record: TaskRecord): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
  const tmp = `${paths.state}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
  await rename(tmp, paths.state);
}

function validateRecord(value: unknown, file: string): TaskRecord {
  const bad = (what: string): never => {
    throw new ProcessExecutorError('PROCESS_BAD_RECORD', `${file}: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return bad('not an object');
  const r = value as Record<string, unknown>;
  if (r.version !== 1) bad(`unknown version ${String(r.version)}`);
  const str = (key: string): string => (typeof r[key] === 'string' ? r[key] : bad(`${key} is not a string`));
  const int = (v: unknown, key: string): number =>
    typeof v === 'number' && Number.isInteger(v) ? v : bad(`${key} is not an integer`);
  const optInt = (key: string): number | undefined => (r[key] === undefined ? undefined : int(r[key], key));
  const optStr = (key: string): string | undefined => (r[key] === undefined ? undefined : str(key));
  const l = r.launch;
  if (typeof l !== 'object' || l === null) return bad('launch is not an object');
  const launchIn = l as Record<string, unknown>;
  if (typeof launchIn.file !== 'string' || typeof launchIn.cwd !== 'string')
    return bad('launch is incomplete');
  if (!Array.isArray(launchIn.args) || !launchIn.args.every((a) => typeof a === 'string'))
    return bad('launch.args is not a list of strings');
  const envIn = launchIn.env;
  if (typeof envIn !== 'object' || envIn === null) return bad('launch.env is not an object');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(envIn)) env[k] = typeof v === 'string' ? v : bad(`launch.env.${k}`);
  const launch: LaunchSpec = { file: launchIn.file, args: launchIn.args, env, cwd: launchIn.cwd };
  if (launchIn.uid !== undefined) launch.uid = int(launchIn.uid, 'launch.uid');
  if (launchIn.gid !== undefined) launch.gid = int(launchIn.gid, 'launch.gid');
  const record: TaskRecord = {
    version: 1,
    taskId: str('taskId'),
    serviceId: str('serviceId'),
    launch,
    stopSignal: str('stopSignal'),
    stopGraceMs: int(r.stopGraceMs, 'stopGraceMs'),
  };
  const optional = {
    pid: optInt('pid'),
    startTime: optInt('startTime'),
    childPid: optInt('childPid'),
    startedAt: optStr('startedAt'),
    exitCode: optInt('exitCode'),
    exitMessage: optStr('exitMessage'),
    finishedAt: optStr('finishedAt'),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(record, { [k]: v });
  return record;
}
