// Running one node: runNode founds, joins or resumes a node from a DaemonConfig and hands it to a
// NodeRunner (node-runner.ts), which runs it as a manager or a worker and switches in place when
// the cluster promotes or demotes it; `flotilla init|join|start` call it in process. Run as a script, this file takes the
// config as JSON in argv[2] (the tests' real-process clusters use it), reports readiness as
// {ready, id, address} over the IPC channel when it has one (or as a JSON line on stdout), and
// stops cleanly on SIGTERM. An autolocked manager reports {ready: false, locked: true}, serves
// only Unlock on its admin socket, then starts and reports ready.

import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchTrustedRoot, requestNodeCertificate } from '../ca/client.js';
import { createCsr, generateNodeKey, writeNodeCertificates } from '../ca/index.js';
import { createJsonLogger, type Logger, type LogLevel } from '../util/logger.js';
import { hostOf, portOf } from '../util/host.js';
import { KeyError } from '../manager/keys/index.js';
import { waitForUnlock } from '../manager/locked-service.js';
import { readIdentity } from '../manager/node-identity.js';
import { CONTROL_SOCKET, Manager, type ManagerTuning } from '../manager/manager.js';
import { readWorkerState, writeWorkerState, type WorkerState } from '../worker/worker-state.js';
import { isUnspecified, NodeRunner, type NodeRunnerConfig, type RunningNode } from './node-runner.js';

export type { ExecutorConfig, RunningNode } from './node-runner.js';

export interface DaemonConfig extends NodeRunnerConfig {
  /**
   * init and join found or enter a cluster as a manager, worker-join as a worker, join-any as the
   * role the token grants (what `flotilla join` does); start and worker-start resume the node the
   * data directory holds, in the role it has now (the cluster may have promoted or demoted it).
   */
  mode: 'init' | 'join' | 'start' | 'worker-join' | 'worker-start' | 'join-any';
  listenAddr?: string;
  advertiseAddr?: string;
  joinAddr?: string;
  joinToken?: string;
  forceNewCluster?: boolean;
  logLevel?: LogLevel;
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
  onLocked: () => void,
): Promise<Manager> {
  try {
    return await Manager.start({ ...common, forceNewCluster: config.forceNewCluster });
  } catch (err) {
    if (!(err instanceof KeyError && err.code === 'KEYS_LOCKED')) throw err;
  }
  const unlockKey = await waitForUnlock(
    join(config.dataDir, CONTROL_SOCKET),
    config.dataDir,
    common.logger,
    onLocked,
  );
  return Manager.start({ ...common, forceNewCluster: config.forceNewCluster, unlockKey });
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

export interface RunHooks {
  logger: Logger;
  /** The manager is autolocked: it waits on its admin socket for `flotilla unlock`. */
  onLocked?: () => void;
}

/** The advertised host, unless none was given or it is unspecified (the dispatcher then records the peer's). */
function advertisedHost(config: DaemonConfig): string | undefined {
  const host = hostOf(config.advertiseAddr ?? config.listenAddr ?? '');
  return host === '' || isUnspecified(host) ? undefined : host;
}

/**
 * Joins with whichever role the token grants: asks the CA for a certificate first, then enters as
 * a manager with it (Manager.join) or keeps it as a worker's (what Agent.join writes).
 */
async function joinAny(config: DaemonConfig, logger: Logger): Promise<RunningNode> {
  const joinAddr = required(config.joinAddr, 'joinAddr');
  const joinToken = required(config.joinToken, 'joinToken');
  const rootPem = await fetchTrustedRoot(joinAddr, joinToken);
  const keyPem = await generateNodeKey();
  const issued = await requestNodeCertificate(joinAddr, rootPem, {
    csr: await createCsr(keyPem),
    token: joinToken,
    addr: advertisedHost(config) ?? '',
  });
  if (issued.role === 'manager') {
    const manager = await Manager.join({
      dataDir: config.dataDir,
      logger,
      tuning: config.tuning,
      listenAddr: required(config.listenAddr, 'listenAddr'),
      advertiseAddr: config.advertiseAddr,
      joinAddr,
      joinToken,
      issued: { keyPem, ...issued },
    });
    return NodeRunner.manager(config, logger, manager);
  }
  if (!config.executor)
    throw new Error(
      'the token is a worker token, and a worker needs an executor to run tasks (docker or process)',
    );
  await writeNodeCertificates(config.dataDir, {
    rootsPem: issued.rootCa,
    keyPem,
    certChainPem: issued.certificateChain,
  });
  await writeWorkerState(config.dataDir, {
    format: 1,
    nodeId: issued.nodeId,
    managers: [joinAddr],
    ...workerAddresses(config),
  });
  return NodeRunner.worker(config, logger, 'open');
}

/** Where a joining worker is reached, listens, and would serve the manager role if promoted. */
function workerAddresses(config: DaemonConfig): Pick<WorkerState, 'addr' | 'listenHost' | 'managerPort'> {
  const addr = advertisedHost(config);
  const managerPort = config.listenAddr !== undefined ? portOf(config.listenAddr) : undefined;
  return {
    ...(addr !== undefined ? { addr } : {}),
    ...(config.listenAddr !== undefined ? { listenHost: hostOf(config.listenAddr) } : {}),
    ...(managerPort !== undefined ? { managerPort } : {}),
  };
}

/**
 * Resumes the node the data directory holds, in the role it has now: a manager (node.json says
 * so), else a worker (worker.json); a manager demoted by a version that kept no worker state
 * gets Manager.start's explanation.
 */
async function resume(config: DaemonConfig, hooks: RunHooks): Promise<RunningNode> {
  const identity = await readIdentity(config.dataDir);
  const asManager =
    identity?.role === 'manager' || (identity !== null && !(await readWorkerState(config.dataDir)));
  if (!asManager) return NodeRunner.worker(config, hooks.logger, 'open');
  const manager = await startUnlocking(
    config,
    { dataDir: config.dataDir, logger: hooks.logger, tuning: config.tuning },
    hooks.onLocked ?? (() => {}),
  );
  return NodeRunner.manager(config, hooks.logger, manager);
}

/** Starts the node the config describes and returns it running. */
export async function runNode(config: DaemonConfig, hooks: RunHooks): Promise<RunningNode> {
  const { logger } = hooks;
  const common = { dataDir: config.dataDir, logger, tuning: config.tuning };
  switch (config.mode) {
    case 'init': {
      const manager = await Manager.init({
        ...common,
        listenAddr: required(config.listenAddr, 'listenAddr'),
        advertiseAddr: config.advertiseAddr,
      });
      return NodeRunner.manager(config, logger, manager);
    }
    case 'join': {
      const manager = await Manager.join({
        ...common,
        listenAddr: required(config.listenAddr, 'listenAddr'),
        advertiseAddr: config.advertiseAddr,
        joinAddr: required(config.joinAddr, 'joinAddr'),
        joinToken: required(config.joinToken, 'joinToken'),
      });
      return NodeRunner.manager(config, logger, manager);
    }
    case 'join-any':
      return joinAny(config, logger);
    case 'worker-join': {
      const { managerPort, listenHost, addr } = workerAddresses(config);
      const join = {
        joinAddr: required(config.joinAddr, 'joinAddr'),
        joinToken: required(config.joinToken, 'joinToken'),
        ...(addr !== undefined ? { advertiseAddr: addr } : {}),
        ...(managerPort !== undefined ? { managerPort } : {}),
      };
      return NodeRunner.worker(config, logger, { join }, listenHost);
    }
    case 'start':
    case 'worker-start':
      return resume(config, hooks);
    default:
      throw new Error(`daemon config: unknown mode ${String(config.mode)}`);
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DaemonConfig;
  const logger = createJsonLogger({ level: config.logLevel ?? 'warn', fields: { dataDir: config.dataDir } });
  const node = await runNode(config, { logger, onLocked: () => report({ ready: false, locked: true }) });
  exitOnSignals(() => node.stop(), logger);
  node.ended.then(
    (reason) => {
      logger.warn(reason, { node: node.id });
      process.exit(0);
    },
    (err: unknown) => {
      logger.error('stepping down failed', { err });
      process.exit(1);
    },
  );
  report({ ready: true, id: node.id, address: node.address });
}

/** Whether this file is the process's script (not imported by the CLI). */
function isMainScript(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainScript())
  main().catch((err: unknown) => {
    report({ ready: false, error: err instanceof Error ? err.message : String(err) });
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
