// The manager's key files: the DEK wrapped by a stored KEK or by the cluster's unlock key
// (autolock), unlock key text, rewrapping and DEK rotation, damaged files, and the storage cipher
// they yield sealing a real disk storage end to end.

import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cipherKeysOf,
  createKeyFiles,
  DEK_FILE,
  formatUnlockKey,
  KEK_FILE,
  KeyError,
  newUnlockKey,
  openKeyFiles,
  parseUnlockKey,
  retireOldDeks,
  rewrapKeyFiles,
  rotateDek,
  storageCipherFor,
} from '../../../src/manager/keys/index.js';
import type { KeyErrorCode, RaftKeys } from '../../../src/manager/keys/index.js';
import { EntryType } from '../../../src/raft/core/messages.js';
import { openDiskStorage, StorageEncryptionError } from '../../../src/raft/storage/index.js';
import type { RaftStorage } from '../../../src/raft/storage/index.js';

const dirs: string[] = [];
const storages: RaftStorage[] = [];
afterEach(async () => {
  await Promise.all(storages.splice(0).map((storage) => storage.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function makeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-keys-'));
  dirs.push(dir);
  return dir;
}

/** A data directory and its keys folder, not yet created (createKeyFiles makes it). */
async function keysDir(): Promise<{ dataDir: string; keys: string }> {
  const dataDir = await makeDir();
  return { dataDir, keys: join(dataDir, 'keys') };
}

async function keyError(promise: Promise<unknown>, code: KeyErrorCode): Promise<KeyError> {
  const error: unknown = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(KeyError);
  expect((error as KeyError).code).toBe(code);
  return error as KeyError;
}

function sameKeys(a: RaftKeys, b: RaftKeys): void {
  expect(Buffer.from(a.current.key).equals(Buffer.from(b.current.key))).toBe(true);
  expect(a.current.id).toBe(b.current.id);
  expect(a.previous.map((key) => [key.id, Buffer.from(key.key).toString('hex')])).toEqual(
    b.previous.map((key) => [key.id, Buffer.from(key.key).toString('hex')]),
  );
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('unlock keys', () => {
  it('formats 32 bytes as SWMKEY-1- and 43 characters of unpadded standard base64, as docker prints', () => {
    const bytes = Buffer.from('7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8', 'base64');
    expect(formatUnlockKey(bytes)).toBe('SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8');
    expect(parseUnlockKey('SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8').equals(bytes)).toBe(true);
  });

  it('makes a new key from the random source it is given, and parses it back', () => {
    const key = newUnlockKey({ randomBytes: (size) => Buffer.alloc(size, 0xfb) });
    expect(key).toMatch(/^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    expect(key).toContain('+/'); // 0xfb bytes use both non-alphanumeric characters
    expect(parseUnlockKey(key)).toEqual(Buffer.alloc(32, 0xfb));
    expect(newUnlockKey()).not.toBe(newUnlockKey());
  });

  it('ignores surrounding whitespace, as a pasted line carries', () => {
    const key = newUnlockKey();
    expect(parseUnlockKey(`  ${key}\n`)).toEqual(parseUnlockKey(key));
  });

  it.each([
    ['a missing prefix', '7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8', /starts with SWMKEY-1-/],
    ['another prefix', 'SWMTKN-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8', /starts with SWMKEY-1-/],
    ['another version', 'SWMKEY-2-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8', /version "2"/],
    ['a short key', 'SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu', /42 characters .* not 43/],
    ['a long key', 'SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8AAAA', /47 characters/],
    ['padding', 'SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8=', /character 53 is base64 padding/],
    [
      'a bad character',
      'SWMKEY-1-7c37Cc8654o6p38Hn!oywCi19pllOnGtbdZEgtKxZu8',
      /character 27 is not a base64/,
    ],
    ['url-safe base64', 'SWMKEY-1-7c37Cc8654o6p38Hn_oywCi19pllOnGtbdZEgtKxZu8', /not a base64 character/],
  ])('refuses %s with KEYS_BAD_UNLOCK_KEY, without echoing the key', (_what, text, reason) => {
    let error: unknown;
    try {
      parseUnlockKey(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeyError);
    expect(error).toMatchObject({ code: 'KEYS_BAD_UNLOCK_KEY' });
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).not.toContain('7c37Cc8654');
  });
});

describe('key files without autolock', () => {
  it('creates the keys folder with a DEK file and a KEK file, both mode 0600, and opens the same DEK', async () => {
    const { keys: dir } = await keysDir();
    const created = await createKeyFiles(dir);
    const opened = await openKeyFiles(dir);

    expect(created.autolocked).toBe(false);
    expect(created.current.id).toBe(1);
    expect(created.current.key).toHaveLength(32);
    sameKeys(opened, created);
    expect((await readdir(dir)).sort()).toEqual([DEK_FILE, KEK_FILE]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const name of [DEK_FILE, KEK_FILE]) expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
  });

  it('stores the DEK only wrapped', async () => {
    const { keys: dir } = await keysDir();
    const created = await createKeyFiles(dir);
    const dek = Buffer.from(created.current.key);
    for (const name of [DEK_FILE, KEK_FILE]) {
      const bytes = await readFile(join(dir, name));
      expect(bytes.includes(dek)).toBe(false);
      expect(bytes.toString().includes(dek.toString('base64'))).toBe(false);
    }
    const file = JSON.parse(await readFile(join(dir, DEK_FILE), 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({ version: 1, autolock: false, deks: [{ id: 1 }] });
  });

  it('refuses to create over existing key files, which would orphan the log they seal', async () => {
    const { keys: dir } = await keysDir();
    const created = await createKeyFiles(dir);
    const error = await keyError(createKeyFiles(dir), 'KEYS_ALREADY_EXIST');
    expect(error.file).toBe(join(dir, DEK_FILE));
    sameKeys(await openKeyFiles(dir), created);
  });

  it('reports a missing keys folder as KEYS_NOT_FOUND', async () => {
    const { keys: dir } = await keysDir();
    await keyError(openKeyFiles(dir), 'KEYS_NOT_FOUND');
  });

  it('ignores an unlock key given to files that are not autolocked', async () => {
    const { keys: dir } = await keysDir();
    const created = await createKeyFiles(dir);
    sameKeys(await openKeyFiles(dir, { unlockKey: newUnlockKey() }), created);
  });
});

describe('key files with autolock', () => {
  it('stores no KEK; opening without the unlock key fails with KEYS_LOCKED, with the right one gives the DEK', async () => {
    const { keys: dir } = await keysDir();
    const unlockKey = newUnlockKey();
    const created = await createKeyFiles(dir, { unlockKey });

    expect(created.autolocked).toBe(true);
    expect(await readdir(dir)).toEqual([DEK_FILE]);
    const locked = await keyError(openKeyFiles(dir), 'KEYS_LOCKED');
    expect(locked.message).toContain(
      "this manager is locked: run `flotilla unlock` with the cluster's unlock key",
    );
    sameKeys(await openKeyFiles(dir, { unlockKey }), created);
  });

  it('refuses a wrong unlock key with KEYS_WRONG_UNLOCK_KEY, and a malformed one with KEYS_BAD_UNLOCK_KEY', async () => {
    const { keys: dir } = await keysDir();
    await createKeyFiles(dir, { unlockKey: newUnlockKey() });

    const wrong = await keyError(openKeyFiles(dir, { unlockKey: newUnlockKey() }), 'KEYS_WRONG_UNLOCK_KEY');
    expect(wrong.message).toContain(join(dir, DEK_FILE));
    await keyError(openKeyFiles(dir, { unlockKey: 'SWMKEY-1-short' }), 'KEYS_BAD_UNLOCK_KEY');
  });

  it('refuses to create with a malformed unlock key before writing anything', async () => {
    const { dataDir, keys: dir } = await keysDir();
    await keyError(createKeyFiles(dir, { unlockKey: 'SWMKEY-1-nope' }), 'KEYS_BAD_UNLOCK_KEY');
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe('rewrapping the key files', () => {
  it('turns autolock on: the KEK file goes, the DEK stays, and only the unlock key opens it', async () => {
    const { keys: dir } = await keysDir();
    const created = await createKeyFiles(dir);
    const unlockKey = newUnlockKey();
    const locked = await rewrapKeyFiles(dir, created, { unlockKey });

    expect(locked.autolocked).toBe(true);
    expect(await readdir(dir)).toEqual([DEK_FILE]);
    await keyError(openKeyFiles(dir), 'KEYS_LOCKED');
    sameKeys(await openKeyFiles(dir, { unlockKey }), created);
  });

  it('rotates the unlock key without touching the DEK: the old key no longer opens it', async () => {
    const { keys: dir } = await keysDir();
    const oldKey = newUnlockKey();
    const newKey = newUnlockKey();
    const created = await createKeyFiles(dir, { unlockKey: oldKey });
    await rewrapKeyFiles(dir, created, { unlockKey: newKey });

    await keyError(openKeyFiles(dir, { unlockKey: oldKey }), 'KEYS_WRONG_UNLOCK_KEY');
    sameKeys(await openKeyFiles(dir, { unlockKey: newKey }), created);
    expect((await stat(join(dir, DEK_FILE))).mode & 0o777).toBe(0o600);
  });

  it('turns autolock off: a new KEK file (0600) is stored and no unlock key is needed', async () => {
    const { keys: dir } = await keysDir();
    const created = await createKeyFiles(dir, { unlockKey: newUnlockKey() });
    const unlocked = await rewrapKeyFiles(dir, created, { unlockKey: null });

    expect(unlocked.autolocked).toBe(false);
    expect((await stat(join(dir, KEK_FILE))).mode & 0o777).toBe(0o600);
    sameKeys(await openKeyFiles(dir), created);
  });

  it('refuses keys that are not the ones in the file', async () => {
    const { keys: dir } = await keysDir();
    const created = await createKeyFiles(dir);
    const stale = { ...created, current: { id: 1, key: new Uint8Array(32) } };
    await keyError(rewrapKeyFiles(dir, stale, { unlockKey: null }), 'KEYS_OUT_OF_DATE');
    await rotateDek(dir);
    await keyError(rewrapKeyFiles(dir, created, { unlockKey: newUnlockKey() }), 'KEYS_OUT_OF_DATE');
  });
});

describe('rotating the DEK', () => {
  it('adds a key with the next id that seals from then on, keeps the old one, and retires it on request', async () => {
    const { keys: dir } = await keysDir();
    const unlockKey = newUnlockKey();
    const created = await createKeyFiles(dir, { unlockKey });
    await keyError(rotateDek(dir), 'KEYS_LOCKED');
    const rotated = await rotateDek(dir, { unlockKey });

    expect(rotated.current.id).toBe(2);
    expect(Buffer.from(rotated.current.key).equals(Buffer.from(created.current.key))).toBe(false);
    expect(rotated.previous).toEqual([created.current]);
    sameKeys(await openKeyFiles(dir, { unlockKey }), rotated);
    expect(cipherKeysOf(rotated)).toEqual({ keys: [created.current, rotated.current], sealWith: 2 });

    const retired = await retireOldDeks(dir, { unlockKey });
    expect(retired.previous).toEqual([]);
    sameKeys(await openKeyFiles(dir, { unlockKey }), retired);
  });
});

describe('damaged key files', () => {
  it('reports a truncated DEK file as KEYS_CORRUPT_FILE naming it', async () => {
    const { keys: dir } = await keysDir();
    await createKeyFiles(dir);
    const path = join(dir, DEK_FILE);
    await truncate(path, (await stat(path)).size - 20);

    const error = await keyError(openKeyFiles(dir), 'KEYS_CORRUPT_FILE');
    expect(error.file).toBe(path);
    expect(error.message).toContain(path);
    expect(error.message).toContain('not JSON');
  });

  it.each([
    ['an empty file', ''],
    ['an unknown version', '{"version":9,"autolock":false,"deks":[]}'],
    ['no keys', '{"version":1,"autolock":false,"deks":[]}'],
    ['a short wrapped key', '{"version":1,"autolock":false,"deks":[{"id":1,"wrapped":"AAAA"}]}'],
    ['a bad id', '{"version":1,"autolock":false,"deks":[{"id":0,"wrapped":"AAAA"}]}'],
  ])('reports %s as KEYS_CORRUPT_FILE', async (_what, text) => {
    const { keys: dir } = await keysDir();
    await createKeyFiles(dir);
    await writeFile(join(dir, DEK_FILE), text);
    const error = await keyError(openKeyFiles(dir), 'KEYS_CORRUPT_FILE');
    expect(error.file).toBe(join(dir, DEK_FILE));
  });

  it('reports an altered wrapped DEK as KEYS_CORRUPT_FILE when the KEK is stored', async () => {
    const { keys: dir } = await keysDir();
    await createKeyFiles(dir);
    const path = join(dir, DEK_FILE);
    const file = JSON.parse(await readFile(path, 'utf8')) as { deks: Array<{ wrapped: string }> };
    const wrapped = Buffer.from(file.deks[0]!.wrapped, 'base64');
    wrapped[20]! ^= 0x01;
    file.deks[0]!.wrapped = wrapped.toString('base64');
    await writeFile(path, JSON.stringify(file));

    const error = await keyError(openKeyFiles(dir), 'KEYS_CORRUPT_FILE');
    expect(error.message).toContain('key 1 does not unwrap');
  });

  it('reports a missing or truncated KEK file as KEYS_CORRUPT_FILE naming it', async () => {
    const { keys: dir } = await keysDir();
    await createKeyFiles(dir);
    const kekPath = join(dir, KEK_FILE);
    await truncate(kekPath, 16);
    expect(await keyError(openKeyFiles(dir), 'KEYS_CORRUPT_FILE')).toMatchObject({ file: kekPath });
    await rm(kekPath);
    const missing = await keyError(openKeyFiles(dir), 'KEYS_CORRUPT_FILE');
    expect(missing.message).toContain(`${kekPath} is missing`);
  });
});

describe('the storage cipher from the key files, end to end', () => {
  const MARKER = 'KEYS-E2E-PLAINTEXT-MARKER';

  it.each([
    ['without autolock', null],
    ['with autolock', newUnlockKey()],
  ])(
    'seals a disk storage %s: the marker is on no file, and reopening reads it back',
    async (_what, unlockKey) => {
      const { dataDir, keys: dir } = await keysDir();
      const raftDir = join(dataDir, 'raft');
      const keys = await createKeyFiles(dir, { unlockKey });
      const storage = await openDiskStorage(raftDir, { cipher: storageCipherFor(keys) });
      storages.push(storage);
      const entry = { term: 1, index: 1, type: EntryType.Normal, data: new TextEncoder().encode(MARKER) };
      await storage.save({ term: 1, vote: 'm1', commit: 1 }, [entry]);
      await storage.close();

      const files = await filesUnder(dataDir);
      expect(files.some((path) => path.endsWith('.wal'))).toBe(true);
      for (const path of files) expect((await readFile(path)).includes(MARKER)).toBe(false);
      if (unlockKey) await keyError(openKeyFiles(dir), 'KEYS_LOCKED');
      await expect(openDiskStorage(raftDir)).rejects.toBeInstanceOf(StorageEncryptionError);

      // A restart: the keys come from the files again (unlocked with the cluster's key when autolocked).
      const reopenedKeys = await openKeyFiles(dir, { unlockKey });
      const reopened = await openDiskStorage(raftDir, { cipher: storageCipherFor(reopenedKeys) });
      storages.push(reopened);
      const loaded = await reopened.load();
      expect(loaded.entries).toEqual([entry]);
      expect(new TextDecoder().decode(loaded.entries[0]!.data)).toBe(MARKER);
    },
  );

  it('keeps reading entries sealed before a DEK rotation, and seals new ones with the new key', async () => {
    const { dataDir, keys: dir } = await keysDir();
    const raftDir = join(dataDir, 'raft');
    const cipher = storageCipherFor(await createKeyFiles(dir));
    const storage = await openDiskStorage(raftDir, { cipher });
    storages.push(storage);
    const data = (index: number) => new TextEncoder().encode(`${MARKER} ${index}`);
    await storage.save(null, [{ term: 1, index: 1, type: EntryType.Normal, data: data(1) }]);
    cipher.setKeys(cipherKeysOf(await rotateDek(dir)));
    await storage.save(null, [{ term: 1, index: 2, type: EntryType.Normal, data: data(2) }]);
    await storage.close();

    const reopened = await openDiskStorage(raftDir, { cipher: storageCipherFor(await openKeyFiles(dir)) });
    storages.push(reopened);
    expect((await reopened.load()).entries.map((entry) => new TextDecoder().decode(entry.data))).toEqual([
      `${MARKER} 1`,
      `${MARKER} 2`,
    ]);
    for (const path of await filesUnder(dataDir)) expect((await readFile(path)).includes(MARKER)).toBe(false);
  });
});
