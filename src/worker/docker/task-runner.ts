// One task's container on the local engine: prepare (image, secret files, create), start (and
// wait for healthy), wait (through the executor's shared events stream), stop, kill, remove,
// inspect and logs. The hot path is two engine calls, create and start, as a bare client's.

import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { DEFAULT_PULL_POLICY, TemplateError } from '../../api/index.js';
import type { Logger } from '../../util/logger.js';
import {
  TaskFailure,
  type ExitStatus,
  type HealthState,
  type LogLine,
  type LogOptions,
  type RunnerStatus,
  type TaskContext,
  type TaskRunner,
} from '../executor.js';
import {
  containerCreateBody,
  containerName,
  hasHealthcheck,
  hostModePorts,
  isActiveHealthTest,
  publishedHostPorts,
  stopTimeoutSeconds,
  TASK_LABELS,
  type ContainerCreateBody,
} from './container-config.js';
import type { ContainerEvent, ContainerEvents } from './container-events.js';
import { engineMessage, isConflict, isEngineAnswer, isNotFound, isNotModified } from './engine-errors.js';
import type { ImageStore } from './images.js';
import { LogDecoder } from './log-stream.js';
import type { SecretFiles } from './secret-files.js';

export interface RunnerDeps {
  docker: Dockerode;
  images: ImageStore;
  events: ContainerEvents;
  secretFiles: SecretFiles;
  extraLabels: Readonly<Record<string, string>>;
  /** Where host-mode ports are bound ('' for every interface). */
  publishHost: string;
  logger: Logger;
}

interface KnownContainer {
  id: string;
  healthcheck: boolean;
  tty: boolean;
}

export class DockerTaskRunner implements TaskRunner {
  private container: KnownContainer | undefined;
  /** The events epoch in which this runner started the container (its seen state is complete). */
  private startedInEpoch: number | undefined;
  /** shutdown() or terminate() was called: the exit that follows is ours, not the task's. */
  private stopRequested = false;
  private readonly logger: Logger;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly context: TaskContext,
  ) {
    this.logger = deps.logger.child({ taskId: context.task.id });
  }

  async prepare(): Promise<RunnerStatus | void> {
    if (this.container !== undefined) return;
    const spec = this.context.task.spec.containerSpec;
    const image = await this.deps.images.ensure(spec.image, spec.pullPolicy ?? DEFAULT_PULL_POLICY);
    const fileMounts = await this.deps.secretFiles.writeTask(this.context);
    let body: ContainerCreateBody;
    try {
      body = containerCreateBody(this.context, fileMounts, this.deps.extraLabels, this.deps.publishHost);
    } catch (error) {
      if (error instanceof TemplateError) throw new TaskFailure(error.message, true);
      throw error;
    }
    const healthcheck = hasHealthcheck(spec, image.healthTest);
    try {
      this.container = { id: await this.create(body), healthcheck, tty: spec.tty === true };
    } catch (error) {
      if (isNotFound(error)) {
        // The image went away since it was cached: look again (and pull per policy) once.
        this.deps.images.forget(spec.image);
        await this.deps.images.ensure(spec.image, spec.pullPolicy ?? DEFAULT_PULL_POLICY);
        this.container = { id: await this.createOrFail(body), healthcheck, tty: spec.tty === true };
        return createdStatus(this.container.id);
      }
      if (isConflict(error)) {
        // The name is taken: this task's container already exists (adoption after a restart).
        return this.adopt();
      }
      throw asPrepareFailure(error);
    }
    return createdStatus(this.container.id);
  }

  async start(): Promise<void> {
    const container = await this.known();
    const { events } = this.deps;
    // Open the shared events stream before starting, so no event of this run can be missed.
    await events.ready();
    const epoch = events.epoch;
    let alreadyRunning = false;
    try {
      await this.deps.docker.getContainer(container.id).start();
    } catch (error) {
      if (isNotModified(error)) alreadyRunning = true;
      else if (isEngineAnswer(error)) throw new TaskFailure(engineMessage(error), false);
      else throw error;
    }
    if (!alreadyRunning) this.startedInEpoch = epoch;
    // The engine answers start once the process runs; without a healthcheck that is the goal.
    if (!container.healthcheck) return;
    await this.until(container.id, (state) => {
      if (state.exited !== undefined) {
        return new TaskFailure(
          `container exited with code ${state.exited.exitCode} before becoming healthy`,
          false,
          state.exited.exitCode,
        );
      }
      if (state.health === 'unhealthy') return new TaskFailure('container unhealthy', false);
      return state.health === 'healthy' ? true : undefined;
    });
  }

  async wait(): Promise<ExitStatus> {
    const container = await this.known();
    await this.deps.events.ready();
    let exit: { exitCode: number } | undefined;
    await this.until(container.id, (state) => {
      if (state.exited !== undefined) {
        exit = state.exited;
        return true;
      }
      if (state.health === 'unhealthy') return new TaskFailure('container unhealthy', false);
      return undefined;
    });
    const exitCode = exit?.exitCode ?? -1;
    // An exit we asked for needs no explanation (and no inspect queued behind other stops).
    if (this.stopRequested) return { exitCode, message: '' };
    // The die event carries the code; the engine's words (OOMKilled, a start error) need a look.
    const info = await this.inspectRaw(container.id);
    if (info === null) return { exitCode, message: '' };
    const message = info.State.OOMKilled ? 'OOMKilled' : info.State.Error;
    return { exitCode: info.State.ExitCode, message };
  }

  async shutdown(): Promise<void> {
    const container = await this.find();
    if (container === undefined) return;
    const spec = this.context.task.spec.containerSpec;
    this.stopRequested = true;
    try {
      // The stop signal is in the container's config; `t` bounds the wait before SIGKILL.
      await this.deps.docker.getContainer(container.id).stop({ t: stopTimeoutSeconds(spec) });
    } catch (error) {
      if (isNotModified(error) || isNotFound(error)) return;
      throw error;
    }
  }

  async terminate(): Promise<void> {
    const container = await this.find();
    if (container === undefined) return;
    this.stopRequested = true;
    try {
      await this.deps.docker.getContainer(container.id).kill();
    } catch (error) {
      // 409: not running; 404: gone. Both leave nothing to kill.
      if (isConflict(error) || isNotFound(error)) return;
      throw error;
    }
  }

  async remove(): Promise<void> {
    const container = await this.find();
    if (container !== undefined) {
      await removeContainer(this.deps.docker, container.id);
      this.deps.events.forget(container.id);
    }
    this.container = undefined;
    await this.deps.secretFiles.removeTask(this.context.task.id);
  }

  async inspect(): Promise<RunnerStatus | null> {
    const info = await this.inspectRaw(this.container?.id ?? containerName(this.context));
    if (info === null || info.Config.Labels?.[TASK_LABELS.taskId] !== this.context.task.id) return null;
    this.remember(info);
    const status = runnerStatus(info);
    if (hostModePorts(this.context.task).length === 0) return status;
    return { ...status, ports: publishedHostPorts(this.context.task, info.NetworkSettings.Ports) };
  }

  logs(options: LogOptions): AsyncIterable<LogLine> {
    return this.readLogs(options);
  }

  // ---- internals ---------------------------------------------------------------------------

  private async create(body: ContainerCreateBody): Promise<string> {
    // Typed after the engine's API (container-config.ts); dockerode sends it untouched.
    const created = await this.deps.docker.createContainer(
      body as unknown as Dockerode.ContainerCreateOptions,
    );
    return created.id;
  }

  private async createOrFail(body: ContainerCreateBody): Promise<string> {
    try {
      return await this.create(body);
    } catch (error) {
      throw asPrepareFailure(error);
    }
  }

  private async adopt(): Promise<RunnerStatus> {
    const info = await this.inspectRaw(containerName(this.context));
    if (info === null) throw new TaskFailure(`container name ${containerName(this.context)} is taken`, true);
    if (info.Config.Labels?.[TASK_LABELS.taskId] !== this.context.task.id) {
      throw new TaskFailure(
        `container name ${containerName(this.context)} is used by a container of another task`,
        true,
      );
    }
    this.logger.info('adopted the existing container', { containerId: info.Id });
    this.remember(info);
    return runnerStatus(info);
  }

  /** The container this runner drives: created here, or found by its name (adopted). */
  private async known(): Promise<KnownContainer> {
    const container = await this.find();
    if (container === undefined)
      throw new TaskFailure('the task has no container (not prepared, or removed)', false);
    return container;
  }

  private async find(): Promise<KnownContainer | undefined> {
    if (this.container !== undefined) return this.container;
    const info = await this.inspectRaw(containerName(this.context));
    if (info === null || info.Config.Labels?.[TASK_LABELS.taskId] !== this.context.task.id) return undefined;
    return this.remember(info);
  }

  private remember(info: Dockerode.ContainerInspectInfo): KnownContainer {
    this.container = {
      id: info.Id,
      healthcheck: isActiveHealthTest(info.Config.Healthcheck?.Test),
      tty: info.Config.Tty,
    };
    return this.container;
  }

  private async inspectRaw(idOrName: string): Promise<Dockerode.ContainerInspectInfo | null> {
    try {
      return await this.deps.docker.getContainer(idOrName).inspect();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * Resolves when `decide` says true, rejects with what it returns as an error; it is asked
   * with what the events stream saw (when that is the whole story) or what inspect shows, and
   * again on every event of the container and after every reconnect of the stream.
   */
  private until(containerId: string, decide: (state: Observed) => true | Error | undefined): Promise<void> {
    const { events } = this.deps;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let unsubscribe = (): void => {};
      const settle = (outcome: true | Error | undefined): void => {
        if (settled || outcome === undefined) return;
        settled = true;
        unsubscribe();
        if (outcome === true) resolve();
        else reject(outcome);
      };
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const lookAgain = (): void => {
        this.observeByInspect(containerId).then((state) => settle(decide(state)), fail);
      };
      unsubscribe = events.subscribe(containerId, {
        onEvent: (event: ContainerEvent) => {
          if (event.action === 'destroy') {
            settle(new TaskFailure('container removed', false));
            return;
          }
          const seen = events.seenState(containerId);
          if (seen !== undefined) settle(decide(observedFromSeen(seen)));
        },
        onResync: lookAgain,
        onClosed: fail,
      });
      if (settled) return;
      const seen = events.seenState(containerId);
      // Started by this runner in the stream's current epoch: the stream saw all of this run.
      if (this.startedInEpoch === events.epoch) {
        settle(decide(observedFromSeen(seen ?? { oomKilled: false, health: 'none' })));
      } else {
        lookAgain();
      }
    });
  }

  private async observeByInspect(containerId: string): Promise<Observed> {
    const info = await this.inspectRaw(containerId);
    if (info === null) throw new TaskFailure('container removed', false);
    const status = runnerStatus(info);
    return {
      exited: status.state === 'exited' ? { exitCode: status.exitCode } : undefined,
      health: status.health,
    };
  }

  private async *readLogs(options: LogOptions): AsyncGenerator<LogLine> {
    const container = await this.find();
    if (container === undefined) return;
    const { signal, sinceMs } = options;
    if (signal?.aborted === true) return;
    const query = {
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      // Seconds with a fraction; the engine reads the fraction's digits at their scale.
      ...(sinceMs === undefined ? {} : { since: sinceMs / 1000 }),
    };
    const decoder = new LogDecoder(!container.tty);
    const wanted = (line: LogLine): boolean => sinceMs === undefined || line.timeMs >= sinceMs;
    const target = this.deps.docker.getContainer(container.id);
    if (!options.follow) {
      // Without follow dockerode hands over the whole answer as one buffer.
      const all = await target.logs({ ...query, follow: false });
      yield* [...decoder.push(all), ...decoder.end()].filter(wanted);
      return;
    }
    const stream = (await target.logs({ ...query, follow: true })) as Readable;
    const onAbort = (): void => {
      stream.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // The iteration below consumes errors; this keeps a late one from being unhandled.
    stream.on('error', () => {});
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (const line of decoder.push(chunk)) if (wanted(line)) yield line;
      }
    } catch (error) {
      // Destroyed by the abort signal: the caller asked the stream to end; that is a clean end.
      if (!isAborted(signal)) throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
    for (const line of decoder.end()) if (wanted(line)) yield line;
  }
}

/** Read through a function: TypeScript would keep `aborted` narrowed across the awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

interface Observed {
  exited?: { exitCode: number };
  health: HealthState;
}

function observedFromSeen(seen: { exitCode?: number; health: HealthState }): Observed {
  return {
    exited: seen.exitCode === undefined ? undefined : { exitCode: seen.exitCode },
    health: seen.health,
  };
}

/** An engine answer at prepare is about the task (no such image, bad mount…): it is REJECTED. */
function asPrepareFailure(error: unknown): unknown {
  return isEngineAnswer(error) ? new TaskFailure(engineMessage(error), true) : error;
}

export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    // v: anonymous volumes go with the container, as SwarmKit removes them.
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (error) {
    // 404: already gone; 409: a removal already under way. Both end with no container.
    if (isNotFound(error) || isConflict(error)) return;
    throw error;
  }
}

export function runnerStatus(info: Dockerode.ContainerInspectInfo): RunnerStatus {
  const status = info.State.Status;
  const state: RunnerStatus['state'] =
    status === 'created'
      ? 'created'
      : status === 'running' || status === 'paused' || status === 'restarting'
        ? 'running'
        : 'exited';
  const health = info.State.Health?.Status;
  return {
    state,
    containerId: info.Id,
    pid: state === 'running' ? info.State.Pid : 0,
    exitCode: info.State.ExitCode,
    health: health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : 'none',
  };
}

/** A container just created: what an inspect would say of it. */
function createdStatus(containerId: string): RunnerStatus {
  return { state: 'created', containerId, pid: 0, exitCode: 0, health: 'none' };
}
