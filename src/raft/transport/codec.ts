// The Raft messages on the wire (proto/raft.proto): the core's `Message` to protobuf objects and
// bytes, and back. Decoding is the trust boundary: every field a peer sends is checked here, so
// the core only ever sees well-formed messages.

import protobuf from 'protobufjs';
import { protoFilePath } from '../../util/proto-files.js';
import type {
  ConfState,
  Entry,
  EntryType,
  Message,
  ProposeResponse,
  SnapshotMetadata,
} from '../core/messages.js';
import type {
  ProposeRejectReason,
  ProposeRejectReason__Output,
} from '../../generated/flotilla/raft/v1/ProposeRejectReason.js';
import type { RaftMessage } from '../../generated/flotilla/raft/v1/RaftMessage.js';

/** A Raft message as the protobuf runtime encodes it (the generated "permissive" type). */
export type ProtoMessage = RaftMessage;

/** What was wrong with a field; stable, so tests and metrics can rely on it. */
export type DecodeRule =
  | 'object' // must be a message (a non-null object)
  | 'required' // missing
  | 'string'
  | 'member-id' // must be a non-empty string
  | 'uint' // must be a non-negative safe integer (terms and indexes stay below 2^53)
  | 'bool'
  | 'bytes'
  | 'array'
  | 'enum' // not a known value of the enum
  | 'body' // no known message kind set
  | 'consistency'; // fields that contradict each other

/** A message from a peer that cannot be a valid Raft message. */
export class MessageDecodeError extends Error {
  readonly code = 'RAFT_MESSAGE_MALFORMED';
  override readonly name = 'MessageDecodeError';
  constructor(
    /** Path of the offending field, e.g. `app.entries[2].term`. */
    readonly field: string,
    readonly rule: DecodeRule,
  ) {
    super(`malformed Raft message: ${field || '(message)'} fails rule '${rule}'`);
  }

  /** The same error one level further out: `entries[2]` + `term` → `entries[2].term`. */
  within(prefix: string): MessageDecodeError {
    return new MessageDecodeError(this.field ? `${prefix}.${this.field}` : prefix, this.rule);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding. The core's Entry, ConfState and SnapshotMetadata have exactly the proto's field names
// and numeric enum values, so they are passed through without copying.

// Every reason the core knows, with its proto enum name and number. A Record, so a reason added
// to messages.ts fails to compile here until the wire knows it too.
const rejectReasons: Record<
  ProposeResponse['rejectReason'],
  readonly [ProposeRejectReason__Output, Extract<ProposeRejectReason, number>]
> = {
  '': ['PROPOSE_REJECT_REASON_NONE', 0],
  'not-leader': ['PROPOSE_REJECT_REASON_NOT_LEADER', 1],
  transferring: ['PROPOSE_REJECT_REASON_TRANSFERRING', 2],
  'conf-change-pending': ['PROPOSE_REJECT_REASON_CONF_CHANGE_PENDING', 3],
  'invalid-conf-change': ['PROPOSE_REJECT_REASON_INVALID_CONF_CHANGE', 4],
};

export function encodeMessage(m: Message): ProtoMessage {
  const { from, to, term } = m;
  switch (m.type) {
    case 'App':
      return {
        from,
        to,
        term,
        app: {
          prevLogIndex: m.prevLogIndex,
          prevLogTerm: m.prevLogTerm,
          entries: m.entries,
          commit: m.commit,
        },
      };
    case 'AppResp':
      return {
        from,
        to,
        term,
        appResp: { reject: m.reject, index: m.index, hintIndex: m.hintIndex, hintTerm: m.hintTerm },
      };
    case 'Heartbeat':
      return { from, to, term, heartbeat: { commit: m.commit, context: m.context } };
    case 'HeartbeatResp':
      return { from, to, term, heartbeatResp: { context: m.context } };
    case 'Vote':
      return {
        from,
        to,
        term,
        vote: { lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm, transfer: m.transfer },
      };
    case 'PreVote':
      return {
        from,
        to,
        term,
        preVote: { lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm, transfer: m.transfer },
      };
    case 'VoteResp':
      return { from, to, term, voteResp: { reject: m.reject } };
    case 'PreVoteResp':
      return { from, to, term, preVoteResp: { reject: m.reject } };
    case 'Snap':
      return {
        from,
        to,
        term,
        snap: { metadata: m.metadata, totalSize: m.totalSize, offset: m.offset, data: m.data },
      };
    case 'SnapResp':
      return {
        from,
        to,
        term,
        snapResp: {
          snapshotIndex: m.snapshotIndex,
          snapshotTerm: m.snapshotTerm,
          received: m.received,
          done: m.done,
          reject: m.reject,
        },
      };
    case 'TimeoutNow':
      return { from, to, term, timeoutNow: {} };
    case 'Prop':
      return { from, to, term, prop: { entries: m.entries, contexts: m.contexts } };
    case 'PropResp':
      return {
        from,
        to,
        term,
        propResp: {
          contexts: m.contexts,
          index: m.index,
          entryTerm: m.entryTerm,
          rejectReason: rejectReasons[m.rejectReason][1],
        },
      };
    case 'ReadIndex':
      return { from, to, term, readIndex: { context: m.context } };
    case 'ReadIndexResp':
      return { from, to, term, readIndexResp: { context: m.context, index: m.index } };
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding. Accepts what the deserializer below produces (uint64 as numbers, enums by name) and
// also numeric enum values, so hand-built objects decode too. Hot path: no allocation beyond the
// result unless the input is malformed; field paths are only built when throwing.

type Obj = Record<string, unknown>;

function fail(at: string, key: string, rule: DecodeRule): never {
  throw new MessageDecodeError(at ? `${at}.${key}` : key, rule);
}

function missingOr(v: unknown, rule: DecodeRule): DecodeRule {
  return v === undefined || v === null ? 'required' : rule;
}

function asObject(v: unknown, at: string, key: string): Obj {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Obj;
  return fail(at, key, missingOr(v, 'object'));
}

function uint(o: Obj, key: string, at: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  return fail(at, key, missingOr(v, 'uint'));
}

function str(o: Obj, key: string, at: string): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  return fail(at, key, missingOr(v, 'string'));
}

function memberId(o: Obj, key: string, at: string): string {
  const v = o[key];
  if (typeof v === 'string' && v !== '') return v;
  return fail(at, key, missingOr(v, 'member-id'));
}

function bool(o: Obj, key: string, at: string): boolean {
  const v = o[key];
  if (typeof v === 'boolean') return v;
  return fail(at, key, missingOr(v, 'bool'));
}

function bytes(o: Obj, key: string, at: string): Uint8Array {
  const v = o[key];
  if (v instanceof Uint8Array) return v;
  return fail(at, key, missingOr(v, 'bytes'));
}

function array(o: Obj, key: string, at: string): unknown[] {
  const v = o[key];
  if (Array.isArray(v)) return v;
  return fail(at, key, missingOr(v, 'array'));
}

function strings(o: Obj, key: string, at: string, nonEmpty: boolean): string[] {
  const raw = array(o, key, at);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (typeof v !== 'string' || (nonEmpty && v === ''))
      fail(at, `${key}[${i}]`, nonEmpty ? 'member-id' : 'string');
  }
  return raw as string[];
}

/** A map<string, string> of member id to address. Validated in place: the deserializer made it. */
function addresses(o: Obj, key: string, at: string): Record<string, string> {
  const v = asObject(o[key], at, key);
  for (const id of Object.keys(v)) {
    if (id === '') fail(at, `${key}['']`, 'member-id');
    if (typeof v[id] !== 'string') fail(at, `${key}[${JSON.stringify(id)}]`, 'string');
  }
  return v as Record<string, string>;
}

function entryType(o: Obj, key: string, at: string): EntryType {
  const v = o[key];
  if (v === 'ENTRY_TYPE_NORMAL' || v === 0) return 0;
  if (v === 'ENTRY_TYPE_CONF_CHANGE' || v === 1) return 1;
  return fail(at, key, missingOr(v, 'enum'));
}

/** Accepts a reason by its enum name (as deserialized) or number. */
const rejectReasonFromProto = new Map<unknown, ProposeResponse['rejectReason']>();
for (const [reason, [name, value]] of Object.entries(rejectReasons) as Array<
  [ProposeResponse['rejectReason'], readonly [string, number]]
>) {
  rejectReasonFromProto.set(name, reason).set(value, reason);
}

function rejectReason(o: Obj, key: string, at: string): ProposeResponse['rejectReason'] {
  const v = o[key];
  return rejectReasonFromProto.get(v) ?? fail(at, key, missingOr(v, 'enum'));
}

// Array items are checked with paths relative to the item; a failure is re-thrown with the
// item's position in front, so the happy path builds no path strings.
function rethrowWithin(err: unknown, prefix: string): never {
  throw err instanceof MessageDecodeError ? err.within(prefix) : err;
}

function decodeEntries(raw: unknown[], prevLogIndex: number): Entry[] {
  const entries = new Array<Entry>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    try {
      const e = asObject(raw[i], '', '');
      const index = uint(e, 'index', '');
      // AppendEntries carries a contiguous run of the leader's log right after prevLogIndex.
      if (index !== prevLogIndex + 1 + i) fail('', 'index', 'consistency');
      entries[i] = {
        term: uint(e, 'term', ''),
        index,
        type: entryType(e, 'type', ''),
        data: bytes(e, 'data', ''),
      };
    } catch (err) {
      rethrowWithin(err, `app.entries[${i}]`);
    }
  }
  return entries;
}

function decodeProposedEntries(raw: unknown[]): Array<{ type: EntryType; data: Uint8Array }> {
  const entries = new Array<{ type: EntryType; data: Uint8Array }>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    try {
      const e = asObject(raw[i], '', '');
      entries[i] = { type: entryType(e, 'type', ''), data: bytes(e, 'data', '') };
    } catch (err) {
      rethrowWithin(err, `prop.entries[${i}]`);
    }
  }
  return entries;
}

function decodeSnapshotMetadata(v: unknown): SnapshotMetadata {
  const md = asObject(v, 'snap', 'metadata');
  const cs = asObject(md['confState'], 'snap.metadata', 'confState');
  const confState: ConfState = {
    voters: strings(cs, 'voters', 'snap.metadata.confState', true),
    learners: strings(cs, 'learners', 'snap.metadata.confState', true),
    addresses: addresses(cs, 'addresses', 'snap.metadata.confState'),
  };
  return { index: uint(md, 'index', 'snap.metadata'), term: uint(md, 'term', 'snap.metadata'), confState };
}

const bodyKeys = [
  'app',
  'appResp',
  'heartbeat',
  'heartbeatResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'snap',
  'snapResp',
  'timeoutNow',
  'prop',
  'propResp',
  'readIndex',
  'readIndexResp',
] as const;

/** Which message kind is set: the `body` virtual field if present, else the one non-null member. */
function bodyOf(pb: Obj): string {
  const named = pb['body'];
  if (typeof named === 'string') return named;
  if (named !== undefined && named !== null) fail('', 'body', 'body');
  let found: string | undefined;
  for (const key of bodyKeys) {
    const v = pb[key];
    if (v === undefined || v === null) continue;
    if (found !== undefined) fail('', 'body', 'consistency');
    found = key;
  }
  return found ?? fail('', 'body', 'required');
}

/**
 * Validates a decoded protobuf object and turns it into the core's {@link Message}.
 * @throws MessageDecodeError naming the first offending field.
 */
export function decodeMessage(pb: unknown): Message {
  const o = asObject(pb, '', '');
  const from = memberId(o, 'from', '');
  const to = memberId(o, 'to', '');
  const term = uint(o, 'term', '');
  const kind = bodyOf(o);
  switch (kind) {
    case 'app': {
      const b = asObject(o['app'], '', 'app');
      const prevLogIndex = uint(b, 'prevLogIndex', 'app');
      const prevLogTerm = uint(b, 'prevLogTerm', 'app');
      const commit = uint(b, 'commit', 'app');
      const entries = decodeEntries(array(b, 'entries', 'app'), prevLogIndex);
      return { type: 'App', from, to, term, prevLogIndex, prevLogTerm, entries, commit };
    }
    case 'appResp': {
      const b = asObject(o['appResp'], '', 'appResp');
      return {
        type: 'AppResp',
        from,
        to,
        term,
        reject: bool(b, 'reject', 'appResp'),
        index: uint(b, 'index', 'appResp'),
        hintIndex: uint(b, 'hintIndex', 'appResp'),
        hintTerm: uint(b, 'hintTerm', 'appResp'),
      };
    }
    case 'heartbeat': {
      const b = asObject(o['heartbeat'], '', 'heartbeat');
      return {
        type: 'Heartbeat',
        from,
        to,
        term,
        commit: uint(b, 'commit', 'heartbeat'),
        context: str(b, 'context', 'heartbeat'),
      };
    }
    case 'heartbeatResp': {
      const b = asObject(o['heartbeatResp'], '', 'heartbeatResp');
      return { type: 'HeartbeatResp', from, to, term, context: str(b, 'context', 'heartbeatResp') };
    }
    case 'vote':
    case 'preVote': {
      const b = asObject(o[kind], '', kind);
      return {
        type: kind === 'vote' ? 'Vote' : 'PreVote',
        from,
        to,
        term,
        lastLogIndex: uint(b, 'lastLogIndex', kind),
        lastLogTerm: uint(b, 'lastLogTerm', kind),
        transfer: bool(b, 'transfer', kind),
      };
    }
    case 'voteResp':
    case 'preVoteResp': {
      const b = asObject(o[kind], '', kind);
      return {
        type: kind === 'voteResp' ? 'VoteResp' : 'PreVoteResp',
        from,
        to,
        term,
        reject: bool(b, 'reject', kind),
      };
    }
    case 'snap': {
      const b = asObject(o['snap'], '', 'snap');
      const metadata = decodeSnapshotMetadata(b['metadata']);
      const totalSize = uint(b, 'totalSize', 'snap');
      const offset = uint(b, 'offset', 'snap');
      const data = bytes(b, 'data', 'snap');
      // A chunk must lie inside the snapshot it claims to be part of.
      if (offset + data.length > totalSize) fail('snap', 'data', 'consistency');
      return { type: 'Snap', from, to, term, metadata, totalSize, offset, data };
    }
    case 'snapResp': {
      const b = asObject(o['snapResp'], '', 'snapResp');
      return {
        type: 'SnapResp',
        from,
        to,
        term,
        snapshotIndex: uint(b, 'snapshotIndex', 'snapResp'),
        snapshotTerm: uint(b, 'snapshotTerm', 'snapResp'),
        received: uint(b, 'received', 'snapResp'),
        done: bool(b, 'done', 'snapResp'),
        reject: bool(b, 'reject', 'snapResp'),
      };
    }
    case 'timeoutNow':
      asObject(o['timeoutNow'], '', 'timeoutNow');
      return { type: 'TimeoutNow', from, to, term };
    case 'prop': {
      const b = asObject(o['prop'], '', 'prop');
      const entries = decodeProposedEntries(array(b, 'entries', 'prop'));
      const contexts = strings(b, 'contexts', 'prop', false);
      // contexts[i] identifies entries[i].
      if (contexts.length !== entries.length) fail('prop', 'contexts', 'consistency');
      return { type: 'Prop', from, to, term, entries, contexts };
    }
    case 'propResp': {
      const b = asObject(o['propResp'], '', 'propResp');
      return {
        type: 'PropResp',
        from,
        to,
        term,
        contexts: strings(b, 'contexts', 'propResp', false),
        index: uint(b, 'index', 'propResp'),
        entryTerm: uint(b, 'entryTerm', 'propResp'),
        rejectReason: rejectReason(b, 'rejectReason', 'propResp'),
      };
    }
    case 'readIndex': {
      const b = asObject(o['readIndex'], '', 'readIndex');
      return { type: 'ReadIndex', from, to, term, context: str(b, 'context', 'readIndex') };
    }
    case 'readIndexResp': {
      const b = asObject(o['readIndexResp'], '', 'readIndexResp');
      return {
        type: 'ReadIndexResp',
        from,
        to,
        term,
        context: str(b, 'context', 'readIndexResp'),
        index: uint(b, 'index', 'readIndexResp'),
      };
    }
    default:
      return fail('', 'body', 'body');
  }
}

// ---------------------------------------------------------------------------------------------
// Bytes. protobufjs encodes our plain objects directly (proto-loader's serializer would first copy
// them through fromObject, which halves throughput). Deserializers never throw: a frame that does
// not parse is reported as such, so the stream it came on survives.

/** A received frame: the undecoded messages it holds, or why it could not be parsed. */
export type InboundFrame = { ok: true; messages: unknown[] } | { ok: false; error: unknown };

interface WireTypes {
  batch: protobuf.Type;
  message: protobuf.Type;
  ack: protobuf.Type;
}

let wireTypes: WireTypes | undefined;

function types(): WireTypes {
  if (wireTypes === undefined) {
    const root = protobuf.loadSync(protoFilePath('raft.proto'));
    wireTypes = {
      batch: root.lookupType('flotilla.raft.v1.MessageBatch'),
      message: root.lookupType('flotilla.raft.v1.RaftMessage'),
      ack: root.lookupType('flotilla.raft.v1.SendAck'),
    };
  }
  return wireTypes;
}

/** The same shape proto-loader produces (and the generated `__Output` types describe). */
const toObjectOptions: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function serializeBatch(messages: readonly Message[]): Buffer {
  const protos = new Array<ProtoMessage>(messages.length);
  for (let i = 0; i < messages.length; i++) protos[i] = encodeMessage(messages[i]!);
  return asBuffer(types().batch.encode({ messages: protos }).finish());
}

export function deserializeBatch(frame: Buffer): InboundFrame {
  try {
    const t = types().batch;
    const batch = t.toObject(t.decode(frame), toObjectOptions) as { messages?: unknown };
    return Array.isArray(batch.messages)
      ? { ok: true, messages: batch.messages }
      : { ok: false, error: new Error('batch without messages') };
  } catch (error) {
    return { ok: false, error };
  }
}

export function serializeMessage(m: Message): Buffer {
  return asBuffer(types().message.encode(encodeMessage(m)).finish());
}

export function deserializeMessage(frame: Buffer): InboundFrame {
  try {
    const t = types().message;
    return { ok: true, messages: [t.toObject(t.decode(frame), toObjectOptions)] };
  } catch (error) {
    return { ok: false, error };
  }
}

export interface SendAckValue {
  received: number;
}

export function serializeAck(ack: SendAckValue): Buffer {
  return asBuffer(types().ack.encode(ack).finish());
}

export function deserializeAck(frame: Buffer): SendAckValue | undefined {
  try {
    const t = types().ack;
    const ack = t.toObject(t.decode(frame), toObjectOptions) as { received?: unknown };
    return typeof ack.received === 'number' ? { received: ack.received } : undefined;
  } catch {
    // The ack is informational only; an unreadable one changes nothing.
    return undefined;
  }
}

/**
 * A generous upper bound of a message's encoded size, cheap to compute, so the sender can cut
 * batches below the channel's message size limit without encoding twice.
 */
export function estimateEncodedSize(m: Message): number {
  // from/to/term, tags, lengths: strings may be up to 3 UTF-8 bytes per UTF-16 unit.
  let size = 64 + 3 * (m.from.length + m.to.length);
  switch (m.type) {
    case 'App':
      for (const e of m.entries) size += 32 + e.data.length;
      break;
    case 'Prop':
      for (const e of m.entries) size += 16 + e.data.length;
      for (const c of m.contexts) size += 8 + 3 * c.length;
      break;
    case 'PropResp':
      for (const c of m.contexts) size += 8 + 3 * c.length;
      break;
    case 'Snap':
      size += 64 + m.data.length;
      for (const v of m.metadata.confState.voters) size += 8 + 3 * v.length;
      for (const l of m.metadata.confState.learners) size += 8 + 3 * l.length;
      for (const [id, addr] of Object.entries(m.metadata.confState.addresses))
        size += 16 + 3 * (id.length + addr.length);
      break;
    case 'Heartbeat':
    case 'HeartbeatResp':
    case 'ReadIndex':
    case 'ReadIndexResp':
      size += 3 * m.context.length;
      break;
    default:
      break;
  }
  return size;
}
