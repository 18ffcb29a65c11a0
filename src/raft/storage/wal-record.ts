// The WAL's record format. Every record is
//   u32 payload length | u32 crc32(payload) | payload = u8 record type + body      (little-endian)
// entry body:      u64 term | u64 index | u8 entry type | data (the rest)
// sealed entry:    u64 term | u64 index | u8 entry type | u32 key id | data sealed by the storage
//                  cipher (cipher.ts), authenticating the payload's first 22 bytes (type to key id)
// hardState body:  u64 term | u64 commit | u16 vote length | vote (utf-8)
// logReset body:   u64 index | u64 term   (Raft §7: the log was replaced by the snapshot ending at
//                                            (index, term); every entry before this record is void)
// Encoding writes straight into the caller's batch buffer; decoding returns views, not copies.
// Sealed entries are a record type of their own, so a plaintext WAL keeps its exact bytes, an older
// build refuses an encrypted one ("unknown record type 4"), and both kinds can share a segment.

import { crc32 } from 'node:zlib';
import { EntryType } from '../core/messages.js';
import type { Entry, HardState } from '../core/messages.js';
import { ByteReader, DecodeError, writeU64 } from './binary.js';
import type { StorageCipher } from './cipher.js';
import { StorageArgumentError } from './errors.js';

export const RecordType = { Entry: 1, HardState: 2, LogReset: 3, SealedEntry: 4 } as const;

const RECORD_HEADER_BYTES = 8;
const ENTRY_FIXED_BYTES = 1 + 8 + 8 + 1;
const SEALED_ENTRY_FIXED_BYTES = ENTRY_FIXED_BYTES + 4;
const HARD_STATE_FIXED_BYTES = 1 + 8 + 8 + 2;
const LOG_RESET_BYTES = 1 + 8 + 8;

/** Where the log starts over: the last entry of the snapshot that replaced it. */
export interface LogReset {
  index: number;
  term: number;
}

/** How an entry record's data was sealed; its `data` is then the sealed bytes, not yet opened. */
export interface SealedData {
  keyId: number;
  /** What the seal authenticates besides the data: the record's plaintext fields, as on disk. */
  aad: Uint8Array;
}

export type WalRecord =
  | { type: 'entry'; entry: Entry; sealed: SealedData | null }
  | { type: 'hardState'; hardState: HardState }
  | { type: 'logReset'; reset: LogReset };

export function entryRecordBytes(entry: Entry): number {
  return RECORD_HEADER_BYTES + ENTRY_FIXED_BYTES + entry.data.length;
}

export function hardStateRecordBytes(hardState: HardState): number {
  return RECORD_HEADER_BYTES + HARD_STATE_FIXED_BYTES + Buffer.byteLength(hardState.vote, 'utf8');
}

/** Writes `entry` as a record at `offset`; returns the offset after it. */
export function writeEntryRecord(buf: Buffer, offset: number, entry: Entry): number {
  const body = offset + RECORD_HEADER_BYTES;
  buf[body] = RecordType.Entry;
  writeU64(buf, entry.term, body + 1);
  writeU64(buf, entry.index, body + 9);
  buf[body + 17] = entry.type;
  buf.set(entry.data, body + ENTRY_FIXED_BYTES);
  return finishRecord(buf, offset, body + ENTRY_FIXED_BYTES + entry.data.length);
}

export function sealedEntryRecordBytes(entry: Entry, cipher: StorageCipher): number {
  return RECORD_HEADER_BYTES + SEALED_ENTRY_FIXED_BYTES + entry.data.length + cipher.overhead;
}

/** Writes `entry` as a record at `offset` with its data sealed by `cipher`; returns the offset after it. */
export function writeSealedEntryRecord(
  buf: Buffer,
  offset: number,
  entry: Entry,
  cipher: StorageCipher,
): number {
  const body = offset + RECORD_HEADER_BYTES;
  buf[body] = RecordType.SealedEntry;
  writeU64(buf, entry.term, body + 1);
  writeU64(buf, entry.index, body + 9);
  buf[body + 17] = entry.type;
  buf.writeUInt32LE(cipher.keyId, body + 18);
  const sealed = cipher.seal(entry.data, buf.subarray(body, body + SEALED_ENTRY_FIXED_BYTES));
  // The caller sized the buffer from cipher.overhead.
  if (sealed.length !== entry.data.length + cipher.overhead) {
    throw new StorageArgumentError(
      `the cipher sealed ${entry.data.length} bytes into ${sealed.length}, not the ${entry.data.length + cipher.overhead} its overhead promises`,
    );
  }
  buf.set(sealed, body + SEALED_ENTRY_FIXED_BYTES);
  return finishRecord(buf, offset, body + SEALED_ENTRY_FIXED_BYTES + sealed.length);
}

/** Writes `hardState` as a record at `offset`; returns the offset after it. */
export function writeHardStateRecord(buf: Buffer, offset: number, hardState: HardState): number {
  const body = offset + RECORD_HEADER_BYTES;
  buf[body] = RecordType.HardState;
  writeU64(buf, hardState.term, body + 1);
  writeU64(buf, hardState.commit, body + 9);
  const voteBytes = buf.write(hardState.vote, body + HARD_STATE_FIXED_BYTES, 'utf8');
  buf.writeUInt16LE(voteBytes, body + 17);
  return finishRecord(buf, offset, body + HARD_STATE_FIXED_BYTES + voteBytes);
}

export const logResetRecordBytes = RECORD_HEADER_BYTES + LOG_RESET_BYTES;

/** Writes a log reset record at `offset`; returns the offset after it. */
export function writeLogResetRecord(buf: Buffer, offset: number, reset: LogReset): number {
  const body = offset + RECORD_HEADER_BYTES;
  buf[body] = RecordType.LogReset;
  writeU64(buf, reset.index, body + 1);
  writeU64(buf, reset.term, body + 9);
  return finishRecord(buf, offset, body + LOG_RESET_BYTES);
}

/** Fills in the record header: the payload's length and CRC. */
function finishRecord(buf: Buffer, offset: number, end: number): number {
  const body = offset + RECORD_HEADER_BYTES;
  buf.writeUInt32LE(end - body, offset);
  buf.writeUInt32LE(crc32(buf.subarray(body, end)), offset + 4);
  return end;
}

/** Where a segment stops decoding, and whether a crash cut short while writing could explain it. */
export interface ScanProblem {
  offset: number;
  reason: string;
  /**
   * True when the damage is the file's tail: a record cut off by the end of the file, or one that
   * fails its CRC with nothing (or only zero bytes, as ext4 can leave after a crash) after it.
   */
  tornTail: boolean;
}

/**
 * Decodes the records of one segment in order, calling `visit` for each, and stops at the first
 * record that does not decode. Returns null when the whole buffer decoded.
 */
export function scanRecords(
  buf: Buffer,
  visit: (record: WalRecord, offset: number, end: number) => void,
): ScanProblem | null {
  let offset = 0;
  while (offset < buf.length) {
    const left = buf.length - offset;
    if (left < RECORD_HEADER_BYTES) {
      return {
        offset,
        reason: `record header cut short (${left} of ${RECORD_HEADER_BYTES} bytes)`,
        tornTail: true,
      };
    }
    const length = buf.readUInt32LE(offset);
    if (length === 0) {
      return { offset, reason: 'record length is 0', tornTail: zeroFrom(buf, offset) };
    }
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > buf.length) {
      const reason = `record length ${length} runs past the end of the file (${left - RECORD_HEADER_BYTES} bytes left)`;
      return { offset, reason, tornTail: true };
    }
    const stored = buf.readUInt32LE(offset + 4);
    const computed = crc32(buf.subarray(offset + RECORD_HEADER_BYTES, end));
    if (stored !== computed) {
      const reason = `CRC mismatch (stored ${hex8(stored)}, computed ${hex8(computed)}), ${buf.length - end} bytes follow`;
      return { offset, reason, tornTail: zeroFrom(buf, end) };
    }
    let record: WalRecord;
    try {
      record = decodePayload(buf, offset + RECORD_HEADER_BYTES, end);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      // The CRC matched, so these are the bytes that were written: not a torn write.
      return { offset, reason: err.message, tornTail: false };
    }
    visit(record, offset, end);
    offset = end;
  }
  return null;
}

function decodePayload(buf: Buffer, start: number, end: number): WalRecord {
  const reader = new ByteReader(buf, start, end);
  const recordType = reader.u8();
  switch (recordType) {
    case RecordType.Entry:
    case RecordType.SealedEntry: {
      const term = reader.u64();
      const index = reader.u64();
      const type = reader.u8();
      if (!isEntryType(type)) throw new DecodeError(`entry ${index} has unknown entry type ${type}`);
      if (index < 1) throw new DecodeError('entry has index 0');
      let sealed: SealedData | null = null;
      if (recordType === RecordType.SealedEntry) {
        const keyId = reader.u32();
        sealed = { keyId, aad: buf.subarray(start, start + SEALED_ENTRY_FIXED_BYTES) };
      }
      return { type: 'entry', entry: { term, index, type, data: reader.bytes(reader.remaining) }, sealed };
    }
    case RecordType.HardState: {
      const term = reader.u64();
      const commit = reader.u64();
      const vote = reader.string(reader.u16());
      if (reader.remaining !== 0)
        throw new DecodeError(`hard state record has ${reader.remaining} extra bytes`);
      return { type: 'hardState', hardState: { term, vote, commit } };
    }
    case RecordType.LogReset: {
      const index = reader.u64();
      const term = reader.u64();
      if (reader.remaining !== 0)
        throw new DecodeError(`log reset record has ${reader.remaining} extra bytes`);
      return { type: 'logReset', reset: { index, term } };
    }
    default:
      throw new DecodeError(`unknown record type ${recordType}`);
  }
}

function isEntryType(value: number): value is EntryType {
  return value === EntryType.Normal || value === EntryType.ConfChange;
}

function zeroFrom(buf: Buffer, offset: number): boolean {
  for (let i = offset; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}
