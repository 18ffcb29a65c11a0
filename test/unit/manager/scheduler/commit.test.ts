// Writing decisions in chunks: one transaction per chunk, a refused operation taken out and the
// rest sent again, a chunk too large for one Raft entry split in halves.

import { describe, expect, it } from 'vitest';
import type { ApiOperation, Stored } from '../../../../src/manager/control/context.js';
import { commitInChunks } from '../../../../src/manager/scheduler/index.js';
import { localStore } from '../../../support/local-consensus.js';
import { makeNode } from './helpers.js';

async function seeded(count: number) {
  const local = localStore();
  await local.store.update(
    Array.from(
      { length: count },
      (_, i) => ({ op: 'create', kind: 'node', object: makeNode(`n${i}`) }) as const,
    ),
  );
  return local;
}

const relabel =
  (label: string) =>
  (node: Stored<'node'>): ApiOperation => ({
    op: 'update',
    kind: 'node',
    object: { ...node, spec: { ...node.spec, labels: { l: label } } },
    expectedVersion: node.meta.version.index,
  });

describe('commitInChunks', () => {
  it('writes chunks of at most maxOps operations, one transaction each', async () => {
    const local = await seeded(7);
    const before = local.proposals;
    const result = await commitInChunks(local.store, local.store.list('node'), relabel('x'), 3);
    expect(result.transactions).toBe(3);
    expect(local.proposals - before).toBe(3);
    expect(result.written.map((w) => w.object.id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    expect(result.refused).toEqual([]);
  });

  it('takes out an operation on an object that changed and commits the rest of its chunk', async () => {
    const local = await seeded(4);
    const nodes = local.store.list('node');
    await local.store.update([relabel('changed')(nodes[2]!)]);
    const result = await commitInChunks(local.store, nodes, relabel('x'), 10);
    expect(result.refused.map((r) => r.item.id)).toEqual(['n2']);
    expect(result.refused[0]!.error.name).toBe('VersionConflictError');
    expect(result.written.map((w) => w.item.id)).toEqual(['n0', 'n1', 'n3']);
    expect(result.transactions).toBe(1);
    expect(local.store.get('node', 'n2')!.spec.labels).toEqual({ l: 'changed' });
  });

  it('splits a chunk that is too large for one entry', async () => {
    const local = await seeded(5);
    const update = local.store.update.bind(local.store);
    local.store.update = (ops, options) =>
      ops.length > 2
        ? Promise.reject(Object.assign(new Error('proposal too large'), { code: 'PROPOSAL_TOO_LARGE' }))
        : update(ops, options);
    const result = await commitInChunks(local.store, local.store.list('node'), relabel('x'), 5);
    expect(result.written.map((w) => w.item.id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(result.transactions).toBe(3);
  });

  it('throws what it cannot attribute to one operation (the outcome is unknown)', async () => {
    const local = await seeded(2);
    local.store.update = () => Promise.reject(new Error('timed out'));
    await expect(commitInChunks(local.store, local.store.list('node'), relabel('x'))).rejects.toThrow(
      'timed out',
    );
  });
});
