// The cluster-wide commands (docker's `swarm` ones): `cluster inspect|update`, `join-token`,
// `unlock-key`, and `unlock` (a locked manager's admin socket). Admin certificates: admin-cert.ts.

import { join } from 'node:path';
import type { ClusterSpec, FlotillaClient } from '../../client/index.js';
import { callUnlock } from '../../manager/locked-service.js';
import type { Command } from '../command.js';
import { CONTROL_SOCKET, dataDirOf, type Connection } from '../connect.js';
import { CliError, UsageError } from '../errors.js';
import { renderInspect } from '../format.js';
import { formatFlag, withConnection } from './shared.js';
import { existsSync } from 'node:fs';

const inspect: Command = {
  connects: true,
  def: {
    path: 'cluster inspect',
    usage: '[OPTIONS]',
    summary: 'Display detailed information on the cluster',
    flags: [formatFlag],
    args: [0, 0],
  },
  async run(io, { flags }) {
    return withConnection(io, flags, async ({ client }) => {
      io.out(renderInspect([await client.getCluster()], flags.str('format')));
    });
  },
};

export function unlockKeyMessage(key: string): string {
  return (
    'To unlock a cluster manager after it restarts, run the `flotilla unlock`\n' +
    'command and provide the following key:\n\n' +
    `    ${key}\n\n` +
    'Please remember to store this key in a password manager, since without it you\n' +
    'will not be able to restart the manager.\n'
  );
}

const update: Command = {
  connects: true,
  def: {
    path: 'cluster update',
    usage: '[OPTIONS]',
    summary: 'Update the cluster',
    flags: [
      { name: 'autolock', kind: 'bool', help: 'Change manager autolocking setting (true|false)' },
      {
        name: 'cert-expiry',
        kind: 'duration',
        help: 'Validity period for node certificates (ns|us|ms|s|m|h)',
      },
      {
        name: 'dispatcher-heartbeat',
        kind: 'duration',
        help: 'Dispatcher heartbeat period (ns|us|ms|s|m|h)',
      },
      { name: 'task-history-limit', kind: 'uint', help: 'Task history retention limit' },
      { name: 'snapshot-interval', kind: 'uint', help: 'Number of log entries between Raft snapshots' },
      { name: 'max-snapshots', kind: 'uint', help: 'Number of additional Raft snapshots to retain' },
    ],
    args: [0, 0],
  },
  async run(io, { flags }) {
    const settings = [
      'autolock',
      'cert-expiry',
      'dispatcher-heartbeat',
      'task-history-limit',
      'snapshot-interval',
      'max-snapshots',
    ];
    if (!settings.some((s) => flags.has(s)))
      throw new UsageError('nothing to update: give at least one setting', 'cluster update');
    return withConnection(io, flags, async ({ client }) => {
      const cluster = await client.getCluster();
      const spec: ClusterSpec = structuredClone(cluster.spec);
      const num = (name: string): number | undefined => flags.num(name);
      if (num('task-history-limit') !== undefined)
        spec.orchestration = { ...spec.orchestration, taskHistoryRetentionLimit: num('task-history-limit')! };
      if (num('cert-expiry') !== undefined)
        spec.caConfig = { ...spec.caConfig, nodeCertExpiry: num('cert-expiry')! };
      if (num('dispatcher-heartbeat') !== undefined)
        spec.dispatcher = { ...spec.dispatcher, heartbeatPeriod: num('dispatcher-heartbeat')! };
      if (num('snapshot-interval') !== undefined)
        spec.raft = { ...spec.raft, snapshotInterval: num('snapshot-interval')! };
      if (num('max-snapshots') !== undefined)
        spec.raft = { ...spec.raft, keepOldSnapshots: num('max-snapshots')! };
      const wasLocked = cluster.spec.encryptionConfig?.autoLockManagers ?? false;
      if (flags.has('autolock'))
        spec.encryptionConfig = { ...spec.encryptionConfig, autoLockManagers: flags.bool('autolock') };
      await client.updateCluster(cluster.meta.version.index, spec);
      io.out('Cluster updated.\n');
      if (flags.bool('autolock') && !wasLocked) io.out(unlockKeyMessage(await waitForUnlockKey(client)));
    });
  },
};

/** The manager makes the key when it applies autolock: read until it is there (a few hundred ms). */
async function waitForUnlockKey(client: FlotillaClient): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const key = await client.getUnlockKey();
    if (key !== '') return key;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(
    'autolock is on but the manager reported no unlock key yet: read it with `flotilla unlock-key`',
  );
}

/** The address a joining node should dial: this host's manager, else the leader, else any manager. */
async function managerAddress(connection: Connection): Promise<string> {
  const managers = (await connection.client.listNodes()).filter((n) => n.managerStatus !== undefined);
  const local = managers.find((n) => n.id === connection.localNodeId);
  const chosen = local ?? managers.find((n) => n.managerStatus?.leader) ?? managers[0];
  if (!chosen?.managerStatus) throw new CliError('the cluster lists no manager address');
  return chosen.managerStatus.addr;
}

export function joinCommand(role: 'worker' | 'manager', token: string, address: string): string {
  return (
    `To add a ${role} to this cluster, run the following command:\n\n` +
    `    flotilla join --token ${token} ${address}\n\n`
  );
}

const joinToken: Command = {
  connects: true,
  def: {
    path: 'join-token',
    usage: '[OPTIONS] (worker|manager)',
    summary: 'Manage join tokens',
    flags: [
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display token' },
      { name: 'rotate', kind: 'bool', help: 'Rotate join token' },
    ],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const role = args[0]!;
    if (role !== 'worker' && role !== 'manager')
      throw new UsageError(`unknown role ${role}: expected worker or manager`, 'join-token');
    return withConnection(io, flags, async (connection) => {
      const { client } = connection;
      if (flags.bool('rotate')) {
        await client.rotateJoinTokens({ [role]: true });
        if (!flags.bool('quiet')) io.out(`Successfully rotated ${role} join token.\n\n`);
      }
      const token = (await client.getCluster({ linearizable: true })).joinTokens[role];
      if (flags.bool('quiet')) {
        io.out(`${token}\n`);
        return;
      }
      io.out(joinCommand(role, token, await managerAddress(connection)));
    });
  },
};

const unlockKey: Command = {
  connects: true,
  def: {
    path: 'unlock-key',
    usage: '[OPTIONS]',
    summary: 'Manage the unlock key',
    flags: [
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display the unlock key' },
      { name: 'rotate', kind: 'bool', help: 'Rotate the unlock key' },
    ],
    args: [0, 0],
  },
  async run(io, { flags }) {
    return withConnection(io, flags, async ({ client }) => {
      let key: string;
      if (flags.bool('rotate')) {
        const autolocked = (await client.getCluster()).spec.encryptionConfig?.autoLockManagers ?? false;
        if (!autolocked)
          throw new CliError(
            'cannot rotate the unlock key: the cluster is not autolocked (flotilla cluster update --autolock=true)',
          );
        key = await client.rotateUnlockKey();
        if (!flags.bool('quiet')) io.out('Successfully rotated manager unlock key.\n\n');
      } else key = await client.getUnlockKey();
      if (key === '')
        throw new CliError(
          'no unlock key is set: the cluster is not autolocked (flotilla cluster update --autolock=true)',
        );
      io.out(flags.bool('quiet') ? `${key}\n` : unlockKeyMessage(key));
    });
  },
};

const unlock: Command = {
  connects: false,
  def: {
    path: 'unlock',
    usage: '[OPTIONS]',
    summary: 'Unlock a locked manager on this host (the key is read from standard input)',
    flags: [
      {
        name: 'data-dir',
        kind: 'string',
        help: 'Data directory of the locked manager (env FLOTILLA_DATA_DIR)',
      },
    ],
    args: [0, 0],
  },
  async run(io, { flags }) {
    const socket = join(dataDirOf(flags, io.env), CONTROL_SOCKET);
    if (!existsSync(socket))
      throw new CliError(
        `cannot reach a manager: ${socket} does not exist; is a manager running here? use --data-dir`,
      );
    if (io.stdinIsTTY) io.err('Please enter unlock key: ');
    const key = (await io.readStdin()).toString('utf8').trim();
    if (key === '') throw new CliError('no unlock key given on standard input');
    await callUnlock(socket, key);
  },
};

export const clusterCommands: Command[] = [inspect, update, joinToken, unlockKey, unlock];
