// Applying transactions: all-or-nothing, optimistic concurrency, unique ids and names, meta.

import { describe, expect, it } from 'vitest';
import { KINDS } from '../../../../src/manager/store/types.js';
import { Driver, T0, create, node, remove, service, task, update } from './helpers.js';

const T1 = '2030-01-02T00:00:00.000Z';

describe('applying transactions', () => {
  it('stamps created objects with the raft index and the transaction time', () => {
    const d = new Driver();
    d.index = 41;
    const result = d.ok([create('service', service('s1', 'web'))]);
    expect(result.objects[0]).toEqual({
      id: 's1',
      spec: { name: 'web' },
      meta: { version: { index: 42 }, createdAt: T0, updatedAt: T0 },
    });
    expect(d.store.get('service', 's1')?.meta.version.index).toBe(42);
    expect(d.store.version).toBe(42);
  });

  it('replaces an object on update, keeping createdAt and moving version and updatedAt', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web'))]);
    d.ok([update('service', { id: 's1', spec: { name: 'web', labels: { tier: 'front' } } }, 1)], T1);
    expect(d.store.get('service', 's1')).toEqual({
      id: 's1',
      spec: { name: 'web', labels: { tier: 'front' } },
      meta: { version: { index: 2 }, createdAt: T0, updatedAt: T1 },
    });
  });

  it('ignores the meta a written object carries: the store owns it', () => {
    const d = new Driver();
    const forged = { version: { index: 999 }, createdAt: 'then', updatedAt: 'then' };
    d.ok([create('node', { ...node('n1', 'a'), meta: forged })]);
    expect(d.store.get('node', 'n1')?.meta).toEqual({ version: { index: 1 }, createdAt: T0, updatedAt: T0 });
  });

  it('refuses an update naming a stale version, reporting the current one, and writes nothing', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web'))]);
    d.ok([update('service', service('s1', 'web', { v: '2' }), 1)]);
    const result = d.apply([update('service', service('s1', 'web', { v: '3' }), 1)]);
    expect(result).toEqual({
      ok: false,
      error: { code: 'VERSION_CONFLICT', kind: 'service', id: 's1', expected: 1, current: 2, opIndex: 0 },
    });
    expect(d.store.get('service', 's1')?.spec?.labels).toEqual({ v: '2' });
  });

  it('patches the given top-level fields, keeping the others and sharing them with the old object', () => {
    const d = new Driver();
    d.ok([
      create('task', { ...task('t1', { serviceId: 's', desiredState: 'running' }), spec: { image: 'a' } }),
    ]);
    const before = d.store.get('task', 't1')!;
    const result = d.ok(
      [
        {
          op: 'patch',
          kind: 'task',
          id: 't1',
          fields: { nodeId: 'n1', status: { state: 'assigned' } },
          expectedVersion: 1,
        },
      ],
      T1,
    );
    const after = d.store.get('task', 't1')!;
    expect(after).toEqual({
      ...before,
      nodeId: 'n1',
      status: { state: 'assigned' },
      meta: { version: { index: 2 }, createdAt: T0, updatedAt: T1 },
    });
    expect(result.objects[0]).toBe(after);
    expect(after.spec).toBe(before.spec);
    expect(Object.isFrozen(after.status)).toBe(true);
    // The index follows the patched field.
    expect(d.store.list('task', { nodeId: 'n1' }).map((t) => t.id)).toEqual(['t1']);
  });

  it('reports a patch as an update event, with the object before it', async () => {
    const d = new Driver();
    d.ok([create('task', task('t1', { desiredState: 'running' }))]);
    const watch = d.store.watch({ kinds: ['task'] }, { fromVersion: 1 });
    d.ok([{ op: 'patch', kind: 'task', id: 't1', fields: { desiredState: 'shutdown' } }]);
    const { value: event } = await watch.next();
    watch.close();
    expect(event).toMatchObject({
      version: 2,
      type: 'update',
      object: { id: 't1', desiredState: 'shutdown' },
      previous: { id: 't1', desiredState: 'running' },
    });
  });

  it('refuses a patch of a stale version or of a missing object, and writes nothing', () => {
    const d = new Driver();
    d.ok([create('task', task('t1', { desiredState: 'running' }))]);
    d.ok([update('task', task('t1', { desiredState: 'running', nodeId: 'n1' }), 1)]);
    expect(
      d.apply([
        { op: 'patch', kind: 'task', id: 't1', fields: { desiredState: 'shutdown' }, expectedVersion: 1 },
      ]),
    ).toEqual({
      ok: false,
      error: { code: 'VERSION_CONFLICT', kind: 'task', id: 't1', expected: 1, current: 2, opIndex: 0 },
    });
    expect(
      d.apply([{ op: 'patch', kind: 'task', id: 'gone', fields: { desiredState: 'shutdown' } }]),
    ).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', kind: 'task', id: 'gone', opIndex: 0 },
    });
    expect(d.store.get('task', 't1')?.desiredState).toBe('running');
  });

  it('keeps names unique through a patch that renames', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web')), create('service', service('s2', 'api'))]);
    const result = d.apply([{ op: 'patch', kind: 'service', id: 's2', fields: { spec: { name: 'web' } } }]);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_EXISTS', name: 'web', existingId: 's1' },
    });
    d.ok([{ op: 'patch', kind: 'service', id: 's2', fields: { spec: { name: 'db' } } }]);
    expect(d.store.getByName('service', 'db')?.id).toBe('s2');
    expect(d.store.getByName('service', 'api')).toBeUndefined();
  });

  it('applies an update without expectedVersion unconditionally', () => {
    const d = new Driver();
    d.ok([create('task', task('t1', { desiredState: 'RUNNING' }))]);
    d.ok([update('task', task('t1', { desiredState: 'RUNNING', nodeId: 'n1' }))]);
    d.ok([update('task', task('t1', { desiredState: 'SHUTDOWN', nodeId: 'n1' }))]);
    expect(d.store.get('task', 't1')).toMatchObject({
      desiredState: 'SHUTDOWN',
      meta: { version: { index: 3 } },
    });
  });

  it('checks expectedVersion on delete too', () => {
    const d = new Driver();
    d.ok([create('secret', { id: 'x1', spec: { name: 'pw' } })]);
    expect(d.apply([remove('secret', 'x1', 7)])).toMatchObject({
      ok: false,
      error: { code: 'VERSION_CONFLICT' },
    });
    d.ok([remove('secret', 'x1', 1)]);
    expect(d.store.get('secret', 'x1')).toBeUndefined();
  });

  it('is all-or-nothing: one refused operation leaves the store and the watch stream untouched', async () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web'))]);
    const everything = () => KINDS.map((kind) => d.store.list(kind));
    const before = everything();
    const watch = d.store.watch({}, { fromVersion: 1 });
    const result = d.apply([
      create('task', task('t1', { serviceId: 's1' })),
      update('service', service('s1', 'web', { changed: 'yes' })),
      create('service', service('s2', 'web')), // the name is taken
      create('task', task('t2', { serviceId: 's1' })),
    ]);
    expect(result).toEqual({
      ok: false,
      error: { code: 'ALREADY_EXISTS', kind: 'service', id: 's2', name: 'web', existingId: 's1', opIndex: 2 },
    });
    expect(everything()).toEqual(before);
    expect(d.store.list('task', { serviceId: 's1' })).toEqual([]);
    expect(d.store.getByName('service', 'web')?.id).toBe('s1');
    // The entry was applied (as a refusal): the version moved, no event was emitted.
    expect(d.store.version).toBe(2);
    d.ok([create('node', node('n1', 'a'))]);
    const first = await watch.next();
    expect(first.value).toMatchObject({ version: 3, kind: 'node', type: 'create' });
    watch.close();
  });

  it('refuses a second object with an existing id', () => {
    const d = new Driver();
    d.ok([create('task', task('t1'))]);
    expect(d.apply([create('task', task('t1'))])).toEqual({
      ok: false,
      error: { code: 'ALREADY_EXISTS', kind: 'task', id: 't1', opIndex: 0 },
    });
  });

  it('keeps names unique per kind, also within one transaction, but not across kinds', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web')), create('node', node('n1', 'web'))]);
    expect(
      d.apply([create('service', service('s2', 'db')), create('service', service('s3', 'db'))]),
    ).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_EXISTS', name: 'db', existingId: 's2', opIndex: 1 },
    });
    expect(
      d.apply([update('service', service('s1', 'web2')), create('service', service('s2', 'web2'))]),
    ).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', name: 'web2', existingId: 's1' } });
    expect(d.store.count('service')).toBe(1);
  });

  it('frees a name on rename and on delete, even for use later in the same transaction', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web')), create('service', service('s2', 'api'))]);
    // Swap the two names through a temporary one, in one transaction.
    d.ok([
      update('service', service('s1', 'tmp')),
      update('service', service('s2', 'web')),
      update('service', service('s1', 'api')),
    ]);
    expect(d.store.getByName('service', 'web')?.id).toBe('s2');
    expect(d.store.getByName('service', 'api')?.id).toBe('s1');
    expect(d.store.getByName('service', 'tmp')).toBeUndefined();
    d.ok([remove('service', 's2'), create('service', service('s3', 'web'))]);
    expect(d.store.getByName('service', 'web')?.id).toBe('s3');
  });

  it('reports the operation that named a missing object', () => {
    const d = new Driver();
    d.ok([create('node', node('n1', 'a'))]);
    expect(d.apply([update('node', node('n1', 'a')), update('node', node('n2', 'b'))])).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', kind: 'node', id: 'n2', opIndex: 1 },
    });
    expect(d.apply([remove('task', 'nope')])).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', kind: 'task', id: 'nope', opIndex: 0 },
    });
    // The same id under another kind is another object.
    expect(d.apply([remove('service', 'n1')])).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('sees its own earlier operations: create, update and delete of one object in one transaction', () => {
    const d = new Driver();
    const result = d.ok([
      create('task', task('t1', { serviceId: 's1' })),
      update('task', task('t1', { serviceId: 's1', nodeId: 'n1' }), 1),
      remove('task', 't1'),
    ]);
    expect(result.objects.map((o) => o.nodeId)).toEqual([undefined, 'n1', 'n1']);
    expect(d.store.get('task', 't1')).toBeUndefined();
    expect(d.store.list('task', { nodeId: 'n1' })).toEqual([]);
    expect(d.store.list('task', { serviceId: 's1' })).toEqual([]);
  });

  it('hands out frozen objects that callers cannot change', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web', { a: '1' }))]);
    const s = d.store.get('service', 's1')!;
    expect(() => {
      s.spec!.labels!.a = '2';
    }).toThrow(TypeError);
    expect(() => {
      s.meta.version.index = 9;
    }).toThrow(TypeError);
    expect(d.store.list('service', { labels: { a: '1' } })).toHaveLength(1);
    const copy = structuredClone(s);
    copy.spec!.labels!.a = '2';
    expect(d.store.get('service', 's1')?.spec?.labels?.a).toBe('1');
  });

  it('refuses entries applied out of order', () => {
    const d = new Driver();
    d.ok([create('node', node('n1', 'a'))]);
    expect(() => d.store.applyTransaction({ at: T0, ops: [] }, 1)).toThrow(/out of order/);
  });
});
