// The Allocator driver over localStore and a ManualClock: services and NEW tasks are written
// straight into the store, as the control API and the orchestrator will.

import { afterEach, describe, expect, it } from 'vitest';
import type { PortConfig, Service, Task } from '../../../../src/api/index.js';
import { Allocator } from '../../../../src/manager/allocator/index.js';
import type { ApiStore } from '../../../../src/manager/control/index.js';
import { Scheduler } from '../../../../src/manager/scheduler/index.js';
import { ManualClock } from '../../../../src/util/clock.js';
import { localStore, type LocalStore } from '../../../support/local-consensus.js';
import { makeNode, makeTask } from '../scheduler/helpers.js';

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

interface Harness {
  local: LocalStore;
  store: ApiStore;
  clock: ManualClock;
  allocator: Allocator;
}

function harness(): Harness {
  const clock = new ManualClock();
  const local = localStore({ now: () => new Date(clock.now()) });
  return { local, store: local.store, clock, allocator: new Allocator({ store: local.store, clock }) };
}

function start(h: Harness, loop: Allocator | Scheduler = h.allocator): void {
  loop.start();
  running.push(loop);
}

async function until(h: Harness, what: string, done: () => boolean, steps = 100): Promise<void> {
  for (let i = 0; i < steps; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (done()) return;
    h.clock.advance(50);
  }
  throw new Error(`gave up after ${steps} steps waiting for ${what}`);
}

/** Lets the loop run for a while (ten batching delays) so that anything it would do is done. */
async function settle(h: Harness): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    h.clock.advance(50);
  }
}

async function createService(store: ApiStore, name: string, ports?: PortConfig[]): Promise<string> {
  const object: Omit<Service, 'meta'> = {
    id: name,
    spec: {
      name,
      taskTemplate: { containerSpec: { image: 'nginx' } },
      ...(ports ? { endpointSpec: { ports } } : {}),
    },
  };
  await store.update([{ op: 'create', kind: 'service', object }]);
  return name;
}

async function createTasks(
  store: ApiStore,
  serviceId: string,
  count: number,
  o: { desired?: Task['desiredState'] } = {},
) {
  const tasks = Array.from({ length: count }, (_, i) =>
    makeTask(`${serviceId}-${i + 1}`, { service: serviceId, slot: i + 1, state: 'new', desired: o.desired }),
  );
  await store.update(tasks.map((object) => ({ op: 'create', kind: 'task', object })));
}

const states = (store: ApiStore, serviceId: string): string[] =>
  store.list('task', { serviceId }).map((t) => t.status.state);

describe('the Allocator', () => {
  it('allocates the endpoint, then moves the service’s NEW tasks to PENDING', async () => {
    const h = harness();
    await createService(h.store, 'web', [{ targetPort: 80, publishMode: 'ingress' }]);
    await createTasks(h.store, 'web', 3);
    start(h);
    await until(h, 'three pending tasks', () => states(h.store, 'web').every((s) => s === 'pending'));
    const web = h.store.get('service', 'web')!;
    expect(web.endpoint?.ports).toEqual([
      { targetPort: 80, protocol: 'tcp', publishMode: 'ingress', publishedPort: 30000 },
    ]);
    const task = h.store.get('task', 'web-1')!;
    expect(task.status).toEqual({
      state: 'pending',
      message: 'pending task scheduling',
      timestamp: task.status.timestamp,
    });
    // The task carries the endpoint it was allocated with (the worker publishes host-mode ports).
    expect(task.endpoint).toEqual(web.endpoint);
    expect(h.allocator.stats).toMatchObject({ endpoints: 1, pending: 3, transactions: 2 });
    // Endpoint before tasks: the service's version is older than its tasks' new ones.
    expect(web.meta.version.index).toBeLessThan(task.meta.version.index);
  });

  it('keeps the tasks of a service whose port is taken NEW, and releases them once it is free', async () => {
    const h = harness();
    await createService(h.store, 'first', [{ targetPort: 80, publishedPort: 8080 }]);
    // Written around the control API's check (two managers raced, say).
    await createService(h.store, 'second', [{ targetPort: 80, publishedPort: 8080 }]);
    await createTasks(h.store, 'second', 2);
    start(h);
    await until(h, 'first allocated', () => h.store.get('service', 'first')?.endpoint !== undefined);
    await settle(h);
    expect(h.store.get('service', 'second')!.endpoint).toBeUndefined();
    expect(states(h.store, 'second')).toEqual(['new', 'new']);

    await h.store.update([{ op: 'delete', kind: 'service', id: 'first' }]);
    await until(h, 'second’s tasks pending', () => states(h.store, 'second').every((s) => s === 'pending'));
    expect(h.store.get('service', 'second')!.endpoint!.ports[0]!.publishedPort).toBe(8080);
  });

  it('moves tasks created after the service was allocated, and frees ports of removed services', async () => {
    const h = harness();
    await createService(h.store, 'a', [{ targetPort: 80 }]);
    start(h);
    await until(h, 'a allocated', () => h.store.get('service', 'a')?.endpoint !== undefined);
    await createTasks(h.store, 'a', 2);
    await until(h, 'a’s tasks pending', () => states(h.store, 'a').every((s) => s === 'pending'));

    await h.store.update([{ op: 'delete', kind: 'service', id: 'a' }]);
    await createService(h.store, 'b', [{ targetPort: 80 }]);
    await until(h, 'b allocated', () => h.store.get('service', 'b')?.endpoint !== undefined);
    expect(h.store.get('service', 'b')!.endpoint!.ports[0]!.publishedPort).toBe(30000);
  });

  it('reallocates when the endpoint spec changes and leaves unchanged services alone', async () => {
    const h = harness();
    await createService(h.store, 'a', [{ targetPort: 80 }]);
    await createService(h.store, 'b', [{ targetPort: 80 }]);
    start(h);
    await until(h, 'both allocated', () => h.store.list('service').every((s) => s.endpoint !== undefined));
    const b = h.store.get('service', 'b')!;
    const a = h.store.get('service', 'a')!;
    await h.store.update([
      {
        op: 'update',
        kind: 'service',
        object: {
          ...a,
          spec: { ...a.spec, endpointSpec: { ports: [{ targetPort: 80, publishedPort: 9000 }] } },
        },
      },
    ]);
    await until(
      h,
      'a reallocated',
      () => h.store.get('service', 'a')!.endpoint!.ports[0]!.publishedPort === 9000,
    );
    expect(h.store.get('service', 'b')!.meta.version.index).toBe(b.meta.version.index);
  });

  it('gives the tasks of a service without ports no endpoint', async () => {
    const h = harness();
    await createService(h.store, 'quiet');
    await createTasks(h.store, 'quiet', 1);
    start(h);
    await until(h, 'a pending task', () => states(h.store, 'quiet')[0] === 'pending');
    expect(h.store.get('task', 'quiet-1')!.endpoint).toBeUndefined();
  });

  it('leaves tasks no longer meant to run NEW', async () => {
    const h = harness();
    await createService(h.store, 'a');
    await createTasks(h.store, 'a', 1, { desired: 'shutdown' });
    start(h);
    await until(h, 'a allocated', () => h.store.get('service', 'a')?.endpoint !== undefined);
    await settle(h);
    expect(states(h.store, 'a')).toEqual(['new']);
  });

  it('hands tasks over to the scheduler: NEW → PENDING → ASSIGNED', async () => {
    const h = harness();
    await h.store.update([0, 1, 2].map((i) => ({ op: 'create', kind: 'node', object: makeNode(`n${i}`) })));
    await createService(h.store, 'web', [{ targetPort: 80 }]);
    await createTasks(h.store, 'web', 6);
    start(h);
    start(h, new Scheduler({ store: h.store, clock: h.clock }));
    await until(h, 'six assigned tasks', () => states(h.store, 'web').every((s) => s === 'assigned'));
    const perNode: Record<string, number> = {};
    for (const t of h.store.list('task')) perNode[t.nodeId!] = (perNode[t.nodeId!] ?? 0) + 1;
    expect(perNode).toEqual({ n0: 2, n1: 2, n2: 2 });
  });

  it('leaves no timer behind when stopped', async () => {
    const h = harness();
    start(h);
    await running.pop()!.stop();
    expect(h.clock.pending).toBe(0);
  });
});
