// The host side of secrets and configs: one tmpfs per executor at `<dataDir>/secrets` (so secret
// bytes never touch a disk), one directory per task in it, one file per reference with its
// uid/gid/mode; the container bind-mounts each file read-only at its target.

import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_FILE_TARGET, type FileTarget } from '../../api/index.js';
import type { Logger } from '../../util/logger.js';
import type { TaskContext } from '../executor.js';
import { TaskFailure } from '../executor.js';
import type { FileMount } from './container-config.js';

/** Runs a command, rejecting when it fails (injected so tests need not mount anything). */
export type RunCommand = (file: string, args: readonly string[]) => Promise<void>;

const execFileAsync = promisify(execFile);
export const runCommand: RunCommand = async (file, args) => {
  await execFileAsync(file, [...args]);
};

export interface SecretFilesOptions {
  /** The tmpfs mount point: `<dataDir>/secrets`. */
  dir: string;
  logger: Logger;
  runCommand?: RunCommand;
  /** Whether this process may mount (root); defaults to asking the OS. */
  isRoot?: boolean;
}

export class SecretFiles {
  private mounted: Promise<void> | undefined;
  /** Whether `dir` is a tmpfs this executor mounted (so it may unmount it). */
  private mountedHere = false;

  constructor(private readonly options: SecretFilesOptions) {
    // mountinfo lists absolute paths: compare like with like.
    this.options = { ...options, dir: resolve(options.dir) };
  }

  /** Writes the task's secret and config files; returns the bind mounts that show them. */
  async writeTask(context: TaskContext): Promise<FileMount[]> {
    const spec = context.task.spec.containerSpec;
    const secrets = spec.secrets ?? [];
    const configs = spec.configs ?? [];
    if (secrets.length === 0 && configs.length === 0) return [];
    await this.ensureMounted();
    const taskDir = this.taskDir(context.task.id);
    await mkdir(taskDir, { recursive: true, mode: 0o700 });
    const mounts: FileMount[] = [];
    for (const [i, ref] of secrets.entries()) {
      const data = context.secrets.get(ref.secretId);
      if (data === undefined)
        throw new TaskFailure(`secret ${ref.secretName} (${ref.secretId}) is not available`, true);
      const source = join(taskDir, `secret-${i}`);
      await writeFileAs(source, data.data, ref.file);
      // Relative secret targets live under /run/secrets, as in Docker.
      mounts.push({ source, target: posix.resolve('/run/secrets', ref.file.name) });
    }
    for (const [i, ref] of configs.entries()) {
      const data = context.configs.get(ref.configId);
      if (data === undefined)
        throw new TaskFailure(`config ${ref.configName} (${ref.configId}) is not available`, true);
      const source = join(taskDir, `config-${i}`);
      await writeFileAs(source, data.data, ref.file);
      // Docker puts a config with a relative target at the root: `/<name>`.
      mounts.push({ source, target: posix.resolve('/', ref.file.name) });
    }
    return mounts;
  }

  /** Removes the task's files. Idempotent. */
  async removeTask(taskId: string): Promise<void> {
    await rm(this.taskDir(taskId), { recursive: true, force: true });
  }

  taskDir(taskId: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(taskId) || taskId === '.' || taskId === '..') {
      throw new TaskFailure(`task id ${JSON.stringify(taskId)} cannot name a directory`, true);
    }
    return join(this.options.dir, taskId);
  }

  /** Unmounts the tmpfs when this executor mounted it; files of tasks still running go with it. */
  async unmount(): Promise<void> {
    if (!this.mountedHere) return;
    await (this.options.runCommand ?? runCommand)('umount', [this.options.dir]);
    this.mountedHere = false;
    this.mounted = undefined;
  }

  private ensureMounted(): Promise<void> {
    this.mounted ??= this.mount().catch((error: unknown) => {
      this.mounted = undefined;
      throw error;
    });
    return this.mounted;
  }

  private async mount(): Promise<void> {
    const { dir, logger } = this.options;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    // A tmpfs already there is this node's from before a restart: its files serve adopted tasks.
    if (await isTmpfsMountPoint(dir)) return;
    const isRoot = this.options.isRoot ?? process.getuid?.() === 0;
    if (!isRoot) {
      logger.warn('not root: secrets are kept in a plain 0700 directory, not on a tmpfs', { dir });
      return;
    }
    try {
      await (this.options.runCommand ?? runCommand)('mount', [
        '-t',
        'tmpfs',
        '-o',
        'mode=0700',
        'tmpfs',
        dir,
      ]);
      this.mountedHere = true;
    } catch (error) {
      logger.warn('cannot mount a tmpfs for secrets: they are kept in a plain 0700 directory', {
        dir,
        error,
      });
    }
  }
}

async function writeFileAs(path: string, data: Uint8Array, target: FileTarget): Promise<void> {
  const mode = target.mode ?? DEFAULT_FILE_TARGET.mode;
  await writeFile(path, data, { mode });
  // writeFile's mode is filtered by the umask and ignored for an existing file.
  await chmod(path, mode);
  const uid = Number(target.uid ?? DEFAULT_FILE_TARGET.uid);
  const gid = Number(target.gid ?? DEFAULT_FILE_TARGET.gid);
  try {
    await chown(path, uid, gid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    throw new TaskFailure(
      `cannot give ${target.name} to uid ${uid} gid ${gid}: the worker is not root`,
      true,
    );
  }
}

/** Whether `dir` is itself a tmpfs mount point, per /proc/self/mountinfo. */
export async function isTmpfsMountPoint(dir: string): Promise<boolean> {
  let table: string;
  try {
    table = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return false; // No procfs (not Linux): nothing is mounted by this code either.
  }
  const decode = (field: string): string =>
    field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  let found = false;
  for (const line of table.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const mountPoint = left.split(' ')[4];
    if (mountPoint !== undefined && decode(mountPoint) === dir) {
      // The last entry for a mount point is the one on top.
      found = right.split(' ')[0] === 'tmpfs';
    }
  }
  return found;
}
