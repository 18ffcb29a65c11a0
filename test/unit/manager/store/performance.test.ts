// Performance sanity at a realistic size: 1,000 nodes, 100 services, 10,000 tasks, written as
// encoded transactions the way Raft delivers them. Timings are printed, not asserted (speed is
// asserted in benchmarks only); the results are checked.

import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ReplicatedStore } from '../../../../src/manager/store/store.js';
import { encodeTransaction, type Operation } from '../../../../src/manager/store/transaction.js';
import { T0, node, service, task } from './helpers.js';

function time<T>(label: string, fn: () => T, repeat = 1): T {
  const start = performance.now();
  let result!: T;
  for (let i = 0; i < repeat; i++) result = fn();
  const ms = (performance.now() - start) / repeat;
  console.log(
    `  ${label.padEnd(44)} ${ms.toFixed(2).padStart(9)} ms${repeat > 1 ? ` (mean of ${repeat})` : ''}`,
  );
  return result;
}

describe('store performance sanity', () => {
  it('creates 10,000 tasks and 1,000 nodes and lists them quickly', () => {
    const store = new ReplicatedStore();
    let index = 0;
    const applyBatches = (ops: Operation[], batch: number): void => {
      for (let i = 0; i < ops.length; i += batch) {
        const data = encodeTransaction({ at: T0, ops: ops.slice(i, i + batch) });
        const result = store.apply({ index: ++index, term: 1, data });
        if (!result.ok) throw new Error(JSON.stringify(result.error));
      }
    };
    const nodes = Array.from({ length: 1000 }, (_, i): Operation => ({
      op: 'create',
      kind: 'node',
      object: node(`node${String(i).padStart(4, '0')}`, `host${i}`, { zone: `z${i % 10}` }),
    }));
    const services = Array.from({ length: 100 }, (_, i): Operation => ({
      op: 'create',
      kind: 'service',
      object: service(`svc${i}`, `service-${i}`, { team: `t${i % 5}` }),
    }));
    const tasks = Array.from({ length: 10_000 }, (_, i): Operation => ({
      op: 'create',
      kind: 'task',
      object: task(`task${String(i).padStart(5, '0')}`, {
        serviceId: `svc${i % 100}`,
        nodeId: `node${String(i % 1000).padStart(4, '0')}`,
        slot: Math.floor(i / 100) + 1,
        desiredState: i % 10 === 0 ? 'SHUTDOWN' : 'RUNNING',
      }),
    }));

    console.log('store performance (1,000 nodes, 100 services, 10,000 tasks):');
    time('apply 1,000 nodes (batches of 100)', () => applyBatches(nodes, 100));
    time('apply 100 services (one transaction)', () => applyBatches(services, 100));
    time('apply 10,000 tasks (batches of 100)', () => applyBatches(tasks, 100));

    const byService = time(
      'list tasks of one service (100)',
      () => store.list('task', { serviceId: 'svc42' }),
      100,
    );
    expect(byService).toHaveLength(100);
    const byNode = time('list tasks on one node (10)', () => store.list('task', { nodeId: 'node0007' }), 100);
    expect(byNode).toHaveLength(10);
    const running = time('list running tasks of one service', () =>
      store.list('task', { serviceId: 'svc3', desiredState: 'RUNNING' }),
    );
    expect(running).toHaveLength(100);
    const all = time('list all tasks (10,000)', () => store.list('task'), 20);
    expect(all).toHaveLength(10_000);
    const zone = time('list nodes by label (100)', () => store.list('node', { labels: { zone: 'z3' } }), 100);
    expect(zone).toHaveLength(100);
    const named = time('get service by name', () => store.getByName('service', 'service-77'), 1000);
    expect(named?.id).toBe('svc77');

    const bytes = time('snapshot', () => store.snapshot());
    console.log(`  ${'snapshot size'.padEnd(44)} ${(bytes.length / 1024).toFixed(0).padStart(9)} KiB`);
    const restored = new ReplicatedStore();
    time('restore', () => restored.restore(bytes));
    expect(restored.list('task', { serviceId: 'svc42' })).toHaveLength(100);
  });
});
