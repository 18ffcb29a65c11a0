// Managers in one process on 127.0.0.x: init, restart with identity, join (good and bad secret),
// three managers whose stores agree after writes through followers, and leave.

import { createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ControlError, FlotillaClient } from '../../../src/client/index.js';
import { DataDirError, Manager } from '../../../src/manager/index.js';
import { callJoin } from '../../../src/manager/membership-service.js';
import { requestNodeCertificate } from '../../../src/ca/client.js';
import {
  channelCredentials,
  createCsr,
  generateNodeKey,
  readNodeCertificates,
  rootCADigest,
  verifyCertificate,
} from '../../../src/ca/index.js';
import { readIdentity } from '../../../src/manager/node-identity.js';
import { newUnlockKey, parseUnlockKey } from '../../../src/manager/keys/index.js';
import { addresses, FAST, TestDirs, waitUntil } from '../../support/manager-cluster.js';

const service = (name: string) => ({
  name,
  taskTemplate: { containerSpec: { image: 'nginx:1.27' } },
  mode: { replicated: { replicas: 1 } },
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('Manager', () => {
  let dirs: TestDirs;
  let addr: (n: number) => string;
  const running: Manager[] = [];
  const track = (m: Manager): Manager => {
    running.push(m);
    return m;
  };

  beforeEach(async () => {
    dirs = await TestDirs.create();
    addr = addresses(100 + Math.floor(Math.random() * 100));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((m) => m.stop()));
    await dirs.remove();
  });

  const tokenOf = async (m: Manager): Promise<string> => {
    const c = m.client();
    try {
      return (await c.getCluster()).joinTokens.manager;
    } finally {
      c.close();
    }
  };

  const threeManagers = async (): Promise<Manager[]> => {
    const a = track(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    const token = await tokenOf(a);
    const b = track(
      await Manager.join({
        dataDir: dirs.dir('b'),
        listenAddr: addr(2),
        joinAddr: a.address,
        joinToken: token,
        tuning: FAST,
      }),
    );
    await waitUntil('b to be a voter', () => a.raft.membership().voters.includes(b.id));
    const c = track(
      await Manager.join({
        dataDir: dirs.dir('c'),
        listenAddr: addr(3),
        joinAddr: b.address,
        joinToken: token,
        tuning: FAST,
      }),
    );
    await waitUntil('c to be a voter', () => a.raft.membership().voters.includes(c.id));
    return [a, b, c];
  };

  it('founds a cluster with a cluster object and its own manager Node, identity on disk', async () => {
    const m = track(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    const cluster = m.store.list('cluster');
    expect(cluster).toHaveLength(1);
    expect(cluster[0]!.id).toBe(m.clusterId);
    // Swarm's token shape, naming this cluster's root; the CA is in the store, certificates on disk.
    const { joinTokens, rootCA } = cluster[0]!;
    expect(joinTokens.manager).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    expect(joinTokens.worker).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    expect(joinTokens.worker).not.toBe(joinTokens.manager);
    const certs = (await readNodeCertificates(m.dataDir))!;
    expect(rootCA?.caCert).toBe(certs.rootsPem);
    expect(rootCADigest(certs.rootsPem)).toBe(rootCA?.caCertHash);
    const mine = await verifyCertificate(certs.certChainPem, { roots: [certs.rootsPem] });
    expect(mine).toMatchObject({ nodeId: m.id, role: 'manager', clusterId: m.clusterId });
    const node = m.store.get('node', m.id);
    expect(node?.spec.role).toBe('manager');
    expect(node?.managerStatus).toEqual({ leader: true, reachability: 'reachable', addr: addr(1) });
    const identity = JSON.parse(await readFile(join(dirs.dir('a'), 'node.json'), 'utf8')) as { id: string };
    expect(identity.id).toBe(m.id);
    // The CA key lives in the (encrypted) store; the plain copy init wrote to disk goes.
    expect(rootCA?.caKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    await waitUntil('certs/ca.key removed', () => !existsSync(join(m.dataDir, 'certs', 'ca.key')));
  });

  it('restarts from its data directory with the same identity and state', async () => {
    const m = await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST });
    const c = m.client();
    await c.createService(service('web'));
    c.close();
    const id = m.id;
    await m.stop();
    await expect(Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1) })).rejects.toThrow(DataDirError);
    const again = track(await Manager.start({ dataDir: dirs.dir('a'), tuning: FAST }));
    expect(again.id).toBe(id);
    await again.raft.waitForLeader();
    await waitUntil('the service to be back', () => again.store.getByName('service', 'web') !== undefined);
    expect(again.raft.membership().voters).toEqual([id]);
    // It signs from the CA key in its store: no copy of it is left on disk.
    expect(existsSync(join(dirs.dir('a'), 'certs', 'ca.key'))).toBe(false);
    const root = (await readNodeCertificates(again.dataDir))!.rootsPem;
    const token = again.store.list('cluster')[0]!.joinTokens.worker;
    const issued = await requestNodeCertificate(again.address, root, {
      csr: await createCsr(await generateNodeKey()),
      token,
      addr: '127.0.0.1',
    });
    expect(issued.role).toBe('worker');
  });

  it('refuses a join with a rotated or malformed token and changes nothing', async () => {
    const a = track(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    const before = a.raft.membership();
    const token = await tokenOf(a);
    // The right cluster (its CA digest) but another secret: what a rotated token looks like.
    const stale = token.replace(/-[0-9a-z]{25}$/, `-${'0'.repeat(25)}`);
    const join = (joinToken: string): Promise<unknown> =>
      Manager.join({
        dataDir: dirs.dir('b'),
        listenAddr: addr(2),
        joinAddr: a.address,
        joinToken,
        tuning: FAST,
      }).catch((e: unknown) => e);
    const err = await join(stale);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).code).toBe('PERMISSION_DENIED');
    expect((err as ControlError).message).toMatch(/join token is not valid/);
    expect(await join('not-a-token')).toMatchObject({ code: 'CA_BAD_TOKEN' });
    expect(a.raft.membership()).toEqual(before);
    await expect(Manager.start({ dataDir: dirs.dir('b') })).rejects.toThrow(DataDirError);
    // Nothing of the refused attempt remains: the same directory joins with the right secret.
    const b = track(
      await Manager.join({
        dataDir: dirs.dir('b'),
        listenAddr: addr(2),
        joinAddr: a.address,
        joinToken: await tokenOf(a),
        tuning: FAST,
      }),
    );
    await waitUntil('b to be a voter', () => a.raft.membership().voters.includes(b.id));
  });

  it('rotates the manager token: the old one is refused at once, the new one joins', async () => {
    const a = track(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    const c = a.client();
    try {
      const before = await c.getCluster();
      await c.rotateJoinTokens({ manager: true });
      const after = await c.getCluster();
      expect(after.joinTokens.manager).not.toBe(before.joinTokens.manager);
      expect(after.joinTokens.worker).toBe(before.joinTokens.worker);
      const err = await Manager.join({
        dataDir: dirs.dir('b'),
        listenAddr: addr(2),
        joinAddr: a.address,
        joinToken: before.joinTokens.manager,
        tuning: FAST,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PERMISSION_DENIED' });
      const b = track(
        await Manager.join({
          dataDir: dirs.dir('b'),
          listenAddr: addr(2),
          joinAddr: a.address,
          joinToken: after.joinTokens.manager,
          tuning: FAST,
        }),
      );
      await waitUntil('b to be a voter', () => a.raft.membership().voters.includes(b.id));
    } finally {
      c.close();
    }
  });

  it('runs the control loops on the leader only: a service becomes tasks, also after a failover', async () => {
    const managers = await threeManagers();
    const leader = managers.find((m) => m.raft.isLeader())!;
    const c = leader.client();
    try {
      const { id } = await c.createService({ ...service('web'), mode: { replicated: { replicas: 3 } } });
      // No node runs an agent here, so none is ready and nothing is placed: the orchestrator's
      // tasks wait for a node (placement end to end is test/e2e and test/unit/worker/agent.test.ts).
      const created = (m: Manager): number =>
        m.store.list('task', { serviceId: id, desiredState: 'running' }).filter((t) => t.slot !== undefined)
          .length;
      await waitUntil('3 tasks created', () => created(leader) === 3);
      await leader.stop();
      const survivors = managers.filter((m) => m !== leader);
      await waitUntil('a new leader', () => survivors.some((m) => m.raft.isLeader()));
      const next = survivors.find((m) => m.raft.isLeader())!;
      const c2 = next.client();
      try {
        const current = await c2.getService(id, { linearizable: true });
        await c2.updateService(id, current.meta.version.index, {
          ...current.spec,
          mode: { replicated: { replicas: 5 } },
        });
      } finally {
        c2.close();
      }
      await waitUntil('5 tasks created by the new leader', () => created(next) === 5);
      // Exactly five: the new leader finished the old one's work without duplicating a slot.
      const running = next.store.list('task', { serviceId: id, desiredState: 'running' });
      expect(new Set(running.map((t) => t.slot))).toEqual(new Set([1, 2, 3, 4, 5]));
      expect(running).toHaveLength(5);
    } finally {
      c.close();
    }
  });

  it('keeps a secret out of its Raft files: the log and snapshots are encrypted at rest', async () => {
    const m = track(
      await Manager.init({
        dataDir: dirs.dir('a'),
        listenAddr: addr(1),
        tuning: { ...FAST, snapshotEntries: 5 },
      }),
    );
    const marker = `hunter2-${Math.random().toString(36).slice(2)}`;
    const c = m.client();
    try {
      await c.createSecret({ name: 'db-password', data: marker });
      // Enough writes after it for a snapshot that holds the secret.
      for (let i = 0; i < 8; i++) await c.createService(service(`s${i}`));
    } finally {
      c.close();
    }
    await waitUntil(
      'a snapshot file',
      async () => (await filesUnder(join(m.dataDir, 'raft', 'snap'))).length > 0,
    );
    await m.stop();
    const files = await filesUnder(join(m.dataDir, 'raft'));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect((await readFile(file)).includes(marker), file).toBe(false);
    // And the manager still reads it all back.
    const again = track(await Manager.start({ dataDir: dirs.dir('a'), tuning: FAST }));
    const data = again.store.getByName('secret', 'db-password')?.spec.data;
    expect(Buffer.from(data ?? []).toString('utf8')).toBe(marker);
  });

  it('autolocks: a restarted manager needs the unlock key, which can be rotated and turned off', async () => {
    const dataDir = dirs.dir('a');
    let m = await Manager.init({ dataDir, listenAddr: addr(1), tuning: FAST });
    const setAutolock = async (on: boolean): Promise<void> => {
      const c = m.client();
      try {
        const cluster = await c.getCluster({ linearizable: true });
        await c.updateCluster(cluster.meta.version.index, {
          ...cluster.spec,
          encryptionConfig: { autoLockManagers: on },
        });
      } finally {
        c.close();
      }
      await m.autolock.settled();
    };
    const withClient = async <T>(f: (c: ReturnType<Manager['client']>) => Promise<T>): Promise<T> => {
      const c = m.client();
      try {
        return await f(c);
      } finally {
        c.close();
      }
    };
    const nodeKeyPath = join(dataDir, 'certs', 'node.key');
    /** node.key on disk: not the plain key, not importable, and opened by `unlockKey` alone. */
    const expectNodeKeyWrappedBy = async (unlockKey: string, formerKey?: string): Promise<void> => {
      const onDisk = await readFile(nodeKeyPath, 'utf8');
      expect(onDisk).not.toContain('PRIVATE KEY-----');
      expect(onDisk).not.toContain(m.tls.current.keyPem.split('\n')[1]);
      expect(() => createPrivateKey({ key: onDisk, format: 'pem' })).toThrow();
      await expect(readNodeCertificates(dataDir)).rejects.toMatchObject({ code: 'CA_KEY_WRAPPED' });
      const opened = await readNodeCertificates(dataDir, { kek: parseUnlockKey(unlockKey) });
      expect(opened?.keyPem).toBe(m.tls.current.keyPem);
      if (formerKey !== undefined)
        await expect(readNodeCertificates(dataDir, { kek: parseUnlockKey(formerKey) })).rejects.toMatchObject(
          { code: 'CA_KEY_UNWRAP_FAILED' },
        );
    };
    const plainKey = await readFile(nodeKeyPath, 'utf8');
    await setAutolock(true);
    const key = await withClient((c) => c.getUnlockKey());
    expect(key).toMatch(/^SWMKEY-1-/);
    expect(m.autolock.lockedWith).toBe(key);
    await expectNodeKeyWrappedBy(key);
    await withClient((c) => c.createService(service('kept')));
    // A renewal while autolocked writes its new key wrapped.
    await m.certificates.renewNow();
    expect(m.certificates.renewals).toBe(1);
    expect(m.tls.current.keyPem).not.toBe(plainKey);
    await expectNodeKeyWrappedBy(key);
    await m.stop();

    await expect(Manager.start({ dataDir, tuning: FAST })).rejects.toMatchObject({ code: 'KEYS_LOCKED' });
    await expect(Manager.start({ dataDir, tuning: FAST, unlockKey: newUnlockKey() })).rejects.toMatchObject({
      code: 'KEYS_WRONG_UNLOCK_KEY',
    });
    m = await Manager.start({ dataDir, tuning: FAST, unlockKey: key });
    await waitUntil('a leader', () => m.raft.isLeader());
    expect(m.store.getByName('service', 'kept')).toBeDefined();
    await expectNodeKeyWrappedBy(key);

    // Rotation: the old key stops unlocking, the new one does; node.key is re-wrapped with it.
    const rotated = await withClient((c) => c.rotateUnlockKey());
    expect(rotated).not.toBe(key);
    await m.autolock.settled();
    await expectNodeKeyWrappedBy(rotated, key);
    await m.stop();
    await expect(Manager.start({ dataDir, tuning: FAST, unlockKey: key })).rejects.toMatchObject({
      code: 'KEYS_WRONG_UNLOCK_KEY',
    });
    m = await Manager.start({ dataDir, tuning: FAST, unlockKey: rotated });
    await waitUntil('a leader', () => m.raft.isLeader());

    // Off again: no key needed, none to read, node.key plain.
    await setAutolock(false);
    expect(await withClient((c) => c.getUnlockKey())).toBe('');
    expect(await readFile(nodeKeyPath, 'utf8')).toBe(m.tls.current.keyPem);
    expect((await readNodeCertificates(dataDir))?.keyPem).toBe(m.tls.current.keyPem);
    await m.stop();
    m = track(await Manager.start({ dataDir, tuning: FAST }));
    expect(m.store.getByName('service', 'kept')).toBeDefined();
  });

  it('issues admin client certificates that reach the control API over TCP, and nothing else', async () => {
    const a = track(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    const keyPem = await generateNodeKey();
    const local = a.client();
    const issued = await local.issueAdminCertificate(await createCsr(keyPem)).finally(() => local.close());
    const admin = { rootsPem: issued.rootCa, keyPem, certChainPem: issued.certificateChain };
    expect(await verifyCertificate(admin.certChainPem, { roots: [admin.rootsPem] })).toMatchObject({
      nodeId: issued.id,
      role: 'admin',
      clusterId: a.clusterId,
    });
    const remote = new FlotillaClient({ address: a.address, credentials: channelCredentials(admin) });
    try {
      await remote.createService(service('remote'));
      expect((await remote.listServices()).map((s) => s.spec.name)).toEqual(['remote']);
    } finally {
      remote.close();
    }
    // Without a certificate the TCP port refuses the API; Membership refuses an admin.
    const anonymous = new FlotillaClient({
      address: a.address,
      credentials: grpc.credentials.createSsl(Buffer.from(admin.rootsPem), null, null, {
        checkServerIdentity: () => undefined,
      }),
    });
    await expect(anonymous.listServices()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    anonymous.close();
    await expect(callJoin(a.address, channelCredentials(admin), { address: addr(9) })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
  });

  it('rotates the root CA under a running cluster without a failed write, then joins with the new token', async () => {
    const managers = await threeManagers();
    const [a] = managers;
    const clients = managers.map((m) => m.client());
    const oldRoot = (await readNodeCertificates(a!.dataDir))!.rootsPem;
    const before = await clients[0]!.getCluster({ linearizable: true });
    let writes = 0;
    const failures: unknown[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 2_000; i++) {
        try {
          await clients[i % 3]!.createService(service(`during-${i}`));
          writes++;
        } catch (err) {
          failures.push(err);
        }
      }
    })();
    try {
      await clients[1]!.rotateRootCA();
      await waitUntil(
        'the rotation to finish',
        () => {
          const cluster = a!.store.list('cluster')[0]!;
          return !cluster.rootRotationInProgress && cluster.rootCA?.caCertHash !== before.rootCA?.caCertHash;
        },
        30_000,
      );
      // The old root is dropped everywhere: each manager trusts the new one only, and its own
      // certificate chains to it.
      const newRoot = a!.store.list('cluster')[0]!.rootCA!.caCert;
      for (const m of managers) {
        await waitUntil(`${m.id} to trust the new root only`, async () => {
          return (await readNodeCertificates(m.dataDir))!.rootsPem === newRoot;
        });
        const certs = (await readNodeCertificates(m.dataDir))!;
        await verifyCertificate(certs.certChainPem, { roots: [newRoot] });
        expect(certs.rootsPem).not.toContain(oldRoot.trim());
      }
      const progress = writes;
      await waitUntil('writes to go on after the rotation', () => writes > progress + 5);
    } finally {
      writing = false;
      await writer;
    }
    expect(failures).toEqual([]);
    expect(writes).toBeGreaterThan(10);
    const after = await clients[0]!.getCluster({ linearizable: true });
    expect(after.joinTokens.manager).not.toBe(before.joinTokens.manager);
    // The old token names the old root: the joiner refuses the manager's new root.
    const refused = await Manager.join({
      dataDir: dirs.dir('d'),
      listenAddr: addr(4),
      joinAddr: a!.address,
      joinToken: before.joinTokens.manager,
      tuning: FAST,
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CA_DIGEST_MISMATCH' });
    const d = track(
      await Manager.join({
        dataDir: dirs.dir('d'),
        listenAddr: addr(4),
        joinAddr: a!.address,
        joinToken: after.joinTokens.manager,
        tuning: FAST,
      }),
    );
    await waitUntil('d to be a voter', () => a!.raft.membership().voters.includes(d.id));
    for (const c of clients) c.close();
  });

  it('joins three managers whose stores agree after writes through followers', async () => {
    const managers = await threeManagers();
    await waitUntil('three manager Nodes, one leader', () => {
      const nodes = managers[0]!.store.list('node');
      return nodes.length === 3 && nodes.filter((n) => n.managerStatus?.leader).length === 1;
    });
    for (const [i, m] of managers.entries()) {
      const c = m.client();
      for (let j = 0; j < 5; j++) await c.createService(service(`s${i}-${j}`));
      c.close();
    }
    const names = (m: Manager) =>
      m.store
        .list('service')
        .map((s) => s.spec.name)
        .sort();
    await waitUntil('all stores to hold 15 services', () => managers.every((m) => names(m).length === 15));
    expect(names(managers[1]!)).toEqual(names(managers[0]!));
    expect(names(managers[2]!)).toEqual(names(managers[0]!));
    for (const m of managers) {
      const node = managers[0]!.store.get('node', m.id);
      expect(node?.managerStatus?.addr).toBe(m.address);
      expect(node?.managerStatus?.reachability).toBe('reachable');
    }
  });

  it('leaves cleanly, the leader handing over first', async () => {
    const managers = await threeManagers();
    const leader = managers.find((m) => m.raft.isLeader())!;
    const others = managers.filter((m) => m !== leader);
    await leader.leave();
    await waitUntil('the others to see two voters', () =>
      others.every(
        (m) => m.raft.membership().voters.length === 2 && !m.raft.membership().voters.includes(leader.id),
      ),
    );
    await waitUntil('the left manager Node to be a down worker', () => {
      const n = others[0]!.store.get('node', leader.id);
      return n?.spec.role === 'worker' && n.managerStatus === undefined && n.status.state === 'down';
    });
    const c = others[0]!.client();
    await c.createService(service('after-leave'));
    c.close();
  });

  it('demotes a follower and then the leader through the control API, handing leadership over first', async () => {
    const managers = await threeManagers();
    const leader = managers.find((m) => m.raft.isLeader())!;
    const follower = managers.find((m) => !m.raft.isLeader())!;
    const c = leader.client();
    try {
      await waitUntil('the follower Node', () => leader.store.get('node', follower.id) !== undefined);
      const followerDir = follower.dataDir;
      const stepDown = new Promise<void>((resolve) =>
        follower.once('removed', ({ stopped }) => resolve(stopped)),
      );
      const f = await c.getNode(follower.id, { linearizable: true });
      await c.updateNode(f.id, f.meta.version.index, { ...f.spec, role: 'worker' });
      await waitUntil(
        'the follower to leave the voters',
        () => !leader.raft.membership().voters.includes(follower.id),
      );
      await waitUntil(
        'its Node to lose managerStatus',
        () => leader.store.get('node', follower.id)?.managerStatus === undefined,
      );
      expect(leader.store.get('node', follower.id)?.spec.role).toBe('worker');
      // The demoted process steps down: its manager role stops and its data directory says so.
      await stepDown;
      expect(await readIdentity(followerDir)).toMatchObject({ id: follower.id, role: 'worker' });
      await expect(Manager.start({ dataDir: followerDir })).rejects.toThrow(/demoted to worker/);

      const l = await c.getNode(leader.id, { linearizable: true });
      await c.updateNode(l.id, l.meta.version.index, { ...l.spec, role: 'worker' });
      const remaining = managers.find((m) => m !== leader && m !== follower)!;
      await waitUntil(
        'the old leader to leave the voters',
        () => remaining.raft.membership().voters.join() === remaining.id,
      );
      expect(remaining.raft.isLeader()).toBe(true);
    } finally {
      c.close();
    }
  });

  it('leaves an autolocked manager it demotes a plain node.key, for the worker it carries on as', async () => {
    const managers = await threeManagers();
    const leader = managers.find((m) => m.raft.isLeader())!;
    const follower = managers.find((m) => !m.raft.isLeader())!;
    const c = leader.client();
    try {
      const cluster = await c.getCluster({ linearizable: true });
      await c.updateCluster(cluster.meta.version.index, {
        ...cluster.spec,
        encryptionConfig: { autoLockManagers: true },
      });
      const key = await c.getUnlockKey();
      await waitUntil('the follower to wrap its keys', () => follower.autolock.lockedWith === key);
      await follower.autolock.settled();
      await expect(readNodeCertificates(follower.dataDir)).rejects.toMatchObject({ code: 'CA_KEY_WRAPPED' });

      const stepDown = new Promise<void>((resolve) =>
        follower.once('removed', ({ stopped }) => resolve(stopped)),
      );
      await waitUntil('the follower Node', () => leader.store.get('node', follower.id) !== undefined);
      const f = await c.getNode(follower.id, { linearizable: true });
      await c.updateNode(f.id, f.meta.version.index, { ...f.spec, role: 'worker' });
      await stepDown;
      expect(await readIdentity(follower.dataDir)).toMatchObject({ role: 'worker' });
      expect((await readNodeCertificates(follower.dataDir))?.keyPem).toBe(follower.tls.current.keyPem);
    } finally {
      c.close();
    }
  });

  it('recovers from quorum loss with forceNewCluster, keeping the state', async () => {
    const [a, b, c] = await threeManagers();
    const client = b!.client();
    await client.createService(service('kept'));
    client.close();
    await waitUntil('a to apply the service', () => a!.store.getByName('service', 'kept') !== undefined);
    await Promise.all([b!.stop(), c!.stop(), a!.stop()]);
    const recovered = track(
      await Manager.start({ dataDir: dirs.dir('a'), forceNewCluster: true, tuning: FAST }),
    );
    await recovered.raft.waitForLeader();
    expect(recovered.raft.membership().voters).toEqual([recovered.id]);
    expect(recovered.store.getByName('service', 'kept')).toBeDefined();
    const rc = recovered.client();
    await rc.createService(service('after-recovery'));
    rc.close();
    await waitUntil('the lost managers to be marked down workers', () =>
      [b!.id, c!.id].every((id) => {
        const n = recovered.store.get('node', id);
        return n?.managerStatus === undefined && n?.status.state === 'down';
      }),
    );
  });

  it('restarts a joined manager from its data directory as the same member, catching up', async () => {
    const [a, b] = await threeManagers();
    const id = b!.id;
    await b!.stop();
    const ca = a!.client();
    await ca.createService(service('while-away'));
    ca.close();
    const again = track(await Manager.start({ dataDir: dirs.dir('b'), tuning: FAST }));
    expect(again.id).toBe(id);
    await waitUntil(
      'the restarted manager to catch up',
      () => again.store.getByName('service', 'while-away') !== undefined,
    );
    expect(a!.raft.membership().voters).toContain(id);
  });

  it('removes a joined learner that never catches up', async () => {
    const tuning = { ...FAST, learnerCatchUpTimeoutMs: 500 };
    const a = track(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning }));
    // Granted membership as a learner at an address where nobody listens: it never catches up.
    const keyPem = await generateNodeKey();
    const root = (await readNodeCertificates(a.dataDir))!.rootsPem;
    const issued = await requestNodeCertificate(a.address, root, {
      csr: await createCsr(keyPem),
      token: await tokenOf(a),
      addr: '127.0.0.1',
    });
    const ghost = issued.nodeId;
    const credentials = channelCredentials({ rootsPem: root, keyPem, certChainPem: issued.certificateChain });
    const reply = await callJoin(a.address, credentials, { address: addr(9) });
    expect(reply.members.map((m) => m.id).sort()).toEqual([a.id, ghost].sort());
    expect(a.raft.membership().learners).toEqual([ghost]);
    await waitUntil('the stuck learner to be removed', () => a.raft.membership().learners.length === 0);
    expect(a.raft.membership().voters).toEqual([a.id]);
  });

  it('leaves a directory it failed to init in empty, so init can be retried', async () => {
    track(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    // The address is taken: the bind fails.
    await expect(
      Manager.init({ dataDir: dirs.dir('b'), listenAddr: addr(1), tuning: FAST }),
    ).rejects.toThrow();
    const b = track(await Manager.init({ dataDir: dirs.dir('b'), listenAddr: addr(2), tuning: FAST }));
    expect(b.store.list('cluster')).toHaveLength(1);
  });
});
