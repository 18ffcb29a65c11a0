// Snapshot files `snap/<16-hex term>-<16-hex index>.snap`, written atomically (temp file, fsync,
// rename, fsync of the directory). Layout (little-endian):
//   header: "FSNP" | u32 version | u32 crc32(body) | u64 body length
//   body:   u8 flags | u64 index | u64 term | voters | learners
//           | addresses (u32 count, then per member: id, address) | [u32 key id] | u64 data length | data
//   (voters, learners: u32 count, then ids; each id or address: u16 byte length + utf-8;
//    flags: bit 0 = the snapshot replaced the log, see StoredSnapshot; version 1 had no flags byte;
//    bit 1 = data is sealed by the storage cipher under the key id that then precedes its length,
//    authenticating the body before it too. Older builds refuse such a file: "unknown flags".)

import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Snapshot } from '../core/messages.js';
import type { Logger } from '../../util/logger.js';
import { ByteReader, DecodeError, writeU64 } from './binary.js';
import type { StorageCipher } from './cipher.js';
import {
  SnapshotCorruptionError,
  StorageArgumentError,
  StorageDecryptionError,
  StorageEncryptionError,
} from './errors.js';
import { errorCode, fsyncDirectory, hex16, listRemovingTemp, writeFully } from './fs-util.js';

const MAGIC = Buffer.from('FSNP', 'latin1');
const VERSION = 2;
/** Version 1 is version 2 without the flags byte; still read, never written. */
const VERSION_WITHOUT_FLAGS = 1;
const FLAG_REPLACES_LOG = 0x01;
const FLAG_SEALED = 0x02;
const HEADER_BYTES = 4 + 4 + 4 + 8;
const SNAPSHOT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

interface SnapshotFile {
  term: number;
  index: number;
  path: string;
}

export interface StoredSnapshot {
  snapshot: Snapshot;
  /**
   * Saved with discardLog (Raft §7): every WAL entry written before the snapshot is void. The WAL
   * records that too (a log reset record), but only after this file is durable; the flag lets
   * opening finish a reset that a crash interrupted in between.
   */
  replacesLog: boolean;
}

/** A snapshot written to its temp file and synced, ready to be published under its name. */
export interface PreparedSnapshot {
  tempPath: string;
  path: string;
}

export interface SnapshotStoreOptions {
  sync: boolean;
  logger: Logger;
  /** Seals the data of snapshots written, and opens sealed ones read; null: plaintext. */
  cipher: StorageCipher | null;
}

export class SnapshotStore {
  private constructor(
    private readonly dir: string,
    private readonly options: SnapshotStoreOptions,
  ) {}

  /** Opens the store in `dir`, removing temp files an interrupted write left behind. */
  static async open(dir: string, options: SnapshotStoreOptions): Promise<SnapshotStore> {
    await listRemovingTemp(dir, options.logger);
    return new SnapshotStore(dir, options);
  }

  /** The newest snapshot, or null. Throws SnapshotCorruptionError rather than fall back to an older one. */
  async readNewest(): Promise<StoredSnapshot | null> {
    const newest = (await this.list()).at(-1);
    if (newest === undefined) return null;
    return decodeSnapshot(await readFile(newest.path), newest, this.options.cipher);
  }

  /** Writes `snapshot` to a temp file and syncs it. On failure nothing is left behind. */
  async prepare(snapshot: Snapshot, replacesLog: boolean): Promise<PreparedSnapshot> {
    const { term, index } = snapshot.metadata;
    const path = join(this.dir, snapshotName(term, index));
    const tempPath = `${path}.tmp`;
    const { head, data } = encodeSnapshot(snapshot, replacesLog, this.options.cipher);
    try {
      const handle = await open(tempPath, 'w');
      try {
        await writeFully(handle, head, 0);
        await writeFully(handle, data, head.length);
        if (this.options.sync) await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      await rm(tempPath, { force: true });
      throw err;
    }
    return { tempPath, path };
  }

  /** Gives a prepared snapshot its name, durably. */
  async publish(prepared: PreparedSnapshot): Promise<void> {
    await rename(prepared.tempPath, prepared.path);
    if (this.options.sync) await fsyncDirectory(this.dir);
  }

  /** Removes all but the newest `keep` snapshot files. */
  async prune(keep: number): Promise<void> {
    const files = await this.list();
    for (const file of files.slice(0, Math.max(0, files.length - keep))) {
      try {
        await rm(file.path);
      } catch (err) {
        // Safe to go on: an old snapshot is never read while a newer one exists; retried next time.
        if (errorCode(err) !== 'ENOENT')
          this.options.logger.warn('could not remove an old snapshot', { file: file.path, err });
      }
    }
  }

  /** Snapshot files, oldest first. */
  private async list(): Promise<SnapshotFile[]> {
    const files: SnapshotFile[] = [];
    for (const name of await readdir(this.dir)) {
      const match = SNAPSHOT_NAME.exec(name);
      if (!match) {
        if (!name.endsWith('.tmp'))
          this.options.logger.warn('ignoring an unexpected file in the snapshot directory', { name });
        continue;
      }
      files.push({
        term: Number.parseInt(match[1]!, 16),
        index: Number.parseInt(match[2]!, 16),
        path: join(this.dir, name),
      });
    }
    return files.sort((a, b) => a.index - b.index || a.term - b.term);
  }
}

export function snapshotName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

/**
 * The file as `head` (header and metadata, with the CRC over the metadata and the data) and `data`
 * (the snapshot's own, not copied, or its sealed copy), to be written one after the other.
 */
function encodeSnapshot(
  snapshot: Snapshot,
  replacesLog: boolean,
  cipher: StorageCipher | null,
): { head: Buffer; data: Uint8Array } {
  const { index, term, confState } = snapshot.metadata;
  const addresses = Object.entries(confState.addresses);
  const strings = [...confState.voters, ...confState.learners, ...addresses.flat()];
  let bytes = HEADER_BYTES + 1 + 8 + 8 + 4 + 4 + 4 + 8 + (cipher ? 4 : 0);
  for (const text of strings) bytes += 2 + Buffer.byteLength(text, 'utf8');
  const buf = Buffer.alloc(bytes);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(VERSION, 4);
  const flags = (replacesLog ? FLAG_REPLACES_LOG : 0) | (cipher ? FLAG_SEALED : 0);
  let offset = buf.writeUInt8(flags, HEADER_BYTES);
  writeU64(buf, index, offset);
  writeU64(buf, term, offset + 8);
  offset += 16;
  const writeString = (text: string): void => {
    const length = buf.write(text, offset + 2, 'utf8');
    buf.writeUInt16LE(length, offset);
    offset += 2 + length;
  };
  for (const list of [confState.voters, confState.learners]) {
    offset = buf.writeUInt32LE(list.length, offset);
    list.forEach(writeString);
  }
  offset = buf.writeUInt32LE(addresses.length, offset);
  addresses.flat().forEach(writeString);
  if (cipher) offset = buf.writeUInt32LE(cipher.keyId, offset);
  const dataLength = snapshot.data.length + (cipher ? cipher.overhead : 0);
  writeU64(buf, dataLength, offset);
  const body = buf.subarray(HEADER_BYTES);
  // Sealed last, with the body before it as associated data: the metadata is then authenticated.
  const data = cipher ? cipher.seal(snapshot.data, body) : snapshot.data;
  if (data.length !== dataLength) {
    throw new StorageArgumentError(
      `the cipher sealed ${snapshot.data.length} bytes into ${data.length}, not the ${dataLength} its overhead promises`,
    );
  }
  buf.writeUInt32LE(crc32(data, crc32(body)), 8);
  writeU64(buf, body.length + data.length, 12);
  return { head: buf, data };
}

function decodeSnapshot(buf: Buffer, file: SnapshotFile, cipher: StorageCipher | null): StoredSnapshot {
  const corrupt = (reason: string): SnapshotCorruptionError => new SnapshotCorruptionError(file.path, reason);
  if (buf.length < HEADER_BYTES)
    throw corrupt(`file is ${buf.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  if (!buf.subarray(0, 4).equals(MAGIC)) throw corrupt('not a snapshot file (bad magic)');
  const reader = new ByteReader(buf, 4);
  try {
    const version = reader.u32();
    if (version !== VERSION && version !== VERSION_WITHOUT_FLAGS)
      throw corrupt(`unsupported format version ${version}`);
    const storedCrc = reader.u32();
    const bodyLength = reader.u64();
    if (bodyLength !== reader.remaining) {
      throw corrupt(`header says ${bodyLength} bytes follow, the file holds ${reader.remaining}`);
    }
    const computedCrc = crc32(buf.subarray(HEADER_BYTES));
    if (storedCrc !== computedCrc)
      throw corrupt(`CRC mismatch (stored ${storedCrc}, computed ${computedCrc})`);
    const flags = version === VERSION_WITHOUT_FLAGS ? 0 : reader.u8();
    if ((flags & ~(FLAG_REPLACES_LOG | FLAG_SEALED)) !== 0) throw corrupt(`unknown flags ${flags}`);
    const index = reader.u64();
    const term = reader.u64();
    const voters = readIds(reader);
    const learners = readIds(reader);
    const addressPairs: Array<[string, string]> = [];
    for (let count = reader.u32(); count > 0; count--) {
      addressPairs.push([reader.string(reader.u16()), reader.string(reader.u16())]);
    }
    const addresses = Object.fromEntries(addressPairs);
    const keyId = (flags & FLAG_SEALED) !== 0 ? reader.u32() : null;
    const dataLength = reader.u64();
    const dataStart = reader.position;
    let data = reader.bytes(dataLength);
    if (reader.remaining !== 0) throw corrupt(`${reader.remaining} bytes after the data`);
    if (index !== file.index || term !== file.term) {
      throw corrupt(`holds index ${index} term ${term}, its name says index ${file.index} term ${file.term}`);
    }
    if (keyId !== null) {
      data = openSnapshotData(data, buf.subarray(HEADER_BYTES, dataStart), keyId, cipher, file, dataStart);
    }
    const snapshot = { metadata: { index, term, confState: { voters, learners, addresses } }, data };
    return { snapshot, replacesLog: (flags & FLAG_REPLACES_LOG) !== 0 };
  } catch (err) {
    if (err instanceof DecodeError) throw corrupt(err.message);
    throw err;
  }
}

function openSnapshotData(
  sealed: Uint8Array,
  aad: Uint8Array,
  keyId: number,
  cipher: StorageCipher | null,
  file: SnapshotFile,
  offset: number,
): Uint8Array {
  const what = `the snapshot at index ${file.index}`;
  if (cipher === null) throw new StorageEncryptionError(file.path, what);
  if (!cipher.hasKey(keyId)) {
    throw new StorageDecryptionError(file.path, offset, what, keyId, 'no key with that id was given');
  }
  const data = cipher.open(keyId, sealed, aad);
  if (data === null) {
    throw new StorageDecryptionError(
      file.path,
      offset,
      what,
      keyId,
      'the key given under that id does not match the one that sealed it, or the file was altered',
    );
  }
  return data;
}

function readIds(reader: ByteReader): string[] {
  const count = reader.u32();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(reader.string(reader.u16()));
  return ids;
}
