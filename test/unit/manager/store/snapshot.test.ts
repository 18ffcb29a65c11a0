// Snapshots: a restored store reads and indexes exactly like its source, every manager writes the
// same bytes for the same history, and malformed snapshots are refused without harm.

import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { InvalidSnapshotError } from '../../../../src/manager/store/errors.js';
import { MemoryStore } from '../../../../src/manager/store/memory-store.js';
import { SNAPSHOT_FORMAT } from '../../../../src/manager/store/snapshot.js';
import type { Operation } from '../../../../src/manager/store/transaction.js';
import { KINDS, type ListFilter } from '../../../../src/manager/store/types.js';
import { Driver, create, node, remove, seededRandom, service, task, update } from './helpers.js';

/** A history with every kind, renames, label changes, deletes and a few refused transactions. */
function history(seed: number): Operation[][] {
  const random = seededRandom(seed);
  const txs: Operation[][] = [
    [create('cluster', { id: 'c1', spec: { name: 'default' }, raft: { snapshotInterval: 10000 } })],
    [create('secret', { id: 'x1', spec: { name: 'pw' }, data: Uint8Array.from([1, 2, 3]) })],
    [create('config', { id: 'g1', spec: { name: 'conf', labels: { a: 'b' } } })],
  ];
  for (let i = 0; i < 20; i++) txs.push([create('node', node(`n${i}`, `host${i}`, { zone: `z${i % 3}` }))]);
  for (let i = 0; i < 10; i++) {
    const ops: Operation[] = [create('service', service(`s${i}`, `svc${i}`, { team: `t${i % 2}` }))];
    for (let slot = 1; slot <= 5; slot++)
      ops.push(create('task', task(`s${i}.${slot}`, { serviceId: `s${i}`, slot, desiredState: 'RUNNING' })));
    txs.push(ops);
  }
  for (let i = 0; i < 50; i++) {
    const s = Math.floor(random() * 10);
    const slot = 1 + Math.floor(random() * 5);
    const nodeId = `n${Math.floor(random() * 20)}`;
    txs.push([
      update('task', task(`s${s}.${slot}`, { serviceId: `s${s}`, slot, desiredState: 'RUNNING', nodeId })),
    ]);
  }
  txs.push([update('service', service('s3', 'renamed', { team: 'x' }))]);
  txs.push([create('service', service('dup', 'svc1'))]); // refused: name taken
  txs.push([remove('task', 's4.1'), remove('task', 's4.2'), remove('node', 'n19')]);
  return txs;
}

const FILTERS: Array<[(typeof KINDS)[number], ListFilter]> = [
  ['task', { serviceId: 's2' }],
  ['task', { nodeId: 'n5' }],
  ['task', { desiredState: 'RUNNING', serviceId: ['s1', 's4'] }],
  ['service', { labels: { team: 't1' } }],
  ['service', { labels: { team: null } }],
  ['node', { labels: { zone: 'z0' } }],
  ['node', { names: ['host3', 'host19'] }],
];

function reads(store: MemoryStore): unknown {
  return {
    version: store.version,
    tables: KINDS.map((kind) => store.list(kind)),
    filtered: FILTERS.map(([kind, filter]) => store.list(kind, filter)),
    byName: [
      store.getByName('service', 'renamed'),
      store.getByName('service', 'svc3'),
      store.getByName('node', 'host7'),
    ],
  };
}

describe('store snapshots', () => {
  it('restores to identical reads, indexes and bytes', () => {
    const source = new Driver();
    for (const ops of history(1)) source.apply(ops);
    const bytes = source.store.snapshot();
    const restored = new MemoryStore();
    restored.restore(bytes);
    expect(reads(restored)).toEqual(reads(source.store));
    expect(Buffer.from(restored.snapshot()).equals(Buffer.from(bytes))).toBe(true);
    expect(restored.get('secret', 'x1')?.data).toEqual(Uint8Array.from([1, 2, 3]));
    // The restored store goes on from there exactly as the source does.
    const next: Operation[] = [
      update('service', service('s0', 'svc0', { team: 'new' })),
      remove('task', 's0.1'),
    ];
    source.apply(next);
    restored.applyTransaction({ at: '2030-02-01T00:00:00.000Z', ops: structuredClone(next) }, source.index);
    expect(restored.list('service', { labels: { team: 'new' } })).toHaveLength(1);
    expect(restored.list('task', { serviceId: 's0' }).map((t) => t.id)).toEqual(
      source.store.list('task', { serviceId: 's0' }).map((t) => t.id),
    );
  });

  it('writes byte-identical snapshots on two stores that applied the same transactions', () => {
    const a = new Driver();
    const b = new Driver();
    for (const ops of history(2)) {
      a.apply(ops);
      b.apply(ops);
    }
    expect(Buffer.from(a.store.snapshot()).equals(Buffer.from(b.store.snapshot()))).toBe(true);
    // …and a different history gives different bytes (the comparison can fail).
    const c = new Driver();
    for (const ops of history(3)) c.apply(ops);
    expect(Buffer.from(a.store.snapshot()).equals(Buffer.from(c.store.snapshot()))).toBe(false);
  });

  it('refuses a malformed snapshot and keeps its state', () => {
    const d = new Driver();
    d.ok([create('service', service('s1', 'web'))]);
    const meta = { version: { index: 1 }, createdAt: 'x', updatedAt: 'x' };
    const tables = (over: Record<string, unknown[]>) => ({
      ...Object.fromEntries(KINDS.map((k) => [k, []])),
      ...over,
    });
    const bad: Array<[string, Uint8Array]> = [
      ['garbage', Uint8Array.from([0x92, 0x01])],
      ['another format', pack({ format: 'other', version: 1, tables: tables({}) })],
      ['a missing table', pack({ format: SNAPSHOT_FORMAT, version: 1, tables: {} })],
      [
        'an object without meta',
        pack({ format: SNAPSHOT_FORMAT, version: 1, tables: tables({ node: [{ id: 'n' }] }) }),
      ],
      [
        'an object newer than the snapshot',
        pack({
          format: SNAPSHOT_FORMAT,
          version: 1,
          tables: tables({ node: [{ id: 'n', meta: { ...meta, version: { index: 2 } } }] }),
        }),
      ],
      [
        'a duplicate name',
        pack({
          format: SNAPSHOT_FORMAT,
          version: 1,
          tables: tables({
            service: [
              { id: 'a', meta, spec: { name: 'x' } },
              { id: 'b', meta, spec: { name: 'x' } },
            ],
          }),
        }),
      ],
    ];
    for (const [what, bytes] of bad) {
      expect(() => d.store.restore(bytes), what).toThrow(InvalidSnapshotError);
    }
    expect(d.store.getByName('service', 'web')?.id).toBe('s1');
    expect(d.store.version).toBe(1);
  });
});
