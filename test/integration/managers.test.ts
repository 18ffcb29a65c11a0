// Managers as real processes (src/daemon/main.ts) on 127.0.0.x with real gRPC and files:
// a three-manager cluster keeps taking writes through the survivors when its leader is killed
// with SIGKILL, and the old leader restarts from its data directory and catches up; after losing
// two of three, the survivor restarted with forceNewCluster keeps the state and grows again.

import { afterEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, FlotillaClient, UnavailableError } from '../../src/client/index.js';
import {
  addresses,
  FAST,
  ManagerProcesses,
  TestDirs,
  waitUntil,
  serviceSpec,
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
  const c = new FlotillaClient({ address, timeoutMs: 10_000 });
  clients.push(c);
  return c;
}

/**
 * Creates a service, retrying while the cluster elects a leader. A retry after an answer that was
 * lost finds the service already there: that is success, the write happened once.
 */
async function createWithRetry(c: FlotillaClient, name: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await c.createService(serviceSpec(name));
      return;
    } catch (err) {
      if (err instanceof AlreadyExistsError) return;
      if (!(err instanceof UnavailableError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('managers as processes', () => {
  it('keep every service through a kill -9 of the leader and its restart', async () => {
    dirs = await TestDirs.create('flotilla-mgr-int-');
    procs = new ManagerProcesses(dirs);
    const addr = addresses(60);
    const m1 = await procs.spawn('m1', { mode: 'init', listenAddr: addr(1), tuning: FAST });
    const token = (await clientFor(procs.controlAddress('m1')).getCluster()).joinTokens.manager;
    await procs.spawn('m2', {
      mode: 'join',
      listenAddr: addr(2),
      joinAddr: m1.address,
      joinToken: token,
      tuning: FAST,
    });
    await procs.spawn('m3', {
      mode: 'join',
      listenAddr: addr(3),
      joinAddr: addr(2),
      joinToken: token,
      tuning: FAST,
    });
    const byName = new Map(['m1', 'm2', 'm3'].map((n) => [n, clientFor(procs!.controlAddress(n))]));

    const managerNodes = async (via: FlotillaClient) =>
      (await via.listNodes(undefined, { linearizable: true })).filter((n) => n.managerStatus !== undefined);
    await waitUntil('three reachable manager Nodes with one leader', async () => {
      const nodes = await managerNodes(byName.get('m1')!);
      return (
        nodes.length === 3 &&
        nodes.filter((n) => n.managerStatus?.leader).length === 1 &&
        nodes.every((n) => n.managerStatus?.reachability === 'reachable')
      );
    });

    const expected: string[] = [];
    const names = ['m1', 'm2', 'm3'];
    for (let i = 0; i < 60; i++) {
      const name = `before-${i}`;
      await createWithRetry(byName.get(names[i % 3]!)!, name);
      expected.push(name);
    }

    const leaderNode = (await managerNodes(byName.get('m1')!)).find((n) => n.managerStatus?.leader)!;
    const leaderName = procs.byId(leaderNode.id);
    await procs.kill(leaderName, 'SIGKILL');
    const survivors = names.filter((n) => n !== leaderName);
    for (let i = 0; i < 40; i++) {
      const name = `after-${i}`;
      await createWithRetry(byName.get(survivors[i % 2]!)!, name);
      expected.push(name);
    }

    await procs.restart(leaderName);
    const sorted = [...expected].sort();
    for (const n of names) {
      const c = byName.get(n)!;
      let listed: string[] = [];
      await waitUntil(`${n} to hold all 100 services`, async () => {
        listed = (await c.listServices(undefined, { linearizable: true })).map((s) => s.spec.name).sort();
        return listed.length === sorted.length;
      });
      expect(listed).toEqual(sorted);
    }
    await waitUntil('the restarted manager to be reachable again', async () => {
      const nodes = await managerNodes(byName.get(survivors[0]!)!);
      return nodes.length === 3 && nodes.every((n) => n.managerStatus?.reachability === 'reachable');
    });
  });

  it('recovers from losing two of three with forceNewCluster: the state kept, new writes, a new member', async () => {
    dirs = await TestDirs.create('flotilla-mgr-fnc-');
    procs = new ManagerProcesses(dirs);
    const addr = addresses(65);
    const m1 = await procs.spawn('m1', { mode: 'init', listenAddr: addr(1), tuning: FAST });
    const token = (await clientFor(procs.controlAddress('m1')).getCluster()).joinTokens.manager;
    for (const [name, n] of [
      ['m2', 2],
      ['m3', 3],
    ] as const)
      await procs.spawn(name, {
        mode: 'join',
        listenAddr: addr(n),
        joinAddr: m1.address,
        joinToken: token,
        tuning: FAST,
      });
    const first = clientFor(procs.controlAddress('m1'));
    await waitUntil('three voters', async () => {
      const nodes = await first.listNodes(undefined, { linearizable: true });
      return nodes.filter((n) => n.managerStatus?.reachability === 'reachable').length === 3;
    });
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      await createWithRetry(first, `kept-${i}`);
      expected.push(`kept-${i}`);
    }

    // Two of three gone for good: no quorum, so no write can commit any more.
    await procs.kill('m2', 'SIGKILL');
    await procs.kill('m3', 'SIGKILL');
    await procs.kill('m1', 'SIGKILL');
    await procs.restart('m1', { forceNewCluster: true });
    const recovered = clientFor(procs.controlAddress('m1'));
    await waitUntil('the survivor leads a cluster of one', async () => {
      const nodes = await recovered.listNodes(undefined, { linearizable: true });
      const managers = nodes.filter((n) => n.managerStatus !== undefined);
      return managers.length === 1 && managers[0]!.managerStatus?.leader === true;
    });
    const listed = (await recovered.listServices(undefined, { linearizable: true })).map((s) => s.spec.name);
    expect(listed.sort()).toEqual([...expected].sort());
    await createWithRetry(recovered, 'after-recovery');

    // It grows again: a new manager joins with the manager token and gets every service.
    const m4 = await procs.spawn('m4', {
      mode: 'join',
      listenAddr: addr(4),
      joinAddr: procs.get('m1').address,
      joinToken: (await recovered.getCluster()).joinTokens.manager,
      tuning: FAST,
    });
    const joined = clientFor(procs.controlAddress('m4'));
    await waitUntil('the new manager to hold every service', async () => {
      const names = (await joined.listServices(undefined, { linearizable: true })).map((s) => s.spec.name);
      return names.length === expected.length + 1;
    });
    await waitUntil('two voters', async () => {
      const nodes = await recovered.listNodes(undefined, { linearizable: true });
      return nodes
        .filter((n) => n.managerStatus !== undefined)
        .map((n) => n.id)
        .includes(m4.id);
    });
  });
});
