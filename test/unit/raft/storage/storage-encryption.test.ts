// Encryption at rest of the disk storage: entries and snapshots sealed with an AES-256-GCM keyring
// round-trip, leave no plaintext on disk, refuse to open without the right key or when altered, and
// coexist with plaintext records (turning encryption on) and with an older key (rotation).

import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EntryType } from '../../../../src/raft/core/messages.js';
import type { Entry } from '../../../../src/raft/core/messages.js';
import {
  aesGcmCipher,
  openDiskStorage,
  StorageDecryptionError,
  StorageEncryptionError,
} from '../../../../src/raft/storage/index.js';
import type { CipherKey, DiskStorageOptions, RaftStorage } from '../../../../src/raft/storage/index.js';
import { entries, indexes, recordOffsets, segmentPaths, snapshotAt, useTempDirs } from './helpers.js';

const temp = useTempDirs();

const MARKER = 'FLOTILLA-PLAINTEXT-MARKER';
/** A WAL record: u32 length | u32 crc | payload; a sealed entry's payload: 22 header bytes, then nonce. */
const RECORD_HEADER = 8;
const SEALED_ENTRY_HEADER = 22;
const NONCE = 12;

function key(id: number, fill: number): CipherKey {
  return { id, key: new Uint8Array(32).fill(fill) };
}

const key1 = key(1, 0x11);
const key2 = key(2, 0x22);

async function open(dir: string, options: DiskStorageOptions = {}): Promise<RaftStorage> {
  return temp.track(await openDiskStorage(dir, options));
}

function openError(dir: string, options: DiskStorageOptions = {}): Promise<unknown> {
  return openDiskStorage(dir, options).then(
    (storage) => {
      temp.track(storage);
      return null;
    },
    (err: unknown) => err,
  );
}

/** Entries whose data carries the marker, and a conf change (membership data) at the end. */
function markedEntries(from: number, to: number, term = 1): Entry[] {
  const list: Entry[] = [];
  for (let index = from; index <= to; index++) {
    const type = index === to ? EntryType.ConfChange : EntryType.Normal;
    list.push({ term, index, type, data: new TextEncoder().encode(`${MARKER} #${index} 10.0.0.9:4242`) });
  }
  return list;
}

/** Every file under `dir`, recursively, with its bytes. */
async function filesUnder(dir: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const files: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path, bytes: await readFile(path) });
  }
  return files;
}

/** Paths of the files under `dir` whose bytes contain `text`. */
async function filesContaining(dir: string, text: string): Promise<string[]> {
  return (await filesUnder(dir)).filter((file) => file.bytes.includes(text)).map((file) => file.path);
}

/** XORs one payload byte of the WAL record at `recordOffset` and recomputes its CRC, keeping the framing intact. */
async function alterRecord(path: string, recordOffset: number, payloadByte: number): Promise<void> {
  const bytes = await readFile(path);
  const length = bytes.readUInt32LE(recordOffset);
  const payload = bytes.subarray(recordOffset + RECORD_HEADER, recordOffset + RECORD_HEADER + length);
  payload[payloadByte]! ^= 0x01;
  bytes.writeUInt32LE(crc32(payload), recordOffset + 4);
  await writeFile(path, bytes);
}

/** The single snapshot file, with one byte at `offset` XORed and the header CRC recomputed. */
async function alterSnapshot(dir: string, offsetFromEnd: number): Promise<string> {
  const [name] = await readdir(join(dir, 'snap'));
  const path = join(dir, 'snap', name!);
  const bytes = await readFile(path);
  bytes[bytes.length - offsetFromEnd]! ^= 0x01;
  bytes.writeUInt32LE(crc32(bytes.subarray(20)), 8);
  await writeFile(path, bytes);
  return path;
}

describe('encrypted disk storage', () => {
  it('round-trips entries, hard state and a snapshot through close and reopen', async () => {
    const dir = await temp.makeDir();
    const cipher = aesGcmCipher({ keys: [key1] });
    const storage = await open(dir, { cipher, segmentBytes: 1024 });
    await storage.save({ term: 1, vote: 'm1', commit: 0 }, markedEntries(1, 10));
    await storage.saveSnapshot(snapshotAt(6, 1, `${MARKER} state@6`));
    await storage.save({ term: 2, vote: 'm2', commit: 9 }, markedEntries(11, 30, 2));
    const inPlace = await storage.load();
    await storage.close();

    const reopened = await (await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) })).load();
    for (const loaded of [inPlace, reopened]) {
      expect(loaded.hardState).toEqual({ term: 2, vote: 'm2', commit: 9 });
      expect(loaded.snapshot).toEqual(snapshotAt(6, 1, `${MARKER} state@6`));
      expect(loaded.entries).toEqual([...markedEntries(1, 10).slice(6), ...markedEntries(11, 30, 2)]);
    }
  });

  it('leaves the marker in no file under the data directory, though it does without a cipher', async () => {
    const plainDir = await temp.makeDir();
    const sealedDir = await temp.makeDir();
    for (const [dir, options] of [
      [plainDir, {}],
      [sealedDir, { cipher: aesGcmCipher({ keys: [key1] }) }],
    ] as const) {
      const storage = await open(dir, { ...options, segmentBytes: 1024 });
      await storage.save({ term: 1, vote: 'm1', commit: 0 }, markedEntries(1, 20));
      await storage.saveSnapshot(snapshotAt(10, 1, `${MARKER} state@10`));
      await storage.save(null, markedEntries(21, 25));
      await storage.close();
    }

    expect(await filesContaining(plainDir, MARKER)).not.toEqual([]);
    const sealedFiles = await filesUnder(sealedDir);
    expect(
      sealedFiles.map((file) => file.path).filter((path) => path.endsWith('.wal')).length,
    ).toBeGreaterThan(1);
    expect(sealedFiles.some((file) => file.path.endsWith('.snap'))).toBe(true);
    expect(await filesContaining(sealedDir, MARKER)).toEqual([]);
    // Membership data of the conf changes is sealed too; the snapshot's conf state is not data.
    expect(await filesContaining(sealedDir, '10.0.0.9')).toEqual([]);
  });

  it('keeps entry types, indexes and terms readable on disk', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save(null, markedEntries(1, 2, 5));
    await storage.close();

    const [segment] = await segmentPaths(dir);
    const bytes = await readFile(segment!);
    const [, first, second] = await recordOffsets(segment!);
    for (const [offset, index, type] of [
      [first!, 1, EntryType.Normal],
      [second!, 2, EntryType.ConfChange],
    ] as const) {
      const payload = offset + RECORD_HEADER;
      expect(bytes[payload]).toBe(4); // a sealed entry record
      expect(bytes.readUInt32LE(payload + 1)).toBe(5);
      expect(bytes.readUInt32LE(payload + 9)).toBe(index);
      expect(bytes[payload + 17]).toBe(type);
      expect(bytes.readUInt32LE(payload + 18)).toBe(1); // key id
    }
  });

  it('refuses to open an encrypted WAL without a key, naming the file and the entry', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save({ term: 1, vote: 'm1', commit: 0 }, markedEntries(1, 3));
    await storage.close();

    const error = await openError(dir);
    expect(error).toBeInstanceOf(StorageEncryptionError);
    const [segment] = await segmentPaths(dir);
    expect(error).toMatchObject({
      code: 'RAFT_STORAGE_ENCRYPTED',
      file: segment,
      message: `${segment}: entry 1 is encrypted and no key was given`,
    });
  });

  it('refuses to open an encrypted snapshot without a key, naming the file', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save(null, markedEntries(1, 3));
    await storage.saveSnapshot(snapshotAt(3));
    await storage.close();

    const error = await openError(dir);
    expect(error).toBeInstanceOf(StorageEncryptionError);
    expect((error as StorageEncryptionError).file).toMatch(/snap\/0000000000000001-0000000000000003\.snap$/);
    expect((error as Error).message).toContain('the snapshot at index 3 is encrypted and no key was given');
  });

  it('refuses to open with a different key under the same id, naming the file and byte offset', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save({ term: 1, vote: 'm1', commit: 0 }, markedEntries(1, 3));
    await storage.close();

    const error = await openError(dir, { cipher: aesGcmCipher({ keys: [key(1, 0x99)] }) });
    expect(error).toBeInstanceOf(StorageDecryptionError);
    const [segment] = await segmentPaths(dir);
    const offset = (await recordOffsets(segment!))[1]!;
    expect(error).toMatchObject({ code: 'RAFT_STORAGE_DECRYPT', file: segment, offset, keyId: 1 });
    expect((error as Error).message).toContain(`${segment} at byte offset ${offset}: entry 1`);
    expect((error as Error).message).toContain('does not match');
  });

  it('refuses to open a snapshot sealed with another key', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save(null, markedEntries(1, 3));
    await storage.saveSnapshot(snapshotAt(3));
    await storage.close();

    const error = await openError(dir, { cipher: aesGcmCipher({ keys: [key(1, 0x99)] }) });
    expect(error).toBeInstanceOf(StorageDecryptionError);
    expect((error as Error).message).toMatch(
      /\.snap at byte offset \d+: the snapshot at index 3 \(sealed with key id 1\)/,
    );
  });

  it('refuses to open data sealed under a key id it was not given', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key2] }) });
    await storage.save(null, markedEntries(1, 3));
    await storage.close();

    const error = await openError(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    expect(error).toMatchObject({ code: 'RAFT_STORAGE_DECRYPT', keyId: 2 });
    expect((error as Error).message).toContain('no key with that id was given');
  });

  it('reports an altered sealed payload as a decryption error, never as a torn tail, and leaves the file alone', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save(null, markedEntries(1, 4));
    await storage.close();
    // The very last record of the last segment: where a torn write would be cut off.
    const [segment] = await segmentPaths(dir);
    const last = (await recordOffsets(segment!)).at(-1)!;
    await alterRecord(segment!, last, SEALED_ENTRY_HEADER + NONCE + 3);
    const size = (await stat(segment!)).size;

    const error = await openError(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    expect(error).toBeInstanceOf(StorageDecryptionError);
    expect(error).toMatchObject({ file: segment, offset: last, what: 'entry 4' });
    expect((await stat(segment!)).size).toBe(size);
  });

  it('reports an altered entry type as a decryption error: the record header is authenticated', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save(null, markedEntries(1, 4));
    await storage.close();
    const [segment] = await segmentPaths(dir);
    const second = (await recordOffsets(segment!))[2]!;
    await alterRecord(segment!, second, 17); // Normal (0) becomes ConfChange (1)

    const error = await openError(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    expect(error).toMatchObject({ code: 'RAFT_STORAGE_DECRYPT', offset: second, what: 'entry 2' });
  });

  it('reports altered snapshot data as a decryption error, not as data', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save(null, markedEntries(1, 3));
    await storage.saveSnapshot(snapshotAt(3, 1, `${MARKER} state@3`));
    await storage.close();
    const path = await alterSnapshot(dir, 20); // inside the ciphertext, before the 16-byte tag

    const error = await openError(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    expect(error).toBeInstanceOf(StorageDecryptionError);
    expect(error).toMatchObject({ file: path, what: 'the snapshot at index 3' });
  });

  it('still repairs a torn write of a sealed record', async () => {
    const dir = await temp.makeDir();
    const storage = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    await storage.save(null, markedEntries(1, 4));
    await storage.close();
    const [segment] = await segmentPaths(dir);
    await truncate(segment!, (await stat(segment!)).size - 10);

    const reopened = await open(dir, { cipher: aesGcmCipher({ keys: [key1] }) });
    expect(indexes((await reopened.load()).entries)).toEqual([1, 2, 3]);
  });

  it('reads a plaintext WAL with a cipher and seals what it writes from then on (turning encryption on)', async () => {
    const dir = await temp.makeDir();
    const plain = await open(dir);
    await plain.save({ term: 1, vote: 'm1', commit: 0 }, entries(1, 5));
    await plain.saveSnapshot(snapshotAt(2));
    await plain.close();

    const cipher = aesGcmCipher({ keys: [key1] });
    const migrating = await open(dir, { cipher });
    const loaded = await migrating.load();
    expect(loaded.snapshot).toEqual(snapshotAt(2));
    expect(loaded.entries).toEqual(entries(3, 5));
    await migrating.save({ term: 2, vote: 'm2', commit: 5 }, markedEntries(6, 8, 2));
    await migrating.close();

    const [segment] = await segmentPaths(dir);
    const bytes = await readFile(segment!);
    const recordTypes = (await recordOffsets(segment!)).map((offset) => bytes[offset + RECORD_HEADER]);
    // The opening hard state, plaintext entries 1-5 and their hard state, then sealed 6-8 and theirs.
    expect(recordTypes).toEqual([2, 1, 1, 1, 1, 1, 2, 4, 4, 4, 2]);
    expect(await filesContaining(dir, MARKER)).toEqual([]);
    const reloaded = await (await open(dir, { cipher })).load();
    expect(reloaded.entries).toEqual([...entries(3, 5), ...markedEntries(6, 8, 2)]);
    expect(reloaded.hardState).toEqual({ term: 2, vote: 'm2', commit: 5 });
    await expect(openError(dir)).resolves.toBeInstanceOf(StorageEncryptionError);
  });

  it('reads data of two key ids during a rotation, and needs the old one only until a snapshot covers its log', async () => {
    const dir = await temp.makeDir();
    const cipher = aesGcmCipher({ keys: [key1] });
    const storage = await open(dir, { cipher, segmentBytes: 1024 });
    await storage.save({ term: 1, vote: 'm1', commit: 0 }, markedEntries(1, 10));
    await storage.saveSnapshot(snapshotAt(4, 1, 'sealed by key 1'));
    // Rotation: key 2 seals from now on, key 1 still opens what it sealed.
    cipher.setKeys({ keys: [key1, key2] });
    expect(cipher.keyId).toBe(2);
    await storage.save(null, markedEntries(11, 20));
    await storage.close();

    const both = await (await open(dir, { cipher: aesGcmCipher({ keys: [key1, key2] }) })).load();
    expect(both.snapshot).toEqual(snapshotAt(4, 1, 'sealed by key 1'));
    expect(both.entries).toEqual([...markedEntries(1, 10).slice(4), ...markedEntries(11, 20)]);
    const withoutOld = await openError(dir, { cipher: aesGcmCipher({ keys: [key2] }) });
    expect(withoutOld).toMatchObject({ code: 'RAFT_STORAGE_DECRYPT', keyId: 1 });

    // A snapshot taken after the rotation at the log's last index then: nothing read needs key 1.
    const again = await open(dir, { cipher: aesGcmCipher({ keys: [key1, key2] }), segmentBytes: 1024 });
    await again.saveSnapshot(snapshotAt(20, 1, 'sealed by key 2'));
    await again.save(null, markedEntries(21, 22));
    await again.close();
    const newOnly = await (await open(dir, { cipher: aesGcmCipher({ keys: [key2] }) })).load();
    expect(newOnly.snapshot).toEqual(snapshotAt(20, 1, 'sealed by key 2'));
    expect(newOnly.entries).toEqual(markedEntries(21, 22));
  });
});

describe('aesGcmCipher', () => {
  it('opens what it sealed only with the same key id, key and associated data', () => {
    const cipher = aesGcmCipher({ keys: [key1, key2], sealWith: 1 });
    const aad = new Uint8Array([1, 2, 3]);
    const sealed = cipher.seal(new TextEncoder().encode(MARKER), aad);

    expect(sealed.length).toBe(MARKER.length + cipher.overhead);
    expect(Buffer.from(cipher.open(1, sealed, aad)!).toString()).toBe(MARKER);
    expect(cipher.open(2, sealed, aad)).toBeNull();
    expect(cipher.open(1, sealed, new Uint8Array([1, 2, 4]))).toBeNull();
    expect(cipher.open(3, sealed, aad)).toBeNull();
    expect(cipher.open(1, sealed.subarray(0, 20), aad)).toBeNull();
  });

  it('uses a fresh nonce for every seal', () => {
    const cipher = aesGcmCipher({ keys: [key1] });
    const aad = new Uint8Array(0);
    const a = Buffer.from(cipher.seal(new Uint8Array(8), aad));
    const b = Buffer.from(cipher.seal(new Uint8Array(8), aad));
    expect(a.subarray(0, NONCE).equals(b.subarray(0, NONCE))).toBe(false);
  });

  it('rejects keys that are not 32 bytes, duplicate ids, and sealing with a key it does not hold', () => {
    expect(() => aesGcmCipher({ keys: [{ id: 1, key: new Uint8Array(16) }] })).toThrow(/16 bytes/);
    expect(() => aesGcmCipher({ keys: [key1, key(1, 0x33)] })).toThrow(/given twice/);
    expect(() => aesGcmCipher({ keys: [key1], sealWith: 2 })).toThrow(/no cipher key has id 2/);
    expect(() => aesGcmCipher({ keys: [] })).toThrow(/at least one key/);
    expect(() => aesGcmCipher({ keys: [key(-1, 1)] })).toThrow(/u32/);
  });
});
