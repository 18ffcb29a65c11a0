// node.json: written atomically, read back as written, and refused with a clear error when damaged.

import { readdir, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../../src/api/index.js';
import {
  IdentityError,
  parseIdentity,
  readIdentity,
  writeIdentity,
  type NodeIdentity,
} from '../../../src/manager/node-identity.js';
import { TestDirs } from '../../support/manager-cluster.js';

describe('node identity', () => {
  let dirs: TestDirs;
  beforeEach(async () => {
    dirs = await TestDirs.create();
  });
  afterEach(async () => {
    await dirs.remove();
  });

  const identity = (): NodeIdentity => ({
    format: 1,
    id: newId(),
    role: 'manager',
    listenAddr: '127.0.0.1:4242',
    advertiseAddr: '10.0.0.1:4242',
    clusterId: newId(),
    peers: { [newId()]: '10.0.0.2:4242' },
  });

  it('reads back what was written, leaving no temporary file', async () => {
    const written = identity();
    await writeIdentity(dirs.dir('n'), written);
    expect(await readIdentity(dirs.dir('n'))).toEqual(written);
    expect(await readdir(dirs.dir('n'))).toEqual(['node.json']);
  });

  it('reports no identity for a directory without node.json', async () => {
    expect(await readIdentity(dirs.dir('empty'))).toBeNull();
  });

  it('refuses a damaged file naming the field', async () => {
    await writeIdentity(dirs.dir('n'), identity());
    await writeFile(dirs.dir('n') + '/node.json', '{"format":1,"id":"x"}');
    await expect(readIdentity(dirs.dir('n'))).rejects.toThrow(/field id/);
    expect(() => parseIdentity('not json')).toThrow(IdentityError);
    expect(() => parseIdentity(JSON.stringify({ ...identity(), peers: { a: 1 } }))).toThrow(/field peers/);
  });
});
