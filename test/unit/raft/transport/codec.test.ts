// The wire codec: every Raft message survives encoding to bytes and back unchanged, and decoding
// refuses anything a well-behaved peer would not send, naming the field.
import { describe, expect, it } from 'vitest';
import type { Message, MessageType } from '../../../../src/raft/core/messages.js';
import {
  decodeMessage,
  deserializeBatch,
  deserializeMessage,
  encodeMessage,
  estimateEncodedSize,
  MessageDecodeError,
  serializeBatch,
  serializeMessage,
  type DecodeRule,
} from '../../../../src/raft/transport/codec.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const base = { from: 'member-a', to: 'member-b', term: 7 };

/** One sample of every message kind; a Record, so a kind added to messages.ts must be added here. */
const samples: { [K in MessageType]: Message & { type: K } } = {
  Vote: { ...base, type: 'Vote', lastLogIndex: 41, lastLogTerm: 6, transfer: false },
  PreVote: { ...base, type: 'PreVote', lastLogIndex: 0, lastLogTerm: 0, transfer: true },
  VoteResp: { ...base, type: 'VoteResp', reject: true },
  PreVoteResp: { ...base, type: 'PreVoteResp', reject: false },
  App: {
    ...base,
    type: 'App',
    prevLogIndex: 10,
    prevLogTerm: 6,
    commit: 9,
    entries: [
      { term: 7, index: 11, type: 0, data: bytes(1, 2, 3) },
      { term: 7, index: 12, type: 1, data: bytes() },
      { term: 7, index: 13, type: 0, data: new Uint8Array(1024).fill(0xab) },
    ],
  },
  AppResp: { ...base, type: 'AppResp', reject: true, index: 10, hintIndex: 4, hintTerm: 3 },
  Heartbeat: { ...base, type: 'Heartbeat', commit: 12, context: 'read-17' },
  HeartbeatResp: { ...base, type: 'HeartbeatResp', context: '' },
  Snap: {
    ...base,
    type: 'Snap',
    metadata: {
      index: 100,
      term: 6,
      confState: {
        voters: ['member-a', 'member-b'],
        learners: ['member-c'],
        addresses: { 'member-a': '127.0.0.2:4242', 'member-c': '127.0.0.4:4242' },
      },
    },
    totalSize: 10,
    offset: 4,
    data: bytes(9, 8, 7, 6, 5, 4),
  },
  SnapResp: {
    ...base,
    type: 'SnapResp',
    snapshotIndex: 100,
    snapshotTerm: 6,
    received: 4,
    done: false,
    reject: false,
  },
  TimeoutNow: { ...base, type: 'TimeoutNow' },
  Prop: {
    ...base,
    term: 0,
    type: 'Prop',
    entries: [
      { type: 0, data: bytes(42) },
      { type: 1, data: bytes() },
    ],
    contexts: ['p1', 'p2'],
  },
  PropResp: {
    ...base,
    type: 'PropResp',
    contexts: ['p1', 'p2'],
    index: 0,
    entryTerm: 0,
    rejectReason: 'conf-change-pending',
  },
  ReadIndex: { ...base, type: 'ReadIndex', context: 'r1' },
  ReadIndexResp: { ...base, type: 'ReadIndexResp', context: 'r1', index: 99 },
};
const allSamples: Message[] = Object.values(samples);

/** What a peer's bytes become before validation: the deserializer's plain object. */
function wire(m: Message): Record<string, unknown> {
  const frame = deserializeMessage(serializeMessage(m));
  if (!frame.ok) throw new Error('sample did not deserialize');
  return frame.messages[0] as Record<string, unknown>;
}

/** Buffers and Uint8Arrays compare by content, not by class. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function decodeError(input: unknown): MessageDecodeError {
  try {
    decodeMessage(input);
  } catch (err) {
    if (err instanceof MessageDecodeError) return err;
    throw err;
  }
  throw new Error('decodeMessage accepted the input');
}

describe('codec round trips', () => {
  it.each(allSamples.map((m) => [m.type, m] as const))(
    'carries a %s message through bytes unchanged',
    (_type, m) => {
      expect(plain(decodeMessage(wire(m)))).toEqual(plain(m));
    },
  );

  it('carries a whole batch through bytes unchanged, in order', () => {
    const frame = deserializeBatch(serializeBatch(allSamples));
    expect(frame.ok).toBe(true);
    if (!frame.ok) return;
    expect(frame.messages.map((raw) => plain(decodeMessage(raw)))).toEqual(allSamples.map(plain));
  });

  it.each(allSamples.map((m) => [m.type, m] as const))(
    'decodes its own %s proto object without the bytes step',
    (_type, m) => {
      expect(plain(decodeMessage(encodeMessage(m)))).toEqual(plain(m));
    },
  );

  it('keeps terms and indexes up to 2^53 - 1 exact', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const m: Message = {
      ...base,
      term: max,
      type: 'AppResp',
      reject: false,
      index: max,
      hintIndex: max - 1,
      hintTerm: 0,
    };
    expect(decodeMessage(wire(m))).toEqual(m);
  });

  it('passes entry data through as bytes', () => {
    const decoded = decodeMessage(wire(samples.App));
    expect(decoded.type).toBe('App');
    if (decoded.type !== 'App') return;
    expect(decoded.entries[2]?.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(decoded.entries[2]!.data).equals(Buffer.from(samples.App.entries[2]!.data))).toBe(
      true,
    );
  });

  it('estimates an encoded size no smaller than the real one', () => {
    for (const m of allSamples)
      expect(estimateEncodedSize(m)).toBeGreaterThanOrEqual(serializeMessage(m).length);
  });
});

type Mutation = [
  name: string,
  sample: Message,
  mutate: (o: Record<string, unknown>) => void,
  field: string,
  rule: DecodeRule,
];

const obj = (v: unknown): Record<string, unknown> => v as Record<string, unknown>;
const entry = (o: Record<string, unknown>, i: number): Record<string, unknown> =>
  obj((obj(o['app'])['entries'] as unknown[])[i]);

const mutations: Mutation[] = [
  ['a missing sender', samples.Heartbeat, (o) => delete o['from'], 'from', 'required'],
  ['an empty recipient', samples.Heartbeat, (o) => (o['to'] = ''), 'to', 'member-id'],
  ['a negative term', samples.Heartbeat, (o) => (o['term'] = -1), 'term', 'uint'],
  ['a fractional term', samples.Heartbeat, (o) => (o['term'] = 1.5), 'term', 'uint'],
  ['a term given as a string', samples.Heartbeat, (o) => (o['term'] = '5'), 'term', 'uint'],
  [
    'no message kind',
    samples.TimeoutNow,
    (o) => (delete o['timeoutNow'], delete o['body']),
    'body',
    'required',
  ],
  ['an unknown message kind', samples.TimeoutNow, (o) => (o['body'] = 'launchMissiles'), 'body', 'body'],
  [
    'two message kinds at once',
    samples.TimeoutNow,
    (o) => (delete o['body'], (o['heartbeat'] = { commit: 1, context: '' })),
    'body',
    'consistency',
  ],
  [
    'a kind whose body is not a message',
    samples.Heartbeat,
    (o) => (o['heartbeat'] = 'x'),
    'heartbeat',
    'object',
  ],
  [
    'a missing commit index',
    samples.Heartbeat,
    (o) => delete obj(o['heartbeat'])['commit'],
    'heartbeat.commit',
    'required',
  ],
  [
    'a context that is not a string',
    samples.Heartbeat,
    (o) => (obj(o['heartbeat'])['context'] = 3),
    'heartbeat.context',
    'string',
  ],
  [
    'a reject flag that is not a boolean',
    samples.VoteResp,
    (o) => (obj(o['voteResp'])['reject'] = 1),
    'voteResp.reject',
    'bool',
  ],
  [
    'entries that are not a list',
    samples.App,
    (o) => (obj(o['app'])['entries'] = {}),
    'app.entries',
    'array',
  ],
  [
    'an entry that is not a message',
    samples.App,
    (o) => ((obj(o['app'])['entries'] as unknown[])[1] = null),
    'app.entries[1]',
    'required',
  ],
  [
    'an entry without a term',
    samples.App,
    (o) => delete entry(o, 1)['term'],
    'app.entries[1].term',
    'required',
  ],
  [
    'entry data that is not bytes',
    samples.App,
    (o) => (entry(o, 0)['data'] = 'AQID'),
    'app.entries[0].data',
    'bytes',
  ],
  [
    'an unknown entry type',
    samples.App,
    (o) => (entry(o, 2)['type'] = 'ENTRY_TYPE_BOGUS'),
    'app.entries[2].type',
    'enum',
  ],
  [
    'an out-of-range entry type number',
    samples.App,
    (o) => (entry(o, 2)['type'] = 7),
    'app.entries[2].type',
    'enum',
  ],
  [
    'entries that do not follow prevLogIndex',
    samples.App,
    (o) => (entry(o, 0)['index'] = 12),
    'app.entries[0].index',
    'consistency',
  ],
  [
    'a gap between entries',
    samples.App,
    (o) => (entry(o, 2)['index'] = 14),
    'app.entries[2].index',
    'consistency',
  ],
  [
    'a snapshot chunk without metadata',
    samples.Snap,
    (o) => (obj(o['snap'])['metadata'] = null),
    'snap.metadata',
    'required',
  ],
  [
    'a chunk reaching past the snapshot',
    samples.Snap,
    (o) => (obj(o['snap'])['totalSize'] = 9),
    'snap.data',
    'consistency',
  ],
  [
    'an empty voter id',
    samples.Snap,
    (o) => (obj(obj(obj(o['snap'])['metadata'])['confState'])['voters'] = ['member-a', '']),
    'snap.metadata.confState.voters[1]',
    'member-id',
  ],
  [
    'an address that is not a string',
    samples.Snap,
    (o) => (obj(obj(obj(o['snap'])['metadata'])['confState'])['addresses'] = { 'member-a': 4242 }),
    'snap.metadata.confState.addresses["member-a"]',
    'string',
  ],
  [
    'proposal contexts that do not match its entries',
    samples.Prop,
    (o) => (obj(o['prop'])['contexts'] = ['p1']),
    'prop.contexts',
    'consistency',
  ],
  [
    'a proposed entry without data',
    samples.Prop,
    (o) => delete obj((obj(o['prop'])['entries'] as unknown[])[1])['data'],
    'prop.entries[1].data',
    'required',
  ],
  [
    'an unknown reject reason',
    samples.PropResp,
    (o) => (obj(o['propResp'])['rejectReason'] = 'PROPOSE_REJECT_REASON_BORED'),
    'propResp.rejectReason',
    'enum',
  ],
  [
    'a reject reason named after an Object method',
    samples.PropResp,
    (o) => (obj(o['propResp'])['rejectReason'] = 'toString'),
    'propResp.rejectReason',
    'enum',
  ],
];

describe('codec rejects malformed messages', () => {
  it.each(mutations)('refuses %s', (_name, sample, mutate, field, rule) => {
    const o = wire(sample);
    mutate(o);
    const err = decodeError(o);
    expect({ field: err.field, rule: err.rule, code: err.code }).toEqual({
      field,
      rule,
      code: 'RAFT_MESSAGE_MALFORMED',
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(field);
  });

  it.each([null, undefined, 42, 'App', [samples.Heartbeat]])('refuses %j as a message', (input) => {
    expect(decodeError(input).rule).toMatch(/^(required|object)$/);
  });

  it('refuses a term of 2^53, which a JavaScript number cannot hold exactly', () => {
    const err = decodeError(wire({ ...samples.Heartbeat, term: 2 ** 53 }));
    expect([err.field, err.rule]).toEqual(['term', 'uint']);
  });

  it('refuses the largest uint64 index sent by a peer', () => {
    const frame = deserializeMessage(
      // field 3 (term), varint 2^64 - 1, then from/to and an empty heartbeat
      Buffer.concat([
        serializeMessage({ ...samples.Heartbeat, term: 0 }),
        Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ]),
    );
    expect(frame.ok).toBe(true);
    if (!frame.ok) return;
    const err = decodeError(frame.messages[0]);
    expect([err.field, err.rule]).toEqual(['term', 'uint']);
  });

  it('reports bytes that are not a batch instead of throwing', () => {
    const frame = deserializeBatch(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(frame.ok).toBe(false);
    expect(deserializeMessage(Buffer.from([0xff, 0xff])).ok).toBe(false);
  });
});
