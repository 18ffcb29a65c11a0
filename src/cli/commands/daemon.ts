// The node daemon in the foreground: `flotilla init` (found a cluster), `flotilla join --token T
// ADDR` (as the role the token grants), `flotilla start` (resume the node a data directory
// holds; init and join given such a directory resume it too and say so), and `flotilla leave`.
// The daemon writes DATA_DIR/flotilla.pid while it runs, so `leave` can stop it.

import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import Dockerode from 'dockerode';
import { join } from 'node:path';
import { DEFAULT_MANAGER_PORT } from '../../api/index.js';
import {
  channelCredentials,
  isCertificateError,
  readNodeCertificates,
  type NodeCertificates,
} from '../../ca/index.js';
import { FlotillaClient } from '../../client/index.js';
import { runNode, type DaemonConfig, type ExecutorConfig, type RunningNode } from '../../daemon/main.js';
import { parseUnlockKey } from '../../manager/keys/index.js';
import { callLeave } from '../../manager/membership-service.js';
import { defaultDataPlaneWorkers } from '../../mesh/index.js';
import { createJsonLogger, type LogLevel } from '../../util/logger.js';
import { processAlive } from '../../util/process-alive.js';
import type { FlagDef, ParsedFlags } from '../args.js';
import type { Command, Io } from '../command.js';
import { CONTROL_SOCKET, dataDirOf, DEFAULT_DATA_DIR } from '../connect.js';
import { CliError, UsageError } from '../errors.js';
import { joinCommand } from './cluster.js';

export const PID_FILE = 'flotilla.pid';

const nodeFlags: FlagDef[] = [
  {
    name: 'data-dir',
    kind: 'string',
    help: `Where the node keeps its state (env FLOTILLA_DATA_DIR, default ${DEFAULT_DATA_DIR})`,
  },
  {
    name: 'listen-addr',
    kind: 'string',
    help: `Listen address (format: <ip|interface>[:port]) (default 0.0.0.0:${DEFAULT_MANAGER_PORT})`,
  },
  {
    name: 'advertise-addr',
    kind: 'string',
    help: "Advertised address (format: <ip>[:port]); default: the listen address, or this host's first external IPv4",
  },
  {
    name: 'executor',
    kind: 'string',
    help: 'What runs tasks: "docker" (default), "process", or "none" (a manager that runs no tasks)',
  },
  {
    name: 'docker-socket',
    kind: 'string',
    help: "The Docker Engine's socket (default /var/run/docker.sock)",
  },
  {
    name: 'hostname',
    kind: 'string',
    help: "The hostname the node reports (default: the engine's or this host's)",
  },
  {
    name: 'mesh-workers',
    kind: 'uint',
    help: `Processes besides the daemon that accept the routing mesh's TCP connections (default: one per further core, at most 3; here ${defaultDataPlaneWorkers()})`,
  },
  { name: 'log-level', kind: 'string', help: 'Log level on stderr: debug, info, warn, error (default info)' },
];

interface NodeIdentityOnDisk {
  id: string;
  role: 'manager' | 'worker';
}

/** What a data directory holds: a manager (node.json), a worker (worker.json), or nothing. */
export function nodeOnDisk(dataDir: string): NodeIdentityOnDisk | null {
  try {
    const node = JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')) as {
      id: string;
      role: 'manager' | 'worker';
    };
    return { id: node.id, role: node.role };
  } catch {
    // No manager here: perhaps a worker.
  }
  try {
    const worker = JSON.parse(readFileSync(join(dataDir, 'worker.json'), 'utf8')) as { nodeId: string };
    return { id: worker.nodeId, role: 'worker' };
  } catch {
    return null;
  }
}

function withPort(address: string): string {
  return /:\d+$/.test(address) ? address : `${address}:${DEFAULT_MANAGER_PORT}`;
}

/** The first external IPv4 address of this host, as docker picks one when it must. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

function addresses(flags: ParsedFlags): { listenAddr: string; advertiseAddr: string } {
  const listenAddr = withPort(flags.str('listen-addr') ?? `0.0.0.0:${DEFAULT_MANAGER_PORT}`);
  const port = listenAddr.slice(listenAddr.lastIndexOf(':') + 1);
  let advertise = flags.str('advertise-addr');
  if (advertise === undefined) {
    const host = listenAddr.slice(0, listenAddr.lastIndexOf(':'));
    if (host !== '0.0.0.0' && host !== '::' && host !== '') advertise = listenAddr;
    else {
      const ip = externalAddress();
      if (ip === undefined)
        throw new UsageError('could not choose an advertise address: give --advertise-addr');
      advertise = ip;
    }
  }
  return { listenAddr, advertiseAddr: /:\d+$/.test(advertise) ? advertise : `${advertise}:${port}` };
}

function executorOf(flags: ParsedFlags): ExecutorConfig | undefined {
  const kind = flags.str('executor') ?? 'docker';
  if (kind === 'none') return undefined;
  if (kind === 'process') return { kind: 'process' };
  if (kind !== 'docker')
    throw new UsageError(`invalid argument "${kind}" for "--executor" flag: must be docker, process or none`);
  const socketPath = flags.str('docker-socket');
  return socketPath === undefined ? { kind: 'docker' } : { kind: 'docker', socketPath };
}

/** More mesh workers than this only contend for the same cores and sockets. */
const MAX_MESH_WORKERS = 16;

/** The routing mesh's settings from the flags (only what they name). */
function meshOf(flags: ParsedFlags): Pick<DaemonConfig, 'mesh'> {
  const workers = flags.num('mesh-workers');
  if (workers === undefined) return {};
  if (workers > MAX_MESH_WORKERS)
    throw new UsageError(
      `invalid argument "${workers}" for "--mesh-workers" flag: at most ${MAX_MESH_WORKERS}`,
    );
  return { mesh: { dataPlaneWorkers: workers } };
}

function logLevelOf(flags: ParsedFlags): LogLevel {
  const level = flags.str('log-level') ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError(
      `invalid argument "${level}" for "--log-level" flag: must be debug, info, warn or error`,
    );
  return level as LogLevel;
}

/** Runs the node in the foreground until SIGINT/SIGTERM (io.signal) or until it ends on its own. */
async function runForeground(
  io: Io,
  flags: ParsedFlags,
  config: DaemonConfig,
  announce: (node: RunningNode) => Promise<void>,
): Promise<number> {
  const logger = createJsonLogger({ level: logLevelOf(flags), fields: { dataDir: config.dataDir } });
  const node = await runNode(config, {
    logger,
    onLocked: () =>
      io.err(
        `This manager is locked (autolock): run 'flotilla unlock --data-dir ${config.dataDir}' with the cluster's unlock key.\n`,
      ),
  });
  const pidFile = join(config.dataDir, PID_FILE);
  await writeFile(pidFile, `${process.pid}\n`);
  node.onRoleChange((changed) =>
    io.out(
      changed.role === 'manager'
        ? `The cluster promoted node ${changed.id}: it now runs as a manager at ${changed.address}.\n`
        : `The cluster demoted node ${changed.id}: it now runs as a worker.\n`,
    ),
  );
  try {
    await announce(node);
    const interrupted = new Promise<string>((resolve) => {
      if (io.signal.aborted) resolve('interrupted');
      io.signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const why = await Promise.race([interrupted, node.ended]);
    if (why === 'interrupted') {
      io.err('Stopping the node…\n');
      await node.stop();
      return 0;
    }
    io.err(`The node stopped: ${why}.\n`);
    return 0;
  } finally {
    await rm(pidFile, { force: true });
  }
}

function resumeConfig(io: Io, dataDir: string, flags: ParsedFlags, ignored: string): DaemonConfig | null {
  const existing = nodeOnDisk(dataDir);
  if (!existing) return null;
  if (existing.role === 'worker' && !existsSync(join(dataDir, 'worker.json')))
    throw new CliError(
      `${dataDir} holds node ${existing.id}, which the cluster demoted to worker, but no worker state (worker.json): remove the directory and join again`,
    );
  io.out(`${dataDir} already holds node ${existing.id} (${existing.role}): resuming it${ignored}.\n`);
  return {
    // Either resumes the node in the role the data directory says it has now.
    mode: 'start',
    dataDir,
    executor: executorOf(flags),
    ...meshOf(flags),
    ...(flags.has('hostname') ? { hostname: flags.str('hostname')! } : {}),
  };
}

function announceResumed(io: Io): (node: RunningNode) => Promise<void> {
  return async (node) => {
    io.out(
      `Node ${node.id} is running as a ${node.role}${node.address === '' ? '' : ` at ${node.address}`}.\n`,
    );
  };
}

const init: Command = {
  connects: false,
  def: {
    path: 'init',
    usage: '[OPTIONS]',
    summary: 'Initialize a cluster and run this node as its first manager, in the foreground',
    flags: nodeFlags,
    args: [0, 0],
  },
  async run(io, { flags }) {
    const dataDir = dataDirOf(flags, io.env);
    const resumed = resumeConfig(io, dataDir, flags, ' (init does not found a new cluster over it)');
    if (resumed) return runForeground(io, flags, resumed, announceResumed(io));
    const { listenAddr, advertiseAddr } = addresses(flags);
    const config: DaemonConfig = {
      mode: 'init',
      dataDir,
      listenAddr,
      advertiseAddr,
      executor: executorOf(flags),
      ...meshOf(flags),
      ...(flags.has('hostname') ? { hostname: flags.str('hostname')! } : {}),
    };
    return runForeground(io, flags, config, async (node) => {
      const client = node.manager!.client();
      try {
        const tokens = (await client.getCluster()).joinTokens;
        io.out(
          `Cluster initialized: current node (${node.id}) is now a manager.\n\n` +
            joinCommand('worker', tokens.worker, node.address) +
            "To add a manager to this cluster, run 'flotilla join-token manager' and follow the instructions.\n\n",
        );
      } finally {
        client.close();
      }
    });
  },
};

const joinCluster: Command = {
  connects: false,
  def: {
    path: 'join',
    usage: '[OPTIONS] --token TOKEN HOST:PORT',
    summary:
      'Join a cluster as a worker or a manager (as the token says), and run this node in the foreground',
    flags: [{ name: 'token', kind: 'string', help: 'Token for entry into the cluster' }, ...nodeFlags],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const dataDir = dataDirOf(flags, io.env);
    const resumed = resumeConfig(io, dataDir, flags, ' (the token is not used)');
    if (resumed) return runForeground(io, flags, resumed, announceResumed(io));
    const token = flags.str('token');
    if (token === undefined || token === '') throw new UsageError('--token is required', 'join');
    const { listenAddr, advertiseAddr } = addresses(flags);
    const config: DaemonConfig = {
      mode: 'join-any',
      dataDir,
      listenAddr,
      advertiseAddr,
      joinAddr: withPort(args[0]!),
      joinToken: token,
      executor: executorOf(flags),
      ...meshOf(flags),
      ...(flags.has('hostname') ? { hostname: flags.str('hostname')! } : {}),
    };
    return runForeground(io, flags, config, async (node) => {
      io.out(
        node.role === 'manager'
          ? 'This node joined a cluster as a manager.\n'
          : 'This node joined a cluster as a worker.\n',
      );
    });
  },
};

const start: Command = {
  connects: false,
  def: {
    path: 'start',
    usage: '[OPTIONS]',
    summary: 'Run the node a data directory holds (after init or join), in the foreground',
    flags: nodeFlags.filter((f) => f.name !== 'listen-addr' && f.name !== 'advertise-addr'),
    args: [0, 0],
  },
  async run(io, { flags }) {
    const dataDir = dataDirOf(flags, io.env);
    const resumed = resumeConfig(io, dataDir, flags, '');
    if (!resumed)
      throw new CliError(
        `${dataDir} holds no node: use 'flotilla init' to found a cluster or 'flotilla join' to enter one`,
      );
    return runForeground(io, flags, resumed, announceResumed(io));
  },
};

/** Stops the daemon whose pid file is in dataDir, waiting until it has exited. */
async function stopDaemon(dataDir: string, timeoutMs = 30_000): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, PID_FILE), 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline)
      throw new CliError(`the node's process ${pid} did not stop within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * The certificates a manager asks the cluster to remove it with. Under autolock its node.key is
 * wrapped by the unlock key, which the manager running here (so unlocked) gives on its admin
 * socket; a manager that is stopped or still locked cannot, and the leave goes on without asking.
 */
async function certificatesToLeaveWith(dataDir: string): Promise<NodeCertificates | null> {
  try {
    return await readNodeCertificates(dataDir);
  } catch (err) {
    if (!isCertificateError(err, 'CA_KEY_WRAPPED')) throw err;
  }
  const client = new FlotillaClient({ address: `unix:${join(dataDir, CONTROL_SOCKET)}`, timeoutMs: 5_000 });
  let unlockKey: string;
  try {
    unlockKey = await client.getUnlockKey();
  } catch (err) {
    throw new CliError(
      `its node key is wrapped by the cluster's unlock key (autolock), and no unlocked manager runs here to give the key (${(err as Error).message.split('\n')[0]}): demote and remove it from another manager`,
    );
  } finally {
    client.close();
  }
  return readNodeCertificates(dataDir, { kek: parseUnlockKey(unlockKey) });
}

/** Removes the containers the node's Docker executor made (labelled with its id); 0 without an engine. */
async function removeTaskContainers(nodeId: string, socketPath: string | undefined): Promise<number> {
  const host = process.env.DOCKER_HOST;
  const docker = new Dockerode({
    socketPath:
      socketPath ?? (host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock'),
  });
  let containers: Dockerode.ContainerInfo[];
  try {
    containers = await docker.listContainers({
      all: true,
      filters: { label: [`com.flotilla.node.id=${nodeId}`] },
    });
  } catch {
    // No engine here (a process-executor node): nothing of ours to remove.
    return 0;
  }
  for (const c of containers) {
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
    } catch (err) {
      // Already gone (404) or being removed (409): that is the goal.
      const code = (err as { statusCode?: unknown }).statusCode;
      if (code !== 404 && code !== 409) throw err;
    }
  }
  return containers.length;
}

const leave: Command = {
  connects: false,
  def: {
    path: 'leave',
    usage: '[OPTIONS]',
    summary: "Leave the cluster: stop this host's node and forget its identity",
    flags: [
      {
        name: 'force',
        short: 'f',
        kind: 'bool',
        help: 'Force this node to leave the cluster, ignoring warnings',
      },
      {
        name: 'data-dir',
        kind: 'string',
        help: `The node's data directory (env FLOTILLA_DATA_DIR, default ${DEFAULT_DATA_DIR})`,
      },
      {
        name: 'docker-socket',
        kind: 'string',
        help: "The Docker Engine's socket (default /var/run/docker.sock)",
      },
    ],
    args: [0, 0],
  },
  async run(io, { flags }) {
    const dataDir = dataDirOf(flags, io.env);
    const node = nodeOnDisk(dataDir);
    if (!node) throw new CliError(`${dataDir} holds no node: this host is not part of a cluster`);
    const force = flags.bool('force');
    if (node.role === 'manager') {
      if (!force)
        throw new CliError(
          "this node is a manager: demote it first ('flotilla node demote'), or use --force to leave anyway (leaving the last manager loses the cluster)",
        );
      const identity = JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')) as {
        advertiseAddr: string;
      };
      try {
        const certs = await certificatesToLeaveWith(dataDir);
        if (certs) await callLeave(identity.advertiseAddr, channelCredentials(certs), { nodeId: node.id });
      } catch (err) {
        // --force: leave anyway (the last manager, a cluster without quorum, a key it cannot unwrap).
        io.err(
          `warning: the cluster did not remove this manager: ${(err as Error).message.split('\n')[0]}\n`,
        );
      }
    }
    await stopDaemon(dataDir);
    // A stopped agent leaves its containers for the next start to adopt; a node that leaves has
    // no next start, so its tasks' containers go too (as docker's leave stops its tasks).
    const removed = await removeTaskContainers(node.id, flags.str('docker-socket'));
    if (removed > 0) io.out(`Removed ${removed} task container${removed === 1 ? '' : 's'} of this node.\n`);
    for (const entry of ['node.json', 'worker.json', 'raft', 'keys', 'certs', 'worker', PID_FILE])
      await rm(join(dataDir, entry), { recursive: true, force: true });
    io.out('Node left the cluster.\n');
  },
};

export const daemonCommands: Command[] = [init, joinCluster, start, leave];
