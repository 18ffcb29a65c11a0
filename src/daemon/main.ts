// A process that runs one node, configured by JSON in argv[2] (the tests' real-process clusters
// use it): a Manager, which also runs tasks through its own agent when given an executor, or a
// worker's Agent alone. It reports readiness as {ready, id, address} over the IPC channel when it
// has one (or as a JSON line on stdout), and stops cleanly on SIGTERM. An autolocked manager
// reports {ready: false, locked: true}, serves only Unlock on its admin socket, then starts and
// reports ready.

import { join } from 'node:path';
import { createJsonLogger, type Logger, type LogLevel } from '../util/logger.js';
import { systemClock } from '../util/clock.js';
import { KeyError } from '../manager/keys/index.js';
import { waitForUnlock } from '../manager/locked-service.js';
import { CONTROL_SOCKET, KEYS_DIR, Manager, type ManagerTuning } from '../manager/manager.js';
import { Agent, type AgentOptions } from '../worker/agent.js';
import { DockerExecutor } from '../worker/docker/index.js';
import type { Executor } from '../worker/executor.js';
import { ProcessExecutor } from '../worker/process/index.js';

/** What runs a node's tasks; absent for a manager that runs none. */
export type ExecutorConfig =
  { kind: 'docker'; socketPath?: string; extraLabels?: Record<string, string> } | { kind: 'process' };

export interface DaemonConfig {
  /** Manager modes, then the worker's: join with a worker token, or start from its data directory. */
  mode: 'init' | 'join' | 'start' | 'worker-join' | 'worker-start';
  dataDir: string;
  listenAddr?: string;
  advertiseAddr?: string;
  joinAddr?: string;
  joinToken?: string;
  forceNewCluster?: boolean;
  tuning?: ManagerTuning;
  logLevel?: LogLevel;
  executor?: ExecutorConfig;
  /** The hostname the node reports (tests give each node on one machine its own). */
  hostname?: string;
  /** The agent's backoff between session attempts. */
  retryMs?: { initial: number; max: number };
}

export type DaemonReport =
  | { ready: true; id: string; address: string }
  | { ready: false; error: string }
  /** Autolocked: serving only Unlock on its admin socket until given the unlock key. */
  | { ready: false; locked: true };

function report(message: DaemonReport): void {
  if (process.send) process.send(message);
  else process.stdout.write(JSON.stringify(message) + '\n');
}

function required(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new Error(`daemon config: ${field} is required`);
  return value;
}

/** Manager.start, waiting on the admin socket for the unlock key when the manager is locked. */
async function startUnlocking(
  config: DaemonConfig,
  common: { dataDir: string; logger: Logger; tuning?: ManagerTuning },
): Promise<Manager> {
  try {
    return await Manager.start({ ...common, forceNewCluster: config.forceNewCluster });
  } catch (err) {
    if (!(err instanceof KeyError && err.code === 'KEYS_LOCKED')) throw err;
  }
  const unlockKey = await waitForUnlock(
    join(config.dataDir, CONTROL_SOCKET),
    join(config.dataDir, KEYS_DIR),
    common.logger,
    () => report({ ready: false, locked: true }),
  );
  return Manager.start({ ...common, forceNewCluster: config.forceNewCluster, unlockKey });
}

function executorFor(config: DaemonConfig, logger: Logger): Executor {
  const dataDir = join(config.dataDir, 'worker');
  const e = config.executor!;
  if (e.kind === 'docker')
    return new DockerExecutor({
      dataDir,
      socketPath: e.socketPath,
      extraLabels: e.extraLabels,
      hostname: config.hostname,
      logger,
    });
  return new ProcessExecutor({ dataDir, clock: systemClock, logger, hostname: config.hostname });
}

/** SIGTERM, SIGINT or the parent going away run `stop` once, then exit. */
function exitOnSignals(stop: () => Promise<void>, logger: Logger): { stopping: () => boolean } {
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('stop failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // Started by a parent that went away: do not linger.
  process.on('disconnect', shutdown);
  return { stopping: () => stopping };
}

async function runWorker(config: DaemonConfig, logger: Logger): Promise<void> {
  if (!config.executor) throw new Error('daemon config: a worker needs an executor');
  const options: AgentOptions = {
    dataDir: config.dataDir,
    executor: executorFor(config, logger),
    logger,
    hostname: config.hostname,
    retryMs: config.retryMs,
  };
  const agent =
    config.mode === 'worker-join'
      ? await Agent.join({
          ...options,
          joinAddr: required(config.joinAddr, 'joinAddr'),
          joinToken: required(config.joinToken, 'joinToken'),
          advertiseAddr: config.advertiseAddr,
        })
      : await Agent.open(options);
  agent.start();
  exitOnSignals(() => agent.stop(), logger);
  report({ ready: true, id: agent.nodeId, address: '' });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DaemonConfig;
  const logger = createJsonLogger({ level: config.logLevel ?? 'warn', fields: { dataDir: config.dataDir } });
  if (config.mode === 'worker-join' || config.mode === 'worker-start') return runWorker(config, logger);
  const common = { dataDir: config.dataDir, logger, tuning: config.tuning };
  let manager: Manager;
  switch (config.mode) {
    case 'init':
      manager = await Manager.init({
        ...common,
        listenAddr: required(config.listenAddr, 'listenAddr'),
        advertiseAddr: config.advertiseAddr,
      });
      break;
    case 'join':
      manager = await Manager.join({
        ...common,
        listenAddr: required(config.listenAddr, 'listenAddr'),
        advertiseAddr: config.advertiseAddr,
        joinAddr: required(config.joinAddr, 'joinAddr'),
        joinToken: required(config.joinToken, 'joinToken'),
      });
      break;
    case 'start':
      manager = await startUnlocking(config, common);
      break;
    default:
      throw new Error(`daemon config: unknown mode ${String(config.mode)}`);
  }
  // A manager is a worker too (its availability decides whether tasks land here).
  const agent = config.executor
    ? Agent.embedded({
        dataDir: config.dataDir,
        executor: executorFor(config, logger),
        logger,
        hostname: config.hostname,
        retryMs: config.retryMs,
        nodeId: manager.id,
        tls: manager.tls,
        managers: () => manager.managerAddresses(),
      })
    : null;
  agent?.start();
  const signals = exitOnSignals(async () => {
    await agent?.stop();
    await manager.stop();
  }, logger);
  // Demoted (or a join that never caught up): this build has no worker role to fall back to yet,
  // so the process ends once the manager has stepped down, saying why.
  manager.on('removed', ({ stopped }) => {
    if (signals.stopping()) return;
    stopped.then(
      () => {
        logger.warn('the cluster removed this node from its managers; it no longer runs the manager role', {
          node: manager.id,
        });
        process.exit(0);
      },
      (err: unknown) => {
        logger.error('stepping down failed', { err });
        process.exit(1);
      },
    );
  });
  report({ ready: true, id: manager.id, address: manager.address });
}

main().catch((err: unknown) => {
  report({ ready: false, error: err instanceof Error ? err.message : String(err) });
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
