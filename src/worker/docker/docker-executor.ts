// The Executor on a local Docker Engine (dockerode): describes the node from `docker info`, makes
// one DockerTaskRunner per task, finds the task containers already on the node (adoption) and
// removes orphans. Owns what its runners share: the image cache, the secrets tmpfs and the one
// events stream, which close() ends.

import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { NodeDescription } from '../../api/index.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { Executor, FoundTask, TaskAddress, TaskContext, TaskRunner } from '../executor.js';
import { TASK_LABELS } from './container-config.js';
import { ContainerEvents } from './container-events.js';
import { ImageStore } from './images.js';
import { SecretFiles, type RunCommand } from './secret-files.js';
import { DockerTaskRunner, removeContainer, runnerStatus, type RunnerDeps } from './task-runner.js';

export interface DockerExecutorOptions {
  /** The worker's data directory; secrets and configs live on a tmpfs at `<dataDir>/secrets`. */
  dataDir: string;
  /** A client to use as is (tests, custom transports); otherwise one is made for `socketPath`. */
  docker?: Dockerode;
  /** The engine's socket; defaults to DOCKER_HOST (unix://…) or /var/run/docker.sock. */
  socketPath?: string;
  /** The hostname the node reports; defaults to the OS's. */
  hostname?: string;
  /**
   * Labels put on every container this executor creates, and required of every container it
   * lists or watches: lets several executors (tests, several workers on one engine) share an
   * engine without seeing each other's containers.
   */
  extraLabels?: Record<string, string>;
  /**
   * The address host-mode ports are bound on: the node's listen address (default: every
   * interface, as Swarm does). Nodes that share one machine and engine each give their own.
   */
  publishHost?: string;
  logger?: Logger;
  /** Runs `mount`/`umount` for the secrets tmpfs (injected in tests). */
  runCommand?: RunCommand;
}

export class DockerExecutor implements Executor {
  private readonly docker: Dockerode;
  private readonly logger: Logger;
  private readonly extraLabels: Readonly<Record<string, string>>;
  private readonly labelFilters: string[];
  private readonly deps: RunnerDeps;
  private readonly events: ContainerEvents;
  private readonly secretFiles: SecretFiles;
  /** Task id → its container's address (taskAddress), the oldest forgotten past a bound. */
  private readonly taskHosts = new Map<string, string>();

  constructor(private readonly options: DockerExecutorOptions) {
    this.docker = options.docker ?? new Dockerode({ socketPath: options.socketPath ?? defaultSocketPath() });
    this.logger = (options.logger ?? silentLogger).child({ component: 'docker-executor' });
    this.extraLabels = { ...options.extraLabels };
    this.labelFilters = [
      TASK_LABELS.taskId,
      ...Object.entries(this.extraLabels).map(([key, value]) => `${key}=${value}`),
    ];
    this.events = new ContainerEvents({
      docker: this.docker,
      labelFilters: this.labelFilters,
      logger: this.logger,
    });
    this.secretFiles = new SecretFiles({
      dir: join(options.dataDir, 'secrets'),
      logger: this.logger,
      runCommand: options.runCommand,
    });
    this.deps = {
      docker: this.docker,
      images: new ImageStore({ docker: this.docker, logger: this.logger }),
      events: this.events,
      secretFiles: this.secretFiles,
      extraLabels: this.extraLabels,
      publishHost: options.publishHost === '0.0.0.0' ? '' : (options.publishHost ?? ''),
      logger: this.logger,
    };
  }

  async describe(): Promise<NodeDescription> {
    const info = (await this.docker.info()) as DockerInfo;
    return {
      hostname: this.options.hostname ?? osHostname(),
      platform: { os: info.OSType ?? 'linux', architecture: goArchitecture(info.Architecture ?? '') },
      resources: { nanoCpus: (info.NCPU ?? 0) * 1e9, memoryBytes: info.MemTotal ?? 0 },
      engine: {
        engineVersion: info.ServerVersion ?? '',
        labels: parseEngineLabels(info.Labels ?? []),
        plugins: enginePlugins(info.Plugins ?? {}),
      },
    };
  }

  runner(context: TaskContext): TaskRunner {
    return new DockerTaskRunner(this.deps, context);
  }

  async list(nodeId: string): Promise<FoundTask[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [...this.labelFilters, `${TASK_LABELS.nodeId}=${nodeId}`] },
    });
    const found = await Promise.all(
      containers.map(async (summary): Promise<FoundTask | null> => {
        // The list lacks pid and exit code: one inspect each (adoption is not a hot path).
        try {
          const info = await this.docker.getContainer(summary.Id).inspect();
          return {
            taskId: info.Config.Labels?.[TASK_LABELS.taskId] ?? '',
            serviceId: info.Config.Labels?.[TASK_LABELS.serviceId] ?? '',
            status: runnerStatus(info),
          };
        } catch (error) {
          // Removed between the list and the inspect: not on the node any more.
          if ((error as { statusCode?: unknown }).statusCode === 404) return null;
          throw error;
        }
      }),
    );
    return found.filter((task): task is FoundTask => task !== null && task.taskId !== '');
  }

  /**
   * The task's container address on its network (the default bridge, or the first network that
   * gave it one); a container on the host's network is reached on loopback. Remembered per task:
   * a container keeps its address for its life, and a task has one container.
   */
  async taskAddress(taskId: string, targetPort: number): Promise<TaskAddress | null> {
    const remembered = this.taskHosts.get(taskId);
    if (remembered !== undefined) return { host: remembered, port: targetPort };
    const [container] = await this.docker.listContainers({
      filters: {
        label: [`${TASK_LABELS.taskId}=${taskId}`, ...this.labelFilters.slice(1)],
        status: ['running'],
      },
    });
    const host = container ? containerHost(container) : null;
    if (host === null) return null;
    const oldest = this.taskHosts.keys().next();
    if (this.taskHosts.size >= MAX_REMEMBERED_ADDRESSES && oldest.done !== true)
      this.taskHosts.delete(oldest.value);
    this.taskHosts.set(taskId, host);
    return { host, port: targetPort };
  }

  async removeTask(taskId: string): Promise<void> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${TASK_LABELS.taskId}=${taskId}`, ...this.labelFilters.slice(1)] },
    });
    for (const container of containers) {
      await removeContainer(this.docker, container.Id);
      this.events.forget(container.Id);
    }
    await this.secretFiles.removeTask(taskId);
  }

  /**
   * Ends the events stream (waiters reject with ExecutorClosedError). Containers keep running
   * and the secrets tmpfs stays mounted for the next executor to adopt them, unless
   * `unmountSecrets` (tests, a node leaving the cluster) asks to unmount it.
   */
  async close(options: { unmountSecrets?: boolean } = {}): Promise<void> {
    await this.events.close();
    if (options.unmountSecrets === true) await this.secretFiles.unmount();
  }
}

/** What the executor reads of `GET /info` (every field optional: engines differ). */
interface DockerInfo {
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  ServerVersion?: string;
  Labels?: string[];
  Plugins?: Record<string, string[] | null>;
}

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host !== undefined && host.startsWith('unix://') && host.length > 'unix://'.length) {
    return host.slice('unix://'.length);
  }
  return '/var/run/docker.sock';
}

/** `uname -m` names to Go's GOARCH, which Swarm's platform constraints use. */
export function goArchitecture(machine: string): string {
  const names: Record<string, string> = {
    x86_64: 'amd64',
    amd64: 'amd64',
    aarch64: 'arm64',
    arm64: 'arm64',
    armv7l: 'arm',
    armv6l: 'arm',
    i386: '386',
    i686: '386',
    ppc64le: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return names[machine] ?? machine;
}

/** `docker info` labels are `key=value` strings; a later duplicate wins, as in the engine. */
export function parseEngineLabels(labels: readonly string[]): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const label of labels) {
    const eq = label.indexOf('=');
    entries.push(eq === -1 ? [label, ''] : [label.slice(0, eq), label.slice(eq + 1)]);
  }
  return Object.fromEntries(entries);
}

/** SwarmKit's NodeDescription plugins: one entry per (type, name), sorted. */
export function enginePlugins(
  plugins: Record<string, string[] | null>,
): Array<{ type: string; name: string }> {
  const result: Array<{ type: string; name: string }> = [];
  for (const [type, names] of Object.entries(plugins)) {
    for (const name of names ?? []) result.push({ type, name });
  }
  return result.sort((a, b) => (a.type === b.type ? compare(a.name, b.name) : compare(a.type, b.type)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Addresses remembered by taskAddress: far more than one node runs at once. */
const MAX_REMEMBERED_ADDRESSES = 4_096;

/** A listed container's address: on its first network that has one; loopback on the host's. */
function containerHost(container: Dockerode.ContainerInfo): string | null {
  if (container.HostConfig?.NetworkMode === 'host') return '127.0.0.1';
  for (const network of Object.values(container.NetworkSettings?.Networks ?? {}))
    if (network.IPAddress) return network.IPAddress;
  return null;
}
