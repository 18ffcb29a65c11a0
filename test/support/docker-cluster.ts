// A cluster of real node processes that run tasks on the one local Docker Engine: managers (each
// with its own agent, unless asked to run without an executor) and workers on 127.0.0.x, every container labelled with the test run's id
// so the test can count them and remove all of them afterwards, whatever happened.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import type { ServiceSpec } from '../../src/api/index.js';
import { FlotillaClient } from '../../src/client/index.js';
import type { DaemonConfig } from '../../src/daemon/main.js';
import {
  listContainersByLabel,
  newTestRunId,
  removeContainersByLabel,
  TEST_IMAGE,
  TEST_RUN_LABEL,
  testDocker,
} from './docker.js';
import { addresses, FAST, ManagerProcesses, TestDirs, waitUntil } from './manager-cluster.js';

export interface DockerClusterOptions {
  managers: number;
  workers: number;
  /** Base of the 127.0.0.x addresses (distinct per test file). */
  hostBase: number;
  /** Node heartbeat period: short, so a killed node is marked down within seconds. */
  heartbeatPeriodMs?: number;
  /** How many of the managers, the last ones, run without an executor (no agent, no tasks). */
  managersWithoutExecutor?: number;
}

export class DockerCluster {
  readonly runId = newTestRunId('e2e');
  readonly docker: Dockerode = testDocker();
  private readonly clients: FlotillaClient[] = [];
  private constructor(
    readonly dirs: TestDirs,
    readonly procs: ManagerProcesses,
    readonly managerNames: string[],
    readonly workerNames: string[],
  ) {}

  static async start(options: DockerClusterOptions): Promise<DockerCluster> {
    const dirs = await TestDirs.create('flotilla-e2e-');
    const procs = new ManagerProcesses(dirs);
    const managerNames = Array.from({ length: options.managers }, (_, i) => `m${i + 1}`);
    const workerNames = Array.from({ length: options.workers }, (_, i) => `w${i + 1}`);
    const cluster = new DockerCluster(dirs, procs, managerNames, workerNames);
    try {
      const addr = addresses(options.hostBase);
      const withoutExecutor = new Set(
        managerNames.slice(options.managers - (options.managersWithoutExecutor ?? 0)),
      );
      const common = (name: string): Partial<DaemonConfig> => ({
        ...(withoutExecutor.has(name)
          ? {}
          : { executor: { kind: 'docker', extraLabels: { [TEST_RUN_LABEL]: cluster.runId } } }),
        hostname: `${cluster.runId}-${name}`,
        tuning: { ...FAST, heartbeatPeriodMs: options.heartbeatPeriodMs ?? 500 },
        retryMs: { initial: 50, max: 500 },
      });
      await procs.spawn('m1', { mode: 'init', listenAddr: addr(1), ...common('m1') });
      const tokens = (await cluster.client('m1').getCluster()).joinTokens;
      for (const [i, name] of managerNames.slice(1).entries())
        await procs.spawn(name, {
          mode: 'join',
          listenAddr: addr(i + 2),
          joinAddr: addr(1),
          joinToken: tokens.manager,
          ...common(name),
        });
      for (const [i, name] of workerNames.entries())
        await procs.spawn(name, {
          mode: 'worker-join',
          advertiseAddr: `127.0.0.${options.hostBase + 50 + i}`,
          // The routing mesh binds here (every node of the machine on its own address).
          listenAddr: `127.0.0.${options.hostBase + 50 + i}:0`,
          joinAddr: addr(1),
          joinToken: tokens.worker,
          ...common(name),
        });
      // A manager without an executor has no session: the dispatcher never counts it ready.
      await cluster.waitForNodesReady(options.managers - withoutExecutor.size + options.workers);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** A control client on a manager's admin socket. */
  client(name = 'm1'): FlotillaClient {
    const c = new FlotillaClient({ address: this.procs.controlAddress(name), timeoutMs: 10_000 });
    this.clients.push(c);
    return c;
  }

  /** A client on whichever manager is up (the first that answers). */
  async anyClient(): Promise<FlotillaClient> {
    for (const name of this.managerNames) {
      if (!this.procs.get(name).child) continue;
      const c = this.client(name);
      try {
        await c.getCluster();
        return c;
      } catch {
        // down or electing: try the next
      }
    }
    throw new Error('no manager answers');
  }

  nodeId(name: string): string {
    return this.procs.get(name).id;
  }

  async waitForNodesReady(count: number, timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      `${count} nodes ready`,
      async () => {
        const nodes = await (await this.anyClient()).listNodes();
        return nodes.filter((n) => n.status.state === 'ready' && n.description !== undefined).length >= count;
      },
      timeoutMs,
    );
  }

  /** This run's containers of a service (all, or only running ones). */
  async containers(serviceId: string, running = true): Promise<Dockerode.ContainerInfo[]> {
    const all = await listContainersByLabel(this.docker, TEST_RUN_LABEL, this.runId);
    return all.filter(
      (c) => c.Labels['com.flotilla.service.id'] === serviceId && (!running || c.State === 'running'),
    );
  }

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    await this.procs.stop();
    await removeContainersByLabel(this.docker, TEST_RUN_LABEL, this.runId);
    await unmountUnder(this.dirs.root);
    await this.dirs.remove();
  }
}

/** A replicated service of the test image that runs until stopped. */
export function sleeper(name: string, replicas: number, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    taskTemplate: {
      containerSpec: { image: TEST_IMAGE, command: ['sleep', '3600'], stopGracePeriod: 1_000_000_000 },
      restartPolicy: { condition: 'any', delay: 100_000_000 },
    },
    mode: { replicated: { replicas } },
    ...extra,
  };
}

/** Unmounts what executors mounted under `root` (their secrets tmpfs), deepest first. */
export async function unmountUnder(root: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((path) => path.startsWith(root + '/'))
    .sort((a, b) => b.length - a.length);
  for (const path of mounts) await promisify(execFile)('umount', ['-l', path]).catch(() => undefined);
}
