// The format of `keys/raft-dek.json`: the manager's data encryption keys (DEKs, which seal its Raft
// log and snapshots), each wrapped by the key-encryption key (KEK) with AES-256-GCM:
//   { "version": 1, "autolock": false, "deks": [{ "id": 1, "wrapped": "<base64 nonce|ciphertext|tag>" }] }
// With autolock the KEK is the cluster's unlock key; without, it is the file `keys/raft-kek`.

import { aesGcmCipher } from '../../raft/storage/index.js';
import type { CipherKey } from '../../raft/storage/index.js';
import { KeyError } from './errors.js';

export const DEK_FILE_VERSION = 1;
export const KEY_BYTES = 32;
/** AES-GCM's 12-byte nonce and 16-byte tag around a 32-byte key. */
const WRAPPED_BYTES = 12 + KEY_BYTES + 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface WrappedDek {
  id: number;
  wrapped: Buffer;
}

export interface DekFile {
  autolock: boolean;
  /** Ascending ids; the last seals new data. */
  deks: WrappedDek[];
}

export function wrapDek(dek: CipherKey, kek: Uint8Array): WrappedDek {
  const sealed = kekCipher(kek).seal(dek.key, wrapAad(dek.id));
  return { id: dek.id, wrapped: Buffer.from(sealed) };
}

/** The DEK, or null when `kek` does not unwrap it (another KEK, or altered bytes). */
export function unwrapDek(wrapped: WrappedDek, kek: Uint8Array): CipherKey | null {
  const key = kekCipher(kek).open(0, wrapped.wrapped, wrapAad(wrapped.id));
  // A Buffer, as new keys from randomBytes are: RaftKeys compare alike however they were made.
  return key === null ? null : { id: wrapped.id, key: Buffer.from(key) };
}

export function encodeDekFile(file: DekFile): string {
  const deks = file.deks.map(({ id, wrapped }) => ({ id, wrapped: wrapped.toString('base64') }));
  return `${JSON.stringify({ version: DEK_FILE_VERSION, autolock: file.autolock, deks }, null, 2)}\n`;
}

/** The one validator for the file's contents: throws KEYS_CORRUPT_FILE naming `path` and the fault. */
export function parseDekFile(text: string, path: string): DekFile {
  const corrupt = (reason: string, cause?: unknown): KeyError =>
    new KeyError('KEYS_CORRUPT_FILE', `${path}: not a valid data encryption key file: ${reason}`, {
      file: path,
      cause,
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(`not JSON (${err instanceof Error ? err.message : String(err)}); truncated?`, err);
  }
  if (!isRecord(value)) throw corrupt('not a JSON object');
  if (value.version !== DEK_FILE_VERSION) {
    throw corrupt(`format version ${JSON.stringify(value.version)}, this build reads ${DEK_FILE_VERSION}`);
  }
  if (typeof value.autolock !== 'boolean') throw corrupt('"autolock" is not true or false');
  if (!Array.isArray(value.deks) || value.deks.length === 0) throw corrupt('"deks" is not a non-empty list');
  const deks: WrappedDek[] = [];
  for (const [i, item] of (value.deks as unknown[]).entries()) {
    if (!isRecord(item)) throw corrupt(`deks[${i}] is not an object`);
    const { id, wrapped } = item;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 0xffff_ffff) {
      throw corrupt(`deks[${i}].id is not an integer from 1 to 2^32-1`);
    }
    if (deks.length > 0 && id <= deks.at(-1)!.id) throw corrupt(`deks[${i}].id ${id} does not ascend`);
    if (typeof wrapped !== 'string' || !BASE64.test(wrapped))
      throw corrupt(`deks[${i}].wrapped is not base64`);
    const bytes = Buffer.from(wrapped, 'base64');
    if (bytes.length !== WRAPPED_BYTES) {
      throw corrupt(`deks[${i}].wrapped holds ${bytes.length} bytes, a wrapped key ${WRAPPED_BYTES}`);
    }
    deks.push({ id, wrapped: bytes });
  }
  return { autolock: value.autolock, deks };
}

function kekCipher(kek: Uint8Array) {
  return aesGcmCipher({ keys: [{ id: 0, key: kek }] });
}

/** Binds each wrapped key to its id: swapping two entries' ids fails to unwrap. */
function wrapAad(id: number): Buffer {
  return Buffer.from(`flotilla raft-dek v${DEK_FILE_VERSION} id ${id}`, 'utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
