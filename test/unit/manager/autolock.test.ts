// AutolockKeeper on real files: turning autolock on or off and rotating the unlock key re-wrap the
// key files and node.key together; stopped at either point between its steps (as a crash would
// stop it), the manager restarts with the key that opens its key files, node.key opens with that
// key too, and the restarted keeper finishes the change. Renewals write node.key wrapped, a locked
// manager's Unlock checks node.key as well as the key files, and a manager that becomes a worker
// gets node.key back plain.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createRootCA,
  readNodeCertificates,
  writeNodeCertificates,
  type NodeCertificates,
  type SigningCA,
} from '../../../src/ca/index.js';
import { AutolockKeeper } from '../../../src/manager/autolock.js';
import type { ApiStore } from '../../../src/manager/control/index.js';
import {
  createKeyFiles,
  KeyError,
  newUnlockKey,
  openKeyFiles,
  parseUnlockKey,
} from '../../../src/manager/keys/index.js';
import { callUnlock, waitForUnlock } from '../../../src/manager/locked-service.js';
import { openKeysAndCertificates } from '../../../src/manager/manager-parts.js';
import { silentLogger } from '../../../src/util/logger.js';
import { nodeCert } from '../ca/fixtures.js';

/** Where the next re-wrap of the key files stops, as a crash would: the keeper's step 2. */
type CrashPoint = 'nowhere' | 'before key files' | 'after key files';
const crash = vi.hoisted((): { at: CrashPoint } => ({ at: 'nowhere' }));
vi.mock('../../../src/manager/keys/index.js', async (importOriginal) => {
  const keys = await importOriginal<typeof import('../../../src/manager/keys/index.js')>();
  return {
    ...keys,
    rewrapKeyFiles: async (...args: Parameters<typeof keys.rewrapKeyFiles>) => {
      if (crash.at === 'before key files') throw new Error('crashed before re-wrapping the key files');
      const rewrapped = await keys.rewrapKeyFiles(...args);
      if (crash.at === 'after key files') throw new Error('crashed after re-wrapping the key files');
      return rewrapped;
    },
  };
});

const dirs: string[] = [];
afterEach(async () => {
  crash.at = 'nowhere';
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The one thing the keeper reads of the store: the cluster object's autolock setting and key. */
function clusterSaying(unlockKey: string | null): { store: ApiStore; set: (key: string | null) => void } {
  let cluster = { spec: { encryptionConfig: { autoLockManagers: unlockKey !== null } }, unlockKey };
  const store = { list: (kind: string) => (kind === 'cluster' ? [cluster] : []) } as unknown as ApiStore;
  return {
    store,
    set: (key) =>
      (cluster = { spec: { encryptionConfig: { autoLockManagers: key !== null } }, unlockKey: key }),
  };
}

const kekOf = (key: string | null): Buffer | null => (key === null ? null : parseUnlockKey(key));

describe('AutolockKeeper', () => {
  let ca: SigningCA;
  let certs: NodeCertificates;
  let renewed: NodeCertificates;

  beforeAll(async () => {
    ca = await createRootCA();
    const [first, second] = await Promise.all([nodeCert(ca, 'm1', 'manager'), nodeCert(ca, 'm1', 'manager')]);
    certs = { rootsPem: ca.certPem, keyPem: first.keyPem, certChainPem: first.certPem };
    renewed = { rootsPem: ca.certPem, keyPem: second.keyPem, certChainPem: second.certPem };
  });

  /** A manager's data directory with its key files and certificates wrapped by `unlockKey` (or not). */
  async function managerDir(unlockKey: string | null): Promise<{ dataDir: string; keysDir: string }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-autolock-'));
    dirs.push(dataDir);
    const keysDir = join(dataDir, 'keys');
    await createKeyFiles(keysDir, unlockKey === null ? {} : { unlockKey });
    await writeNodeCertificates(dataDir, certs, { kek: kekOf(unlockKey) });
    return { dataDir, keysDir };
  }

  async function keeperFor(
    dir: { dataDir: string; keysDir: string },
    store: ApiStore,
    unlockKey: string | null,
  ): Promise<AutolockKeeper> {
    const keys = await openKeyFiles(dir.keysDir, { unlockKey });
    return new AutolockKeeper({ store, ...dir, keys, wrappedWith: keys.autolocked ? unlockKey : null });
  }

  /**
   * What a restarted manager does: no key first, then each key in turn while the key files say it
   * is not theirs (Manager.start, then Unlock). Returns the key that opened them.
   */
  async function restart(dataDir: string, keys: Array<string | null>): Promise<string | null> {
    for (const key of [null, ...keys]) {
      try {
        const opened = await openKeysAndCertificates(dataDir, key ?? undefined);
        expect(opened.certs).toEqual(certs);
        return opened.keys.autolocked ? key : null;
      } catch (err) {
        if (!(err instanceof KeyError) || !['KEYS_LOCKED', 'KEYS_WRONG_UNLOCK_KEY'].includes(err.code))
          throw err;
      }
    }
    throw new Error('no key opened the key files');
  }

  /** node.key as the cluster says it should be: plain, or wrapped by `unlockKey` alone. */
  async function expectNodeKeyWrappedBy(dataDir: string, unlockKey: string | null, formerKey: string | null) {
    const onDisk = await readFile(join(dataDir, 'certs', 'node.key'), 'utf8');
    if (unlockKey === null) {
      expect(onDisk).toBe(certs.keyPem);
      return;
    }
    expect(onDisk.match(/-----BEGIN FLOTILLA WRAPPED NODE KEY-----/g)).toHaveLength(1);
    expect(onDisk).not.toContain(certs.keyPem.split('\n')[1]);
    expect(await readNodeCertificates(dataDir, { kek: kekOf(unlockKey) })).toEqual(certs);
    if (formerKey !== null)
      await expect(readNodeCertificates(dataDir, { kek: kekOf(formerKey) })).rejects.toMatchObject({
        code: 'CA_KEY_UNWRAP_FAILED',
      });
  }

  const oldKey = newUnlockKey();
  const newKey = newUnlockKey();
  const changes: Array<[string, string | null, string | null]> = [
    ['autolock turned on', null, newKey],
    ['autolock turned off', oldKey, null],
    ['the unlock key rotated', oldKey, newKey],
  ];

  describe.each(changes)('%s', (_change, from, to) => {
    it('re-wraps the key files and node.key together', async () => {
      const dir = await managerDir(from);
      const cluster = clusterSaying(to);
      const keeper = await keeperFor(dir, cluster.store, from);
      await keeper.settled();
      expect(keeper.lockedWith).toBe(to);
      expect(await restart(dir.dataDir, [to])).toBe(to);
      await expectNodeKeyWrappedBy(dir.dataDir, to, from);
    });

    it.each(['before key files', 'after key files'] as const)(
      'restarts after a crash %s are re-wrapped, and finishes the change',
      async (at) => {
        const dir = await managerDir(from);
        const cluster = clusterSaying(to);
        crash.at = at;
        await (await keeperFor(dir, cluster.store, from)).settled();
        crash.at = 'nowhere';

        if (from !== null && to !== null) {
          // Mid-rotation node.key is wrapped (by both keys), never written plain.
          const onDisk = await readFile(join(dir.dataDir, 'certs', 'node.key'), 'utf8');
          expect(onDisk.match(/-----BEGIN FLOTILLA WRAPPED NODE KEY-----/g)).toHaveLength(2);
        }
        // The key files open with the old key or the new one (as the crash fell): node.key too.
        const opener = await restart(
          dir.dataDir,
          [from, to].filter((key) => key !== null),
        );
        expect(opener).toBe(at === 'before key files' ? from : to);
        const restarted = await keeperFor(dir, cluster.store, opener);
        await restarted.settled();
        expect(restarted.lockedWith).toBe(to);
        expect(await restart(dir.dataDir, [to])).toBe(to);
        await expectNodeKeyWrappedBy(dir.dataDir, to, from);
      },
    );
  });

  it('writes renewed certificates wrapped by the unlock key, also during a rotation', async () => {
    const dir = await managerDir(oldKey);
    const cluster = clusterSaying(oldKey);
    const keeper = await keeperFor(dir, cluster.store, oldKey);
    await keeper.writeNodeCertificates(renewed);
    expect(await readNodeCertificates(dir.dataDir, { kek: kekOf(oldKey) })).toEqual(renewed);
    await expect(readNodeCertificates(dir.dataDir)).rejects.toMatchObject({ code: 'CA_KEY_WRAPPED' });

    cluster.set(newKey);
    const rotation = keeper.settled();
    const renewal = keeper.writeNodeCertificates(certs);
    await Promise.all([rotation, renewal]);
    expect(keeper.lockedWith).toBe(newKey);
    await expectNodeKeyWrappedBy(dir.dataDir, newKey, oldKey);
  });

  it("answers a locked manager's Unlock only for a key that opens the key files and node.key, changing nothing", async () => {
    const { dataDir } = await managerDir(oldKey);
    const nodeKey = join(dataDir, 'certs', 'node.key');
    const wrapped = await readFile(nodeKey, 'utf8');
    const socket = join(dataDir, 'control.sock');
    let listening: () => void = () => {};
    const bound = new Promise<void>((resolve) => (listening = resolve));
    const unlocked = waitForUnlock(socket, dataDir, silentLogger, listening);
    await bound;

    await expect(callUnlock(socket, newUnlockKey())).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await writeFile(nodeKey, wrapped.slice(0, 100));
    const damaged = await callUnlock(socket, oldKey).catch((err: unknown) => err);
    expect(damaged).toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((damaged as Error).message).toContain(`${nodeKey}: the wrapped node key is damaged`);
    expect(await readFile(nodeKey, 'utf8')).toBe(wrapped.slice(0, 100));

    await writeFile(nodeKey, wrapped);
    await callUnlock(socket, oldKey);
    expect(await unlocked).toBe(oldKey);
    expect(await readFile(nodeKey, 'utf8')).toBe(wrapped);
  });

  it('puts node.key back plain for a manager that carries on as a worker', async () => {
    const dir = await managerDir(oldKey);
    const keeper = await keeperFor(dir, clusterSaying(oldKey).store, oldKey);
    await keeper.unwrapNodeKey();
    expect(await readNodeCertificates(dir.dataDir)).toEqual(certs);
  });
});
