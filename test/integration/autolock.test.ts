// Autolock with real manager processes: once the cluster is autolocked, a manager killed with
// SIGKILL restarts locked — its admin socket answers only Unlock, its cluster port is closed —
// refuses a wrong key, and with the right one starts with its state intact.

import { afterEach, describe, expect, it } from 'vitest';
import { ControlError, FlotillaClient } from '../../src/client/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KEK_FILE, newUnlockKey } from '../../src/manager/keys/index.js';
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
    const cluster = await admin.getCluster({ linearizable: true });
    await admin.updateCluster(cluster.meta.version.index, {
      ...cluster.spec,
      encryptionConfig: { autoLockManagers: true },
    });
    const unlockKey = await admin.getUnlockKey();
    expect(unlockKey).toMatch(/^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    // The manager re-wraps its key files as it applies the change: its stored KEK goes.
    const kek = join(dirs.dir('m1'), KEYS_DIR, KEK_FILE);
    await waitUntil('the key files to be wrapped by the unlock key', () => !existsSync(kek));
    admin.close();

    await procs.kill('m1');
    await expect(procs.restart('m1')).rejects.toBeInstanceOf(ManagerLockedError);

    // Locked: the admin socket has no control API, the cluster port is not listening.
    const lockedAdmin = clientFor(procs.controlAddress('m1'));
    await expect(lockedAdmin.listServices()).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
    await expect(clientFor(m1.address).listServices()).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    const wrong = await procs.unlock('m1', newUnlockKey()).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ControlError);
    expect(wrong).toMatchObject({ code: 'PERMISSION_DENIED' });
    const malformed = await procs.unlock('m1', 'SWMKEY-1-short').catch((e: unknown) => e);
    expect(malformed).toMatchObject({ code: 'INVALID_ARGUMENT' });

    await procs.unlock('m1', unlockKey);
    const unlocked = clientFor(procs.controlAddress('m1'));
    expect((await unlocked.getService(serviceId, { linearizable: true })).spec.name).toBe('kept');
    expect(await unlocked.getUnlockKey()).toBe(unlockKey);
  });
});
