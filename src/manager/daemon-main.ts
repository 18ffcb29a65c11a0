// A process that runs one Manager, configured by JSON in argv[2] (the tests' real-process
// clusters use it). It reports readiness as {ready, id, address} over the IPC channel when it has
// one (or as a JSON line on stdout), and stops cleanly on SIGTERM. An autolocked manager reports
// {ready: false, locked: true}, serves only Unlock on its admin socket, then starts and reports
// ready.

import { join } from 'node:path';
import { createJsonLogger, type Logger, type LogLevel } from '../util/logger.js';
import { KeyError } from './keys/index.js';
import { waitForUnlock } from './locked-service.js';
import { CONTROL_SOCKET, KEYS_DIR, Manager, type ManagerTuning } from './manager.js';

export interface DaemonConfig {
  mode: 'init' | 'join' | 'start';
  dataDir: string;
  listenAddr?: string;
  advertiseAddr?: string;
  joinAddr?: string;
  joinToken?: string;
  forceNewCluster?: boolean;
  tuning?: ManagerTuning;
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

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DaemonConfig;
  const logger = createJsonLogger({ level: config.logLevel ?? 'warn', fields: { dataDir: config.dataDir } });
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
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    manager.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('stop failed', { err });
        process.exit(1);
      },
    );
  };
  // Demoted (or a join that never caught up): this build has no worker role to fall back to yet,
  // so the process ends once the manager has stepped down, saying why.
  manager.on('removed', ({ stopped }) => {
    stopping = true;
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
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // Started by a parent that went away: do not linger.
  process.on('disconnect', shutdown);
  report({ ready: true, id: manager.id, address: manager.address });
}

main().catch((err: unknown) => {
  report({ ready: false, error: err instanceof Error ? err.message : String(err) });
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
