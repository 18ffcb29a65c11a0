// The manager's key files in DATA_DIR/keys, after swarmkit: raft-dek.json holds the data encryption
// keys (DEKs) that seal its Raft log and snapshots, wrapped by a key-encryption key (KEK). Unlocked,
// the KEK sits next to it in raft-kek (0600); autolocked, the KEK is the unlock key, stored nowhere.

import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { aesGcmCipher } from '../../raft/storage/index.js';
import type { AesGcmCipher, AesGcmKeys, CipherKey } from '../../raft/storage/index.js';
import { encodeDekFile, KEY_BYTES, parseDekFile, unwrapDek, wrapDek } from './dek-file.js';
import type { DekFile } from './dek-file.js';
import { KeyError } from './errors.js';
import { parseUnlockKey } from './unlock-key.js';

export const DEK_FILE = 'raft-dek.json';
export const KEK_FILE = 'raft-kek';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** The DEKs, unwrapped. */
export interface RaftKeys {
  /** Seals what the storage writes from now on: the highest id. */
  current: CipherKey;
  /** Keys of earlier rotations, oldest first: they still open what they sealed (see rotateDek). */
  previous: CipherKey[];
  /** The KEK is the cluster's unlock key, so a restarted manager waits to be unlocked. */
  autolocked: boolean;
}

export interface KeyFilesOptions {
  /**
   * The cluster's unlock key (SWMKEY-1-…). createKeyFiles: autolock with it. Opening and changing
   * autolocked files: required. Ignored when the files are not autolocked.
   */
  unlockKey?: string | null;
  /** Source of new keys; tests inject a fixed one. Default: node:crypto randomBytes. */
  randomBytes?: (size: number) => Buffer;
}

/**
 * Makes a fresh DEK (id 1) and its files in `dir`, creating the directory (0700). Refuses with
 * KEYS_ALREADY_EXIST if a DEK file is there: a new DEK would leave the log it sealed unreadable.
 */
export async function createKeyFiles(dir: string, options: KeyFilesOptions = {}): Promise<RaftKeys> {
  const random = options.randomBytes ?? cryptoRandomBytes;
  // Checked before anything is written.
  const unlockKey = options.unlockKey ? parseUnlockKey(options.unlockKey) : null;
  const root = resolve(dir);
  const created = await mkdir(root, { recursive: true, mode: DIR_MODE });
  if (created !== undefined) await syncNewDirectories(root, created);
  const dekPath = join(root, DEK_FILE);
  if (await exists(dekPath)) {
    const message = `${dekPath} already exists: refusing to replace the manager's data encryption key`;
    throw new KeyError('KEYS_ALREADY_EXIST', message, { file: dekPath });
  }
  const keys: RaftKeys = {
    current: { id: 1, key: random(KEY_BYTES) },
    previous: [],
    autolocked: unlockKey !== null,
  };
  if (unlockKey) await writeLocked(root, keys, unlockKey);
  else await writeUnlocked(root, keys, random(KEY_BYTES), true);
  return keys;
}

/**
 * The DEKs in `dir`. Autolocked files need `options.unlockKey`: KEYS_LOCKED without it,
 * KEYS_WRONG_UNLOCK_KEY when it does not unwrap them. KEYS_NOT_FOUND when there are none,
 * KEYS_CORRUPT_FILE when a file is damaged.
 */
export async function openKeyFiles(dir: string, options: KeyFilesOptions = {}): Promise<RaftKeys> {
  return (await loadKeys(resolve(dir), options.unlockKey ?? null)).keys;
}

/**
 * Wraps the DEKs anew without changing them: with `unlockKey` the files become autolocked under it
 * (turning autolock on, or rotating the unlock key; the KEK file is removed), with null they are
 * unlocked (a new KEK is stored, or the one there kept). `keys` is what this directory last
 * returned; the old unlock key is not needed, as in swarmkit, where managers rewrap from memory.
 */
export async function rewrapKeyFiles(
  dir: string,
  keys: RaftKeys,
  options: { unlockKey: string | null; randomBytes?: (size: number) => Buffer },
): Promise<RaftKeys> {
  const root = resolve(dir);
  const random = options.randomBytes ?? cryptoRandomBytes;
  const unlockKey = options.unlockKey === null ? null : parseUnlockKey(options.unlockKey);
  const onDisk = await readDekFile(root);
  const dekPath = join(root, DEK_FILE);
  const outOfDate = (): KeyError =>
    new KeyError('KEYS_OUT_OF_DATE', `${dekPath} does not hold the keys given: reopen the key files`, {
      file: dekPath,
    });
  let storedKek: Buffer | null = null;
  if (onDisk.autolock) {
    // Wrapped by an unlock key we may not have: only the ids can be compared.
    const ids = (list: Array<{ id: number }>): string => list.map((key) => key.id).join(',');
    if (ids(onDisk.deks) !== ids(allKeys(keys))) throw outOfDate();
  } else {
    const loaded = await loadKeys(root, null);
    if (!sameKeys(loaded.keys, keys)) throw outOfDate();
    storedKek = loaded.kek;
  }
  if (unlockKey) {
    const locked = { ...keys, autolocked: true };
    await writeLocked(root, locked, unlockKey);
    return locked;
  }
  const unlocked = { ...keys, autolocked: false };
  // Replacing a KEK in use would take two renames that a crash could separate: keep it. A KEK
  // file next to autolocked keys wraps nothing any more: a new one replaces it.
  if (storedKek) await writeUnlocked(root, unlocked, storedKek, false);
  else await writeUnlocked(root, unlocked, random(KEY_BYTES), true);
  return unlocked;
}

/**
 * Adds a new DEK with the next id, which seals from now on; the older ones stay in the file so the
 * storage still opens what they sealed. Hand the result to the storage's cipher with
 * `cipher.setKeys(cipherKeysOf(keys))`, after this resolves (so no data is sealed by a key that a
 * crash could lose).
 *
 * When an old DEK may go (retireOldDeks): opening the storage reads only the newest snapshot and
 * the WAL entries after it that are still part of the log (entries truncated, voided by a log reset
 * or covered by the snapshot are never opened). Let L be the log's last index when the rotation
 * took effect. Once a snapshot at index >= L has been saved after it, that snapshot was sealed by
 * the new key, and so was every entry after it: each entry there was written after the rotation,
 * since any entry above L written before it was truncated away before it. Until then keep them all;
 * they cost 60 bytes each. (The previous snapshot file, kept for an operator, then stops opening.)
 */
export async function rotateDek(dir: string, options: KeyFilesOptions = {}): Promise<RaftKeys> {
  const root = resolve(dir);
  const random = options.randomBytes ?? cryptoRandomBytes;
  const { keys, kek } = await loadKeys(root, options.unlockKey ?? null);
  if (keys.current.id >= 0xffff_ffff) {
    const dekPath = join(root, DEK_FILE);
    throw new KeyError('KEYS_CORRUPT_FILE', `${dekPath}: key ids are used up`, { file: dekPath });
  }
  const rotated: RaftKeys = {
    current: { id: keys.current.id + 1, key: random(KEY_BYTES) },
    previous: [...keys.previous, keys.current],
    autolocked: keys.autolocked,
  };
  await rewriteDeks(root, rotated, kek);
  return rotated;
}

/** Drops every DEK but the current one; call it only as rotateDek's comment says. */
export async function retireOldDeks(dir: string, options: KeyFilesOptions = {}): Promise<RaftKeys> {
  const root = resolve(dir);
  const { keys, kek } = await loadKeys(root, options.unlockKey ?? null);
  const retired: RaftKeys = { current: keys.current, previous: [], autolocked: keys.autolocked };
  if (keys.previous.length > 0) await rewriteDeks(root, retired, kek);
  return retired;
}

/** The keyring a storage cipher needs: every DEK, sealing with the current one. */
export function cipherKeysOf(keys: RaftKeys): AesGcmKeys {
  return { keys: allKeys(keys), sealWith: keys.current.id };
}

/** The cipher for openDiskStorage; after rotateDek, update it with setKeys(cipherKeysOf(...)). */
export function storageCipherFor(keys: RaftKeys): AesGcmCipher {
  return aesGcmCipher(cipherKeysOf(keys));
}

function allKeys(keys: RaftKeys): CipherKey[] {
  return [...keys.previous, keys.current];
}

function sameKeys(a: RaftKeys, b: RaftKeys): boolean {
  const listA = allKeys(a);
  const listB = allKeys(b);
  return (
    listA.length === listB.length &&
    listA.every((key, i) => key.id === listB[i]!.id && Buffer.from(key.key).equals(listB[i]!.key))
  );
}

/** Reads the DEK file, finds its KEK (the unlock key, or the KEK file) and unwraps every DEK. */
async function loadKeys(
  root: string,
  unlockKeyText: string | null,
): Promise<{ keys: RaftKeys; kek: Buffer }> {
  const dekPath = join(root, DEK_FILE);
  const file = await readDekFile(root);
  let kek: Buffer;
  if (file.autolock) {
    if (unlockKeyText === null || unlockKeyText === '') {
      throw new KeyError(
        'KEYS_LOCKED',
        `this manager is locked: run \`flotilla unlock\` with the cluster's unlock key (${dekPath} is autolocked)`,
        { file: dekPath },
      );
    }
    kek = parseUnlockKey(unlockKeyText);
  } else {
    kek = await readKek(root);
  }
  const deks: CipherKey[] = [];
  for (const wrapped of file.deks) {
    const dek = unwrapDek(wrapped, kek);
    if (dek !== null) {
      deks.push(dek);
      continue;
    }
    // GCM cannot tell a wrong KEK from altered bytes; a wrong unlock key fails on the first DEK.
    if (file.autolock && deks.length === 0) {
      throw new KeyError(
        'KEYS_WRONG_UNLOCK_KEY',
        `${dekPath}: the unlock key given does not unlock this manager's keys (use the cluster's current unlock key)`,
        { file: dekPath },
      );
    }
    const by = file.autolock ? 'the unlock key that unwraps the others' : join(root, KEK_FILE);
    const message = `${dekPath}: key ${wrapped.id} does not unwrap with ${by}: a key file was altered`;
    throw new KeyError('KEYS_CORRUPT_FILE', message, { file: dekPath });
  }
  const current = deks.at(-1)!;
  return { keys: { current, previous: deks.slice(0, -1), autolocked: file.autolock }, kek };
}

async function readDekFile(root: string): Promise<DekFile> {
  const path = join(root, DEK_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') {
      const message = `${path}: no data encryption key file here`;
      throw new KeyError('KEYS_NOT_FOUND', message, { file: path, cause: err });
    }
    throw err;
  }
  return parseDekFile(text, path);
}

async function readKek(root: string): Promise<Buffer> {
  const path = join(root, KEK_FILE);
  let kek: Buffer;
  try {
    kek = await readFile(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    const message = `${path} is missing, yet ${DEK_FILE} is not autolocked: its keys cannot be unwrapped`;
    throw new KeyError('KEYS_CORRUPT_FILE', message, { file: path, cause: err });
  }
  if (kek.length !== KEY_BYTES) {
    throw new KeyError(
      'KEYS_CORRUPT_FILE',
      `${path}: holds ${kek.length} bytes, a key-encryption key ${KEY_BYTES}`,
      { file: path },
    );
  }
  return kek;
}

/** Rewrites the DEK file under the KEK already in use (the KEK file, if any, stays as it is). */
async function rewriteDeks(root: string, keys: RaftKeys, kek: Buffer): Promise<void> {
  const file: DekFile = { autolock: keys.autolocked, deks: allKeys(keys).map((key) => wrapDek(key, kek)) };
  await writeFileAtomic(join(root, DEK_FILE), encodeDekFile(file));
}

/** Autolocked: the DEK file wrapped by the unlock key, then no KEK file (one left would be stale). */
async function writeLocked(root: string, keys: RaftKeys, unlockKey: Buffer): Promise<void> {
  await rewriteDeks(root, keys, unlockKey);
  await rm(join(root, KEK_FILE), { force: true });
  await fsyncDirectory(root);
}

/**
 * Unlocked: the KEK file first (when `storeKek`), then the DEK file wrapped by it. In this order a
 * crash leaves either the old DEK file, still openable as before, or both new files.
 */
async function writeUnlocked(root: string, keys: RaftKeys, kek: Buffer, storeKek: boolean): Promise<void> {
  if (storeKek) await writeFileAtomic(join(root, KEK_FILE), kek);
  await rewriteDeks(root, keys, kek);
}

/** Temp file (0600), fsync, rename over `path`, fsync of the directory: all or nothing, durably. */
async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.tmp`;
  try {
    const handle = await open(temp, 'w', FILE_MODE);
    try {
      // A leftover temp file keeps its mode through 'w'; the mode argument only applies to new files.
      await handle.chmod(FILE_MODE);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await fsyncDirectory(dirname(path));
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes new directories durable: each one's entry lives in its parent, up to `topCreated`'s. */
async function syncNewDirectories(root: string, topCreated: string): Promise<void> {
  for (let dir = root; ; dir = dirname(dir)) {
    await fsyncDirectory(dirname(dir));
    if (dir === topCreated || dir === dirname(dir)) return;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

function errnoCode(err: unknown): unknown {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}
