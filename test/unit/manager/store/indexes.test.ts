// The secondary indexes and list filters: names, labels, tasks by service / node / desired state,
// kept right through creates, updates that move indexed fields, and deletes.

import { describe, expect, it } from 'vitest';
import { matchesListFilter } from '../../../../src/manager/store/filters.js';
import type { Operation } from '../../../../src/manager/store/transaction.js';
import type { ListFilter, StoredObject } from '../../../../src/manager/store/types.js';
import { Driver, create, node, remove, seededRandom, service, task, update } from './helpers.js';

const ids = (objects: StoredObject[]): string[] => objects.map((o) => o.id);

describe('indexes', () => {
  it('finds objects by name, following renames and deletes', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web')), create('node', node('n1', 'web'))]);
    expect(d.store.getByName('service', 'web')?.id).toBe('s1');
    expect(d.store.getByName('node', 'web')?.id).toBe('n1');
    expect(d.store.getByName('config', 'web')).toBeUndefined();
    d.ok([update('service', service('s1', 'www'))]);
    expect(d.store.getByName('service', 'web')).toBeUndefined();
    expect(d.store.getByName('service', 'www')?.meta.version.index).toBe(2);
    d.ok([remove('service', 's1')]);
    expect(d.store.getByName('service', 'www')).toBeUndefined();
    expect(ids(d.store.list('service', { names: 'www' }))).toEqual([]);
  });

  it('lists tasks by service, node and desired state as those fields change', () => {
    const d = new Driver();
    d.ok([
      create('task', task('t1', { serviceId: 's1', desiredState: 'RUNNING' })),
      create('task', task('t2', { serviceId: 's1', desiredState: 'RUNNING' })),
      create('task', task('t3', { serviceId: 's2', desiredState: 'RUNNING' })),
    ]);
    expect(ids(d.store.list('task', { serviceId: 's1' }))).toEqual(['t1', 't2']);
    expect(ids(d.store.list('task', { nodeId: 'n1' }))).toEqual([]);

    // The scheduler assigns; the orchestrator shuts one down.
    d.ok([
      update('task', task('t1', { serviceId: 's1', desiredState: 'RUNNING', nodeId: 'n1' })),
      update('task', task('t3', { serviceId: 's2', desiredState: 'RUNNING', nodeId: 'n1' })),
    ]);
    d.ok([update('task', task('t1', { serviceId: 's1', desiredState: 'SHUTDOWN', nodeId: 'n1' }))]);
    expect(ids(d.store.list('task', { nodeId: 'n1' }))).toEqual(['t1', 't3']);
    expect(ids(d.store.list('task', { desiredState: 'RUNNING' }))).toEqual(['t2', 't3']);
    expect(ids(d.store.list('task', { desiredState: 'SHUTDOWN' }))).toEqual(['t1']);
    expect(ids(d.store.list('task', { nodeId: 'n1', desiredState: 'RUNNING' }))).toEqual(['t3']);
    expect(ids(d.store.list('task', { serviceId: ['s1', 's2'], nodeId: 'n1' }))).toEqual(['t1', 't3']);

    // A task moved to another service (not something Docker does, but the index must follow).
    d.ok([update('task', task('t2', { serviceId: 's2', desiredState: 'RUNNING' }))]);
    expect(ids(d.store.list('task', { serviceId: 's1' }))).toEqual(['t1']);
    expect(ids(d.store.list('task', { serviceId: 's2' }))).toEqual(['t2', 't3']);

    d.ok([remove('task', 't3'), remove('task', 't1')]);
    expect(ids(d.store.list('task', { nodeId: 'n1' }))).toEqual([]);
    expect(ids(d.store.list('task', { serviceId: 's2' }))).toEqual(['t2']);
    expect(ids(d.store.list('task', { desiredState: 'SHUTDOWN' }))).toEqual([]);
  });

  it('lists objects by label value or label key, per kind', () => {
    const d = new Driver();
    d.ok([
      create('service', service('s1', 'web', { tier: 'front', team: 'a' })),
      create('service', service('s2', 'api', { tier: 'back', team: 'a' })),
      create('service', service('s3', 'db')),
      create('node', node('n1', 'h1', { tier: 'front' })),
    ]);
    expect(ids(d.store.list('service', { labels: { tier: 'front' } }))).toEqual(['s1']);
    expect(ids(d.store.list('service', { labels: { tier: null } }))).toEqual(['s1', 's2']);
    expect(ids(d.store.list('service', { labels: { team: 'a', tier: 'back' } }))).toEqual(['s2']);
    expect(ids(d.store.list('node', { labels: { tier: 'front' } }))).toEqual(['n1']);

    d.ok([
      update('service', service('s1', 'web', { team: 'b' })),
      update('service', service('s3', 'db', { tier: 'back' })),
    ]);
    expect(ids(d.store.list('service', { labels: { tier: 'front' } }))).toEqual([]);
    expect(ids(d.store.list('service', { labels: { tier: 'back' } }))).toEqual(['s2', 's3']);
    expect(ids(d.store.list('service', { labels: { team: null } }))).toEqual(['s1', 's2']);
    d.ok([remove('service', 's2')]);
    expect(ids(d.store.list('service', { labels: { tier: 'back' } }))).toEqual(['s3']);
    expect(ids(d.store.list('service', { labels: { team: 'a' } }))).toEqual([]);
  });

  it('filters by id prefix and exact name, and returns results in id order', () => {
    const d = new Driver();
    d.ok([
      create('config', { id: 'bb2', spec: { name: 'two' } }),
      create('config', { id: 'ab1', spec: { name: 'one' } }),
      create('config', { id: 'ab3', spec: { name: 'three' } }),
    ]);
    expect(ids(d.store.list('config'))).toEqual(['ab1', 'ab3', 'bb2']);
    expect(ids(d.store.list('config', { ids: 'ab' }))).toEqual(['ab1', 'ab3']);
    expect(ids(d.store.list('config', { ids: ['bb', 'ab3'] }))).toEqual(['ab3', 'bb2']);
    expect(ids(d.store.list('config', { names: ['two', 'three', 'missing'] }))).toEqual(['ab3', 'bb2']);
    expect(ids(d.store.list('config', { names: 'one', ids: 'bb' }))).toEqual([]);
    // Task fields never match other kinds.
    expect(ids(d.store.list('config', { serviceId: 'x' }))).toEqual([]);
  });

  it('agrees with a full scan after a long random history (seed 7)', () => {
    const random = seededRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const services = ['s1', 's2', 's3'];
    const nodes = ['n1', 'n2', 'n3', ''];
    const states = ['RUNNING', 'SHUTDOWN', 'REMOVE'];
    const d = new Driver();
    const live = new Set<string>();
    for (let step = 0; step < 600; step++) {
      const ops: Operation[] = [];
      const touched = new Set<string>();
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
        const id = `t${Math.floor(random() * 40)}`;
        if (touched.has(id)) continue;
        touched.add(id);
        const fields = {
          serviceId: pick(services),
          nodeId: pick(nodes),
          desiredState: pick(states),
        };
        const labels = random() < 0.5 ? { color: pick(['red', 'blue']) } : undefined;
        const object = { ...task(id, fields), spec: labels ? { labels } : {} };
        if (!live.has(id)) ops.push(create('task', object));
        else if (random() < 0.3) ops.push(remove('task', id));
        else ops.push(update('task', object));
      }
      d.ok(ops);
      for (const op of ops) {
        if (op.op === 'delete') live.delete(op.id);
        else if (op.op !== 'patch') live.add(op.object.id);
      }
      // The full list (kept in id order between creates and deletes) never goes stale.
      if (step % 7 === 0) expect(ids(d.store.list('task'))).toEqual([...live].sort());
    }
    const all = d.store.list('task');
    expect(ids(all)).toEqual([...live].sort());
    const filters: ListFilter[] = [
      ...services.map((serviceId) => ({ serviceId })),
      ...nodes.map((nodeId) => ({ nodeId })),
      ...states.map((desiredState) => ({ desiredState })),
      { serviceId: 's1', desiredState: 'RUNNING' },
      { nodeId: ['n1', 'n2'], labels: { color: 'red' } },
      { labels: { color: null } },
    ];
    for (const filter of filters) {
      const scanned = all.filter((t) => matchesListFilter('task', t, filter));
      expect(ids(d.store.list('task', filter)), JSON.stringify(filter)).toEqual(ids(scanned));
    }
  });
});
