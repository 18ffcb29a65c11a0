// Autolock with real manager processes: once the cluster is autolocked, a manager's node.key is
// wrapped by the unlock key too; killed with SIGKILL it restarts locked — its admin socket answers
// only Unlock, its cluster port is closed — refuses a wrong key changing nothing on disk, and with
// the right one starts with its state and identity intact. `flotilla leave --force` on an autolocked
// manager's host gets the key from the running manager to ask the cluster with its own certificate.

import { afterEach, describe, expect, it } from 'vitest';
import { ControlError, FlotillaClient } from '../../src/client/index.js';
import { createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { channelCredentials, readNodeCertificates } from '../../src/ca/index.js';
import { KEK_FILE, newUnlockKey, parseUnlockKey } from '../../src/manager/keys/index.js';
import { KEYS_DIR } from '../../src/manager/manager.js';
import {
  addresses,
  FAST,
  ManagerLockedError,
  ManagerProcesses,
  serviceSpec,
  TestDirs,
  waitUntil,
} from '../support/manager-cluster.js';
import { runCommand } from '../support/run-command.js';

let procs: ManagerProcesses | null = null;
let dirs: TestDirs | null = null;
const clients: FlotillaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await procs?.stop();
  await dirs?.remove();
  procs = null;
  dirs = null;
});

/** Every file under the manager's keys/ and certs/, with its bytes: what an unlock must not change. */
async function keyAndCertFiles(dataDir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const dir of [KEYS_DIR, 'certs'])
    for (const name of await readdir(join(dataDir, dir)))
      files[`${dir}/${name}`] = (await readFile(join(dataDir, dir, name))).toString('base64');
  return files;
}

function clientFor(address: string): FlotillaClient {
  const c = new FlotillaClient({ address, timeoutMs: 5_000 });
  clients.push(c);
  return c;
}

describe('an autolocked manager process', () => {
  it('restarts locked, serving nothing until unlocked with the cluster key', async () => {
    dirs = await TestDirs.create('flotilla-autolock-');
    procs = new ManagerProcesses(dirs);
    const addr = addresses(150);
    const m1 = await procs.spawn('m1', { mode: 'init', listenAddr: addr(1), tuning: FAST });
    const admin = clientFor(procs.controlAddress('m1'));
    const { id: serviceId } = await admin.createService(serviceSpec('kept'));
    const dataDir = dirs.dir('m1');
    const nodeKey = join(dataDir, 'certs', 'node.key');
    const plainKey = await readFile(nodeKey, 'utf8');
    const cluster = await admin.getCluster({ linearizable: true });
    await admin.updateCluster(cluster.meta.version.index, {
      ...cluster.spec,
      encryptionConfig: { autoLockManagers: true },
    });
    const unlockKey = await admin.getUnlockKey();
    expect(unlockKey).toMatch(/^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    // The manager re-wraps its key files as it applies the change: its stored KEK goes, and its
    // node.key is wrapped by the unlock key too (plain key nowhere in the file, not importable).
    const kek = join(dataDir, KEYS_DIR, KEK_FILE);
    await waitUntil('the key files to be wrapped by the unlock key', () => !existsSync(kek));
    await waitUntil('node.key to be wrapped by the unlock key', async () =>
      (await readFile(nodeKey, 'utf8')).includes('FLOTILLA WRAPPED NODE KEY'),
    );
    const wrapped = await readFile(nodeKey, 'utf8');
    expect(wrapped).not.toContain(plainKey.split('\n')[1]);
    expect(() => createPrivateKey({ key: wrapped, format: 'pem' })).toThrow();
    await expect(readNodeCertificates(dataDir)).rejects.toMatchObject({ code: 'CA_KEY_WRAPPED' });
    admin.close();

    await procs.kill('m1');
    await expect(procs.restart('m1')).rejects.toBeInstanceOf(ManagerLockedError);

    // Locked: the admin socket has no control API, the cluster port is not listening.
    const lockedAdmin = clientFor(procs.controlAddress('m1'));
    await expect(lockedAdmin.listServices()).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
    await expect(clientFor(m1.address).listServices()).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    const onDisk = await keyAndCertFiles(dataDir);
    const wrong = await procs.unlock('m1', newUnlockKey()).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ControlError);
    expect(wrong).toMatchObject({ code: 'PERMISSION_DENIED' });
    const malformed = await procs.unlock('m1', 'SWMKEY-1-short').catch((e: unknown) => e);
    expect(malformed).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await keyAndCertFiles(dataDir)).toEqual(onDisk);

    await procs.unlock('m1', unlockKey);
    const unlocked = clientFor(procs.controlAddress('m1'));
    expect((await unlocked.getService(serviceId, { linearizable: true })).spec.name).toBe('kept');
    expect(await unlocked.getUnlockKey()).toBe(unlockKey);
    // Unlocked, it runs with its own identity from the wrapped key, still wrapped on disk.
    expect((await readFile(nodeKey, 'utf8')).includes('FLOTILLA WRAPPED NODE KEY')).toBe(true);
    const certs = await readNodeCertificates(dataDir, { kek: parseUnlockKey(unlockKey) });
    expect(certs?.keyPem).toBe(plainKey);
    // Its cluster port is open again, and its own certificate, with the key unwrapped, is accepted there.
    const overTls = new FlotillaClient({
      address: m1.address,
      credentials: channelCredentials(certs!),
      timeoutMs: 5_000,
    });
    clients.push(overTls);
    expect((await overTls.getService(serviceId)).spec.name).toBe('kept');
  });

  it('leaves with `flotilla leave --force`, its wrapped key read with the unlock key its admin socket gives', async () => {
    const cli = join(import.meta.dirname, '../../dist/src/cli/main.js');
    dirs = await TestDirs.create('flotilla-autolock-');
    procs = new ManagerProcesses(dirs);
    const addr = addresses(160);
    const m1 = await procs.spawn('m1', { mode: 'init', listenAddr: addr(1), tuning: FAST });
    const admin = clientFor(procs.controlAddress('m1'));
    const token = (await admin.getCluster()).joinTokens.manager;
    const joined = [];
    for (const [name, n] of [
      ['m2', 2],
      ['m3', 3],
    ] as const)
      joined.push(
        await procs.spawn(name, {
          mode: 'join',
          listenAddr: addr(n),
          joinAddr: m1.address,
          joinToken: token,
          tuning: FAST,
        }),
      );
    const [m2, m3] = joined;
    const cluster = await admin.getCluster({ linearizable: true });
    await admin.updateCluster(cluster.meta.version.index, {
      ...cluster.spec,
      encryptionConfig: { autoLockManagers: true },
    });
    for (const name of ['m2', 'm3'])
      await waitUntil(`${name}'s node.key to be wrapped`, async () =>
        (await readFile(join(dirs!.dir(name), 'certs', 'node.key'), 'utf8')).includes(
          'FLOTILLA WRAPPED NODE KEY',
        ),
      );
    // Read locally: once m3 is down, m1 has no quorum for a linearizable read.
    const isManager = async (id: string): Promise<boolean> =>
      (await admin.getNode(id)).spec.role === 'manager';

    // Running, so unlocked: the cluster is asked, with the node's own certificate.
    const left = await runCommand(process.execPath, [cli, 'leave', '--force', '--data-dir', dirs.dir('m2')]);
    expect(left.stderr).toBe('');
    expect(left.code).toBe(0);
    await waitUntil('the cluster to remove m2 from its managers', async () => !(await isManager(m2!.id)));

    // Stopped: nothing gives the key; it leaves without asking, and says so.
    await procs.kill('m3');
    const forced = await runCommand(process.execPath, [
      cli,
      'leave',
      '--force',
      '--data-dir',
      dirs.dir('m3'),
    ]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(
      /^warning: the cluster did not remove this manager: its node key is wrapped by the cluster's unlock key \(autolock\), and no unlocked manager runs here/,
    );
    expect(forced.stdout).toContain('Node left the cluster.');
    expect(await isManager(m3!.id)).toBe(true);
  });
});
