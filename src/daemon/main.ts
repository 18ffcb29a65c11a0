// Running one node: runNode starts a Manager (which also runs tasks through its own agent when
// given an executor) or a worker's Agent alone, from a DaemonConfig, and hands back the running
// node; `flotilla init|join|start` call it in process. Run as a script, this file takes the
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
import { systemClock } from '../util/clock.js';
import { hostOf } from '../util/host.js';
import { KeyError } from '../manager/keys/index.js';
import { waitForUnlock } from '../manager/locked-service.js';
import { CONTROL_SOCKET, KEYS_DIR, Manager, type ManagerTuning } from '../manager/manager.js';
import { Agent, type AgentOptions } from '../worker/agent.js';
import { DockerExecutor } from '../worker/docker/index.js';
import type { Executor } from '../worker/executor.js';
import { ProcessExecutor } from '../worker/process/index.js';
import { readWorkerState, writeWorkerState } from '../worker/worker-state.js';
import { NodeMesh, type NodeMeshOptions } from './node-mesh.js';

/** What runs a node's tasks; absent for a manager that runs none. */
export type ExecutorConfig =
  { kind: 'docker'; socketPath?: string; extraLabels?: Record<string, string> } | { kind: 'process' };

export interface DaemonConfig {
  /**
   * Manager modes, then the worker's: join with a worker token, or start from its data directory;
   * `join-any` joins as the role the token grants (what `flotilla join` does).
   */
  mode: 'init' | 'join' | 'start' | 'worker-join' | 'worker-start' | 'join-any';
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
  /**
   * The routing mesh of a node that runs tasks: on unless `enabled: false`; its tunnels are TLS
   * unless `encryption: false` (a trusted network).
   */
  mesh?: { enabled?: boolean; encryption?: boolean; tuning?: NodeMeshOptions['tuning'] };
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
    join(config.dataDir, KEYS_DIR),
    common.logger,
    onLocked,
  );
  return Manager.start({ ...common, forceNewCluster: config.forceNewCluster, unlockKey });
}

/** The node's executor; `listenHost` is where it publishes host-mode ports (0.0.0.0: everywhere). */
function executorFor(config: DaemonConfig, logger: Logger, listenHost: string): Executor {
  const dataDir = join(config.dataDir, 'worker');
  const e = config.executor!;
  if (e.kind === 'docker')
    return new DockerExecutor({
      dataDir,
      socketPath: e.socketPath,
      extraLabels: e.extraLabels,
      hostname: config.hostname,
      publishHost: listenHost,
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

/** A node this process runs. */
export interface RunningNode {
  id: string;
  /** The manager's advertised address; '' for a worker. */
  address: string;
  role: 'manager' | 'worker';
  /** The manager, for a manager node (its client(), its join tokens …). */
  manager?: Manager;
  /** Stops the agent and the manager; idempotent. */
  stop(): Promise<void>;
  /**
   * Resolves with the reason when the node stops on its own: the cluster removed this manager
   * from its managers (demoted). This build has no worker role to fall back to yet.
   */
  ended: Promise<string>;
}

export interface RunHooks {
  logger: Logger;
  /** The manager is autolocked: it waits on its admin socket for `flotilla unlock`. */
  onLocked?: () => void;
}

function stopOnce(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () => (stopping ??= stop());
}

async function runWorker(config: DaemonConfig, logger: Logger): Promise<RunningNode> {
  if (!config.executor) throw new Error('daemon config: a worker needs an executor');
  const listenHost = config.listenAddr !== undefined ? hostOf(config.listenAddr) : undefined;
  // The node listens where it was told to, this run or when it joined; else everywhere.
  const nodeHost = listenHost ?? (await readWorkerState(config.dataDir))?.listenHost ?? '0.0.0.0';
  const executor = executorFor(config, logger, nodeHost);
  const options: AgentOptions = {
    dataDir: config.dataDir,
    executor,
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
          listenHost,
        })
      : await Agent.open(options);
  const mesh = meshFor(config, {
    nodeId: agent.nodeId,
    listenHost: nodeHost,
    tls: agent.tls,
    executor,
    logger,
  });
  if (mesh) agent.onEndpoints((update) => mesh.handle(update));
  agent.start();
  return {
    id: agent.nodeId,
    address: '',
    role: 'worker',
    stop: stopOnce(async () => {
      await agent.stop();
      await mesh?.stop();
    }),
    ended: new Promise<string>(() => {}),
  };
}

/** The node's routing mesh, unless the config turns it off. */
function meshFor(
  config: DaemonConfig,
  options: Omit<NodeMeshOptions, 'encryption' | 'tuning'>,
): NodeMesh | null {
  if (config.mesh?.enabled === false) return null;
  return new NodeMesh({
    ...options,
    ...(config.mesh?.encryption !== undefined ? { encryption: config.mesh.encryption } : {}),
    ...(config.mesh?.tuning !== undefined ? { tuning: config.mesh.tuning } : {}),
  });
}

/**
 * Joins with whichever role the token grants: asks the CA for a certificate first, then enters as
 * a manager with it (Manager.join) or keeps it as a worker's (what Agent.join writes).
 */
async function joinAny(config: DaemonConfig, logger: Logger, tuning?: ManagerTuning): Promise<RunningNode> {
  const joinAddr = required(config.joinAddr, 'joinAddr');
  const joinToken = required(config.joinToken, 'joinToken');
  const advertise = config.advertiseAddr ?? config.listenAddr ?? '';
  const advertisedHost = hostOf(advertise);
  const rootPem = await fetchTrustedRoot(joinAddr, joinToken);
  const keyPem = await generateNodeKey();
  const issued = await requestNodeCertificate(joinAddr, rootPem, {
    csr: await createCsr(keyPem),
    token: joinToken,
    addr: hostOf(advertise),
  });
  if (issued.role === 'manager') {
    const manager = await Manager.join({
      dataDir: config.dataDir,
      logger,
      tuning,
      listenAddr: required(config.listenAddr, 'listenAddr'),
      advertiseAddr: config.advertiseAddr,
      joinAddr,
      joinToken,
      issued: { keyPem, ...issued },
    });
    return withAgent(config, manager, logger);
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
    // An unspecified address (0.0.0.0) is no address: the dispatcher then records the peer's.
    ...(advertisedHost !== '' && !isUnspecified(advertisedHost) ? { addr: advertisedHost } : {}),
    ...(config.listenAddr !== undefined ? { listenHost: hostOf(config.listenAddr) } : {}),
  });
  return runWorker({ ...config, mode: 'worker-start' }, logger);
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** The host a manager advertises, unless it is unspecified (then the dispatcher sees the peer's). */
function advertisedHostOf(manager: Manager): string | undefined {
  const host = hostOf(manager.address);
  return isUnspecified(host) ? undefined : host;
}

/** Starts the node the config describes and returns it running. */
export async function runNode(config: DaemonConfig, hooks: RunHooks): Promise<RunningNode> {
  const { logger } = hooks;
  if (config.mode === 'worker-join' || config.mode === 'worker-start') return runWorker(config, logger);
  if (config.mode === 'join-any') return joinAny(config, logger, config.tuning);
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
      manager = await startUnlocking(config, common, hooks.onLocked ?? (() => {}));
      break;
    default:
      throw new Error(`daemon config: unknown mode ${String(config.mode)}`);
  }
  return withAgent(config, manager, logger);
}

/** A manager is a worker too (its availability decides whether tasks land here). */
function withAgent(config: DaemonConfig, manager: Manager, logger: Logger): RunningNode {
  const listenHost = hostOf(manager.listenAddress);
  const executor = config.executor ? executorFor(config, logger, listenHost) : null;
  const agent = executor
    ? Agent.embedded({
        dataDir: config.dataDir,
        executor,
        logger,
        hostname: config.hostname,
        retryMs: config.retryMs,
        nodeId: manager.id,
        tls: manager.tls,
        managers: () => manager.managerAddresses(),
        advertiseHost: advertisedHostOf(manager),
      })
    : null;
  const mesh = executor
    ? meshFor(config, {
        nodeId: manager.id,
        listenHost,
        tls: manager.tls,
        executor,
        logger,
      })
    : null;
  if (agent && mesh) agent.onEndpoints((update) => mesh.handle(update));
  agent?.start();
  let stopping = false;
  const stop = stopOnce(async () => {
    stopping = true;
    await agent?.stop();
    await mesh?.stop();
    await manager.stop();
  });
  // Demoted (or a join that never caught up): the node ends once the manager has stepped down.
  const ended = new Promise<string>((resolve, reject) => {
    manager.on('removed', ({ stopped }) => {
      if (stopping) return;
      stopping = true;
      const done = async (): Promise<void> => {
        await agent?.stop();
        await mesh?.stop();
        await stopped;
      };
      done().then(
        () => resolve('the cluster removed this node from its managers; it no longer runs the manager role'),
        reject,
      );
    });
  });
  return { id: manager.id, address: manager.address, role: 'manager', manager, stop, ended };
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
