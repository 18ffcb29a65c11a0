// The transaction wire format and object ids.

import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { InvalidTransactionError } from '../../../../src/manager/store/errors.js';
import {
  decodeTransaction,
  encodeTransaction,
  type Transaction,
} from '../../../../src/manager/store/transaction.js';
import { T0, create, remove, service, task, update } from './helpers.js';

describe('transaction encoding', () => {
  it('round-trips a transaction', () => {
    const tx: Transaction = {
      at: T0,
      ops: [
        create('service', service('s1', 'web', { a: 'b' })),
        update('task', task('t1', { serviceId: 's1', slot: 1 }), 4),
        remove('node', 'n1'),
      ],
    };
    expect(decodeTransaction(encodeTransaction(tx))).toEqual(tx);
  });

  it('encodes equal transactions to equal bytes', () => {
    const tx = (): Transaction => ({ at: T0, ops: [create('task', task('t1', { serviceId: 's' }))] });
    expect(Buffer.from(encodeTransaction(tx())).equals(Buffer.from(encodeTransaction(tx())))).toBe(true);
  });

  it.each([
    ['bytes that are not msgpack', Uint8Array.from([0x92, 0x01]), /not msgpack/],
    ['a non-object', pack([1, 2]), /not an object/],
    ['a missing timestamp', pack({ ops: [] }), /`at`/],
    ['ops that are not an array', pack({ at: T0, ops: {} }), /`ops`/],
    [
      'an unknown kind',
      pack({ at: T0, ops: [{ op: 'create', kind: 'volume', object: { id: 'x' } }] }),
      /kind/,
    ],
    [
      'an unknown operation',
      pack({ at: T0, ops: [{ op: 'upsert', kind: 'task', object: { id: 'x' } }] }),
      /upsert/,
    ],
    [
      'an object without id',
      pack({ at: T0, ops: [{ op: 'create', kind: 'task', object: {} }] }),
      /object.id/,
    ],
    ['a delete without id', pack({ at: T0, ops: [{ op: 'delete', kind: 'task' }] }), /id must/],
    [
      'a negative version',
      pack({ at: T0, ops: [{ op: 'delete', kind: 'task', id: 'x', expectedVersion: -1 }] }),
      /expectedVersion/,
    ],
    [
      'a non-string name',
      pack({ at: T0, ops: [{ op: 'create', kind: 'service', object: { id: 'x', spec: { name: 3 } } }] }),
      /spec.name/,
    ],
    [
      'a non-string label',
      pack({
        at: T0,
        ops: [{ op: 'create', kind: 'node', object: { id: 'x', spec: { labels: { a: 1 } } } }],
      }),
      /label "a"/,
    ],
    [
      'a non-string task index field',
      pack({ at: T0, ops: [{ op: 'create', kind: 'task', object: { id: 'x', nodeId: 5 } }] }),
      /nodeId/,
    ],
    [
      'a patch without id',
      pack({ at: T0, ops: [{ op: 'patch', kind: 'task', fields: { desiredState: 'running' } }] }),
      /id must/,
    ],
    ['a patch without fields', pack({ at: T0, ops: [{ op: 'patch', kind: 'task', id: 'x' }] }), /fields/],
    [
      'a patch that sets meta',
      pack({ at: T0, ops: [{ op: 'patch', kind: 'task', id: 'x', fields: { meta: {} } }] }),
      /cannot set meta/,
    ],
    [
      'a patch that sets the id',
      pack({ at: T0, ops: [{ op: 'patch', kind: 'task', id: 'x', fields: { id: 'y' } }] }),
      /cannot set id/,
    ],
    [
      'a patch with a non-string task index field',
      pack({ at: T0, ops: [{ op: 'patch', kind: 'task', id: 'x', fields: { nodeId: 5 } }] }),
      /nodeId/,
    ],
    [
      'a patch with a non-string name',
      pack({ at: T0, ops: [{ op: 'patch', kind: 'service', id: 'x', fields: { spec: { name: 3 } } }] }),
      /spec.name/,
    ],
  ])('refuses %s with a typed error', (_what, bytes, message) => {
    let error: unknown;
    try {
      decodeTransaction(bytes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidTransactionError);
    expect((error as InvalidTransactionError).code).toBe('INVALID_TRANSACTION');
    expect((error as Error).message).toMatch(message);
  });

  it('names the operation at fault', () => {
    const bytes = pack({ at: T0, ops: [remove('task', 'ok'), { op: 'delete', kind: 'task', id: '' }] });
    expect(() => decodeTransaction(bytes)).toThrow(expect.objectContaining({ opIndex: 1 }) as Error);
  });

  it('refuses a patch field left undefined: a patch cannot remove a field', () => {
    const tx = {
      at: T0,
      ops: [{ op: 'patch', kind: 'task', id: 'x', fields: { nodeId: undefined } }],
    } as unknown as Transaction;
    expect(() => encodeTransaction(tx)).toThrow(/fields.nodeId is undefined/);
  });

  it('checks transactions before encoding them', () => {
    const bad = {
      at: T0,
      ops: [{ op: 'create', kind: 'task', object: { id: 7 } }],
    } as unknown as Transaction;
    expect(() => encodeTransaction(bad)).toThrow(InvalidTransactionError);
  });
});
