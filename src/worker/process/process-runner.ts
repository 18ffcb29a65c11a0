// One task run as a plain local process (the process executor's TaskRunner): prepare writes the
// task's directory, secrets, configs and launch record; start hands it to a detached wrapper;
// wait and inspect read what the wrapper records; shutdown signals the task's process group.

import { constants as osConstants } from 'node:os';
import { chmod, chown, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { ContainerSpec, FileTarget } from '../../api/index.js';
import {
  DEFAULT_STOP_GRACE_PERIOD,
  expandEnvEntry,
  expandTemplate,
  templateContext,
  TemplateError,
  toMilliseconds,
} from '../../api/index.js';
import type { Clock, ClockTimer } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import {
  TaskFailure,
  type ExitStatus,
  type LogLine,
  type LogOptions,
  type RunnerStatus,
  type TaskContext,
  type TaskRunner,
} from '../executor.js';
import { HealthMonitor, healthSettings } from './health.js';
import { readLogs } from './log-files.js';
import {
  ProcessExecutorError,
  readRecord,
  taskPaths,
  writeRecord,
  type LaunchSpec,
  type TaskPaths,
  type TaskRecord,
} from './task-files.js';
import { isRunning, observe, removeTaskDir, stopProcess, UNKNOWN_EXIT_CODE } from './task-process.js';
import { resolveUser, type Identity, type UserFiles } from './users.js';
import { startWrapper } from './wrapper.js';

/** The PATH a task gets unless its env sets one: Docker's default for Linux containers. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** containerSpec fields that only mean something for containers: ignored here, and logged. */
const CONTAINER_ONLY_FIELDS = [
  'image',
  'mounts',
  'tty',
  'openStdin',
  'readOnly',
  'groups',
  'dnsConfig',
  'init',
  'sysctls',
  'capabilityAdd',
  'capabilityDrop',
  'ulimits',
] as const satisfies ReadonlyArray<keyof ContainerSpec>;

/** What the executor shares with its runners. */
export interface RunnerDeps {
  dataDir: string;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
  startTimeoutMs: number;
  nodePath: string;
  wrapperPath: () => Promise<string>;
  userFiles: () => Promise<UserFiles>;
  /** The worker's own uid/gid: switching to another identity needs root (uid 0). */
  uid: number;
  gid: number;
  /** Called once a runner's task is removed: the executor stops tracking it. */
  release: (runner: ProcessRunner) => void;
}

function exitStatusOf(record: TaskRecord): ExitStatus {
  return { exitCode: record.exitCode ?? UNKNOWN_EXIT_CODE, message: record.exitMessage ?? '' };
}

export function stopSignalOf(spec: string | undefined): NodeJS.Signals {
  if (!spec) return 'SIGTERM';
  const upper = spec.toUpperCase();
  const signals = osConstants.signals as Record<string, number>;
  const name = /^\d+$/.test(upper)
    ? Object.keys(signals).find((k) => signals[k] === Number(upper))
    : upper.startsWith('SIG')
      ? upper
      : `SIG${upper}`;
  if (name === undefined || !(name in signals)) throw new TaskFailure(`invalid stop signal: ${spec}`, true);
  return name as NodeJS.Signals;
}

/** A file target's path below `root`, refusing any that would land outside it. */
function targetPath(root: string, name: string, kind: 'secret' | 'config'): string {
  // Configs may name absolute paths (for containers); here they land below configs/ as given.
  const relative = kind === 'config' && isAbsolute(name) ? name.replace(/^\/+/, '') : name;
  const path = normalize(join(root, relative));
  if (isAbsolute(relative) || !path.startsWith(root + sep))
    throw new TaskFailure(
      `invalid ${kind} target ${JSON.stringify(name)}: it leaves the task's ${kind}s directory`,
      true,
    );
  return path;
}

export class ProcessRunner implements TaskRunner {
  private readonly paths: TaskPaths;
  private readonly logger: Logger;
  private watch: { exited: Promise<ExitStatus>; close(): void } | undefined;
  private health: HealthMonitor | undefined;
  private closed = false;

  constructor(
    private readonly context: TaskContext,
    private readonly deps: RunnerDeps,
  ) {
    this.paths = taskPaths(deps.dataDir, context.task.id);
    this.logger = deps.logger.child({ taskId: context.task.id });
  }

  async prepare(): Promise<void> {
    // Idempotent: a task with a record is prepared (or further along) already.
    if (await readRecord(this.paths)) return;
    const spec = this.context.task.spec.containerSpec;
    const ignored = CONTAINER_ONLY_FIELDS.filter((f) => f !== 'image' && spec[f] !== undefined);
    if (ignored.length > 0)
      this.logger.warn('the process executor ignores these containerSpec fields', { fields: ignored });
    if (!spec.command || spec.command.length === 0)
      throw new TaskFailure(
        'the process executor runs containerSpec.command with its args; this task has no command (its image is not used)',
        true,
      );
    const identity = spec.user ? await this.identity(spec.user) : undefined;
    const stopSignal = stopSignalOf(spec.stopSignal);
    const cwd = spec.dir ?? this.paths.work;
    if (spec.dir) {
      const isDir = await stat(spec.dir).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!isDir) throw new TaskFailure(`working directory ${spec.dir} does not exist on this node`, true);
    }

    const owner = this.deps.uid === 0 && identity ? identity : undefined;
    await mkdir(this.paths.dir, { recursive: true, mode: 0o711 });
    await chmod(this.paths.dir, 0o711);
    await this.makeDir(this.paths.work, 0o755, owner);
    // Read-only for the task's user, as Docker's /run/secrets (a read-only tmpfs) is.
    await this.makeDir(this.paths.secrets, 0o500, owner);
    await this.makeDir(this.paths.configs, 0o500, owner);
    for (const ref of spec.secrets ?? []) {
      const secret = this.context.secrets.get(ref.secretId);
      if (!secret) throw new TaskFailure(`secret ${ref.secretName} (${ref.secretId}) was not provided`, true);
      await this.writeTarget(targetPath(this.paths.secrets, ref.file.name, 'secret'), secret.data, ref.file);
    }
    for (const ref of spec.configs ?? []) {
      const config = this.context.configs.get(ref.configId);
      if (!config) throw new TaskFailure(`config ${ref.configName} (${ref.configId}) was not provided`, true);
      await this.writeTarget(targetPath(this.paths.configs, ref.file.name, 'config'), config.data, ref.file);
    }
    await writeFile(this.paths.stdout, '', { flag: 'a', mode: 0o600 });
    await writeFile(this.paths.stderr, '', { flag: 'a', mode: 0o600 });

    const launch: LaunchSpec = {
      file: spec.command[0] ?? '',
      args: [...spec.command.slice(1), ...(spec.args ?? [])],
      env: this.environment(spec, identity),
      cwd,
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    };
    // The record comes last: its presence is what "prepared" means.
    await writeRecord(this.paths, {
      version: 1,
      taskId: this.context.task.id,
      serviceId: this.context.task.serviceId,
      launch,
      stopSignal,
      stopGraceMs: toMilliseconds(spec.stopGracePeriod ?? DEFAULT_STOP_GRACE_PERIOD),
    });
  }

  async start(): Promise<void> {
    const record = await readRecord(this.paths);
    if (!record) throw new TaskFailure('the task is not prepared on this node', false);
    if (record.pid !== undefined || record.exitCode !== undefined) {
      if (await isRunning(record)) return;
      const exit = exitStatusOf((await observe(this.paths))?.record ?? record);
      throw new TaskFailure(
        `the task's process already ran and exited (${exit.exitCode})`,
        false,
        exit.exitCode,
      );
    }
    const started = await startWrapper({
      nodePath: this.deps.nodePath,
      wrapperPath: await this.deps.wrapperPath(),
      taskDir: this.paths.dir,
      taskId: record.taskId,
      clock: this.deps.clock,
      timeoutMs: this.deps.startTimeoutMs,
    });
    if ('error' in started) {
      const after = await readRecord(this.paths);
      throw new TaskFailure(started.error, false, after?.exitCode);
    }
    this.logger.info('task process started', { pid: started.pid, wrapperPid: started.wrapperPid });
    const health = this.startHealth(record);
    if (!health) return;
    // With a healthcheck, start resolves once healthy (as Swarm's container start does).
    const verdict = await Promise.race([health.settled(), this.exitWatch().then((exit) => ({ exit }))]);
    if (typeof verdict === 'object') {
      throw new TaskFailure(
        verdict.exit.exitCode === 0
          ? 'task: exited before it became healthy'
          : `task: non-zero exit (${verdict.exit.exitCode})`,
        false,
        verdict.exit.exitCode,
      );
    }
    if (verdict === 'unhealthy') throw new TaskFailure('unhealthy container', false);
    if (verdict === 'starting') throw this.closedError();
  }

  async wait(): Promise<ExitStatus> {
    const observed = await observe(this.paths);
    if (!observed) throw new TaskFailure("the task's process is gone", false);
    if (observed.status.state === 'created') throw new TaskFailure('the task was never started', false);
    if (observed.status.state === 'exited') {
      await this.stopHealth();
      return exitStatusOf(observed.record);
    }
    const health = this.startHealth(observed.record);
    const exited = this.exitWatch();
    if (!health) return exited;
    const first = await Promise.race([exited, health.unhealthy().then(() => 'unhealthy' as const)]);
    // The process is left running: the controller shuts it down.
    if (first === 'unhealthy') throw new TaskFailure('unhealthy container', false);
    return first;
  }

  async shutdown(): Promise<void> {
    const record = await readRecord(this.paths);
    if (!record) return;
    await stopProcess(this.paths, record.stopSignal as NodeJS.Signals, record.stopGraceMs, this.deps);
    await this.stopHealth();
  }

  async terminate(): Promise<void> {
    await stopProcess(this.paths, 'SIGKILL', 0, this.deps);
    await this.stopHealth();
  }

  async remove(): Promise<void> {
    await this.stopHealth();
    await removeTaskDir(this.paths, this.deps);
    this.deps.release(this);
  }

  async inspect(): Promise<RunnerStatus | null> {
    const observed = await observe(this.paths);
    if (!observed) return null;
    const health = this.health?.status ?? 'none';
    return { ...observed.status, health: observed.status.state === 'running' ? health : 'none' };
  }

  logs(options: LogOptions): AsyncIterable<LogLine> {
    return readLogs({
      ...options,
      stdoutFile: this.paths.stdout,
      stderrFile: this.paths.stderr,
      clock: this.deps.clock,
      pollIntervalMs: this.deps.pollIntervalMs,
      ended: async () => (await observe(this.paths))?.status.state !== 'running',
    });
  }

  /** Stops watching (the executor closes): the process stays; pending calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.watch?.close();
    this.watch = undefined;
    await this.stopHealth();
  }

  private closedError(): ProcessExecutorError {
    return new ProcessExecutorError(
      'PROCESS_EXECUTOR_CLOSED',
      'the process executor was closed',
      this.context.task.id,
    );
  }

  private async identity(user: string): Promise<Identity> {
    const identity = resolveUser(user, await this.deps.userFiles());
    if (this.deps.uid !== 0 && (identity.uid !== this.deps.uid || identity.gid !== this.deps.gid))
      throw new TaskFailure(
        `cannot run as user "${user}" (uid ${identity.uid}, gid ${identity.gid}): the worker does not run as root`,
        true,
      );
    return identity;
  }

  private environment(spec: ContainerSpec, identity: Identity | undefined): Record<string, string> {
    // Swarm's templates ({{.Task.Slot}}, {{.Node.Hostname}} …) expand in env values and the
    // hostname, as the Docker executor does.
    const templates = templateContext(this.context);
    const expand = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (error) {
        if (error instanceof TemplateError) throw new TaskFailure(error.message, true);
        throw error;
      }
    };
    // A minimal environment, not the worker's: a task sees what its spec gives it, as in Docker.
    const env: Record<string, string> = {
      PATH: DEFAULT_PATH,
      HOSTNAME:
        spec.hostname === undefined
          ? this.context.node.hostname
          : expand(() => expandTemplate(spec.hostname!, templates)),
      FLOTILLA_SECRETS_DIR: this.paths.secrets,
      FLOTILLA_CONFIGS_DIR: this.paths.configs,
    };
    if (identity?.home) env.HOME = identity.home;
    for (const raw of spec.env ?? []) {
      const entry = expand(() => expandEnvEntry(raw, templates));
      const eq = entry.indexOf('=');
      // `KEY` alone unsets KEY.
      if (eq < 0) delete env[entry];
      else env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  }

  private async makeDir(path: string, mode: number, owner: Identity | undefined): Promise<void> {
    await mkdir(path, { recursive: true });
    await chmod(path, mode);
    if (owner) await chown(path, owner.uid, owner.gid);
  }

  private async writeTarget(path: string, data: Uint8Array, file: FileTarget): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const mode = file.mode ?? 0o444;
    await writeFile(path, data, { mode });
    await chmod(path, mode);
    // Owner as Docker: the target's uid/gid, root when absent. Only root can give files away.
    if (this.deps.uid === 0) await chown(path, Number(file.uid ?? '0'), Number(file.gid ?? '0'));
  }

  private startHealth(record: TaskRecord): HealthMonitor | undefined {
    if (this.health || this.closed) return this.health;
    const settings = healthSettings(this.context.task.spec.containerSpec.healthcheck);
    if (!settings) return undefined;
    this.health = new HealthMonitor({
      settings,
      launch: record.launch,
      clock: this.deps.clock,
      logger: this.logger,
    });
    this.health.start();
    return this.health;
  }

  private async stopHealth(): Promise<void> {
    const health = this.health;
    this.health = undefined;
    await health?.stop();
  }

  /** Resolves with how the running process ended; polls its record and liveness. */
  private exitWatch(): Promise<ExitStatus> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.watch) return this.watch.exited;
    let timer: ClockTimer | undefined;
    let stopped = false;
    let rejectWatch!: (error: Error) => void;
    const exited = new Promise<ExitStatus>((resolve, reject) => {
      rejectWatch = reject;
      const check = async (): Promise<void> => {
        const observed = await observe(this.paths);
        if (stopped) return;
        if (observed?.status.state === 'running') {
          timer = this.deps.clock.setTimer(this.deps.pollIntervalMs, () => void check().catch(reject));
          return;
        }
        this.watch = undefined;
        await this.stopHealth();
        resolve(
          observed
            ? exitStatusOf(observed.record)
            : { exitCode: UNKNOWN_EXIT_CODE, message: "the task's files are gone" },
        );
      };
      check().catch(reject);
    });
    // Handled here so a close() with nobody waiting is not an unhandled rejection.
    exited.catch(() => undefined);
    this.watch = {
      exited,
      close: () => {
        stopped = true;
        timer?.cancel();
        rejectWatch(this.closedError());
      },
    };
    return exited;
  }
}
