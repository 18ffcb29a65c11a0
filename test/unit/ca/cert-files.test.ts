// DATA_DIR/certs/: written atomically with private keys at 0600, read back as written, and
// refused with an error naming the file when missing, unreadable, not PEM, or mismatched; node.key
// wrapped by a key-encryption key under autolock, and re-wrapped.

import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CertificateError,
  certFilePaths,
  createRootCA,
  readNodeCertificates,
  readSigningCA,
  rewrapNodeKey,
  writeCASigningKey,
  writeNodeCertificates,
  writeTrustedRoots,
  type NodeCertificates,
  type SigningCA,
} from '../../../src/ca/index.js';
import { nodeCert, type NodeCert } from './fixtures.js';

async function refusal(promise: Promise<unknown>): Promise<CertificateError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CertificateError)) throw new Error(`expected a CertificateError, got ${String(err)}`);
  return err;
}

describe('certificate files', () => {
  let ca: SigningCA;
  let other: SigningCA;
  let node: NodeCert;
  let renewed: NodeCert;
  let dataDir: string;
  let certs: NodeCertificates;

  beforeAll(async () => {
    [ca, other] = await Promise.all([createRootCA(), createRootCA()]);
    [node, renewed] = await Promise.all([nodeCert(ca, 'n1', 'manager'), nodeCert(ca, 'n1', 'manager')]);
    certs = { rootsPem: ca.certPem, keyPem: node.keyPem, certChainPem: node.certPem };
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-ca-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads back what it wrote', async () => {
    await writeNodeCertificates(dataDir, certs);
    expect(await readNodeCertificates(dataDir)).toEqual(certs);
  });

  it('keeps the node key at 0600, the certificates readable, and no temp files', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    expect((await stat(paths.nodeKey)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.nodeCert)).mode & 0o777).toBe(0o644);
    expect((await stat(paths.roots)).mode & 0o777).toBe(0o644);
    expect((await stat(paths.dir)).mode & 0o777).toBe(0o700);
    expect((await readdir(paths.dir)).sort()).toEqual(['node.crt', 'node.key', 'root-ca.crt']);
  });

  it('replaces the files of an earlier write', async () => {
    await writeNodeCertificates(dataDir, certs);
    const next = {
      rootsPem: ca.certPem + other.certPem,
      keyPem: renewed.keyPem,
      certChainPem: renewed.certPem,
    };
    await writeNodeCertificates(dataDir, next);
    expect(await readNodeCertificates(dataDir)).toEqual(next);
  });

  it('reads nothing from a data directory without certificates', async () => {
    expect(await readNodeCertificates(dataDir)).toBeNull();
    await mkdir(certFilePaths(dataDir).dir);
    expect(await readNodeCertificates(dataDir)).toBeNull();
  });

  it('names the missing file when only some are present', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    await rm(paths.nodeKey);
    const err = await refusal(readNodeCertificates(dataDir));
    expect(err.code).toBe('CA_FILE_MISSING');
    expect(err.file).toBe(paths.nodeKey);
    expect(err.message).toContain(paths.nodeKey);
  });

  it('names an unreadable file', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    await rm(paths.nodeCert);
    await mkdir(paths.nodeCert); // reading a directory fails with EISDIR, even for root
    const err = await refusal(readNodeCertificates(dataDir));
    expect(err.code).toBe('CA_FILE_UNREADABLE');
    expect(err.file).toBe(paths.nodeCert);
  });

  it('names a certificate file that is not PEM, or is cut short', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    await writeFile(paths.nodeCert, 'this is not a certificate');
    let err = await refusal(readNodeCertificates(dataDir));
    expect(err.code).toBe('CA_MALFORMED_CERTIFICATE');
    expect(err.file).toBe(paths.nodeCert);
    expect(err.message).toMatch(/node\.crt: the node certificate: no PEM block found/);

    await writeFile(paths.nodeCert, node.certPem);
    await writeFile(paths.roots, ca.certPem.slice(0, 200));
    err = await refusal(readNodeCertificates(dataDir));
    expect(err.code).toBe('CA_MALFORMED_CERTIFICATE');
    expect(err.file).toBe(paths.roots);
  });

  it('names a key file that is not a key', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    await writeFile(paths.nodeKey, node.certPem);
    const err = await refusal(readNodeCertificates(dataDir));
    expect(err.code).toBe('CA_MALFORMED_KEY');
    expect(err.file).toBe(paths.nodeKey);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    await writeFile(paths.nodeKey, renewed.keyPem);
    const err = await refusal(readNodeCertificates(dataDir));
    expect(err.code).toBe('CA_KEY_MISMATCH');
    expect(err.file).toBe(paths.nodeCert);
    expect(err.message).toMatch(/node key \(node\.key\) does not belong to this certificate \(CN=n1/);
  });

  it('finishes a write that stopped between renaming the key and the certificate', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    // The state such a crash leaves: new key in place, new certificate still staged.
    await writeFile(paths.nodeKey, renewed.keyPem);
    await writeFile(`${paths.nodeCert}.tmp`, renewed.certPem);
    const read = await readNodeCertificates(dataDir);
    expect(read?.certChainPem).toBe(renewed.certPem);
    expect(await readFile(paths.nodeCert, 'utf8')).toBe(renewed.certPem);
    expect(await readdir(paths.dir)).not.toContain('node.crt.tmp');
  });

  it('does not take a staged certificate for another key', async () => {
    await writeNodeCertificates(dataDir, certs);
    const paths = certFilePaths(dataDir);
    await writeFile(paths.nodeKey, renewed.keyPem);
    await writeFile(`${paths.nodeCert}.tmp`, node.certPem.slice(0, 300));
    expect((await refusal(readNodeCertificates(dataDir))).code).toBe('CA_KEY_MISMATCH');
  });

  it('refuses to write a key with a certificate it does not belong to, leaving the old files', async () => {
    await writeNodeCertificates(dataDir, certs);
    const err = await refusal(writeNodeCertificates(dataDir, { ...certs, keyPem: renewed.keyPem }));
    expect(err.code).toBe('CA_KEY_MISMATCH');
    expect(await readNodeCertificates(dataDir)).toEqual(certs);
  });

  it('refuses to write roots that are not certificates', async () => {
    expect((await refusal(writeTrustedRoots(dataDir, 'nope'))).code).toBe('CA_MALFORMED_CERTIFICATE');
    expect((await refusal(writeNodeCertificates(dataDir, { ...certs, rootsPem: 'nope' }))).code).toBe(
      'CA_MALFORMED_CERTIFICATE',
    );
    await expect(readdir(certFilePaths(dataDir).dir)).rejects.toThrow(/ENOENT/);
  });

  it('replaces the trusted roots alone', async () => {
    await writeNodeCertificates(dataDir, certs);
    await writeTrustedRoots(dataDir, ca.certPem + other.certPem);
    expect(await readNodeCertificates(dataDir)).toEqual({ ...certs, rootsPem: ca.certPem + other.certPem });
  });

  describe('the CA signing key (managers only)', () => {
    it('is absent on a node without ca.key', async () => {
      await writeNodeCertificates(dataDir, certs);
      expect(await readSigningCA(dataDir)).toBeNull();
    });

    it('is stored at 0600 and read back with its root, also from a bundle of roots', async () => {
      await writeNodeCertificates(dataDir, { ...certs, rootsPem: other.certPem + ca.certPem });
      await writeCASigningKey(dataDir, ca.keyPem);
      expect((await stat(certFilePaths(dataDir).caKey)).mode & 0o777).toBe(0o600);
      expect(await readSigningCA(dataDir)).toEqual({ certPem: ca.certPem, keyPem: ca.keyPem });
    });

    it('refuses a ca.key that belongs to none of the roots', async () => {
      await writeNodeCertificates(dataDir, certs);
      await writeCASigningKey(dataDir, other.keyPem);
      const err = await refusal(readSigningCA(dataDir));
      expect(err.code).toBe('CA_KEY_MISMATCH');
      expect(err.file).toBe(certFilePaths(dataDir).caKey);
    });

    it('refuses a ca.key that is not a key', async () => {
      await writeNodeCertificates(dataDir, certs);
      await writeFile(certFilePaths(dataDir).caKey, 'garbage');
      expect((await refusal(readSigningCA(dataDir))).code).toBe('CA_MALFORMED_KEY');
      expect((await refusal(writeCASigningKey(dataDir, 'garbage'))).code).toBe('CA_MALFORMED_KEY');
    });

    it('names root-ca.crt when ca.key is there but the roots are not', async () => {
      await mkdir(certFilePaths(dataDir).dir, { recursive: true });
      await writeCASigningKey(dataDir, ca.keyPem);
      const err = await refusal(readSigningCA(dataDir));
      expect(err.code).toBe('CA_FILE_MISSING');
      expect(err.file).toBe(certFilePaths(dataDir).roots);
    });
  });

  describe('node.key wrapped by a key-encryption key (an autolocked manager)', () => {
    const kek = randomBytes(32);
    const newKek = randomBytes(32);

    it('writes the key wrapped, at 0600 with no temp file, and reads it back only with the KEK', async () => {
      await writeNodeCertificates(dataDir, certs, { kek });
      const paths = certFilePaths(dataDir);
      const onDisk = await readFile(paths.nodeKey, 'utf8');
      expect(onDisk).toMatch(/^-----BEGIN FLOTILLA WRAPPED NODE KEY-----\n/);
      expect(() => createPrivateKey({ key: onDisk, format: 'pem' })).toThrow();
      expect((await stat(paths.nodeKey)).mode & 0o777).toBe(0o600);
      expect((await readdir(paths.dir)).sort()).toEqual(['node.crt', 'node.key', 'root-ca.crt']);
      expect(await readNodeCertificates(dataDir, { kek })).toEqual(certs);

      const locked = await refusal(readNodeCertificates(dataDir));
      expect(locked).toMatchObject({ code: 'CA_KEY_WRAPPED', file: paths.nodeKey });
      expect(locked.message).toContain(paths.nodeKey);
      const wrong = await refusal(readNodeCertificates(dataDir, { kek: newKek }));
      expect(wrong).toMatchObject({ code: 'CA_KEY_UNWRAP_FAILED', file: paths.nodeKey });
      expect(wrong.message).toContain(paths.nodeKey);
    });

    it('reads a plain node.key whatever KEK is given (a crash can leave one on an autolocked manager)', async () => {
      await writeNodeCertificates(dataDir, certs);
      expect(await readNodeCertificates(dataDir, { kek })).toEqual(certs);
    });

    it('names a garbled wrapped node.key', async () => {
      await writeNodeCertificates(dataDir, certs, { kek });
      const paths = certFilePaths(dataDir);
      const onDisk = await readFile(paths.nodeKey, 'utf8');
      await writeFile(paths.nodeKey, onDisk.slice(0, onDisk.length / 2));
      const err = await refusal(readNodeCertificates(dataDir, { kek }));
      expect(err).toMatchObject({ code: 'CA_MALFORMED_KEY', file: paths.nodeKey });
      expect(err.message).toMatch(/node\.key: the wrapped node key is damaged/);
    });

    it('re-wraps the same key through plain, one KEK, two and back, writing only when it changes', async () => {
      await writeNodeCertificates(dataDir, certs);
      const path = certFilePaths(dataDir).nodeKey;
      const inode = async (): Promise<number> => (await stat(path)).ino;

      const plain = await inode();
      await rewrapNodeKey(dataDir, null, []);
      expect(await inode()).toBe(plain);

      await rewrapNodeKey(dataDir, null, [kek]);
      expect(await readNodeCertificates(dataDir, { kek })).toEqual(certs);
      const wrapped = await inode();
      expect(wrapped).not.toBe(plain);
      await rewrapNodeKey(dataDir, kek, [kek]);
      expect(await inode()).toBe(wrapped);

      // A rotation's first step: both keys open it.
      await rewrapNodeKey(dataDir, kek, [kek, newKek]);
      expect(await readNodeCertificates(dataDir, { kek })).toEqual(certs);
      expect(await readNodeCertificates(dataDir, { kek: newKek })).toEqual(certs);
      // Its last: the old key no longer does.
      await rewrapNodeKey(dataDir, newKek, [newKek]);
      expect((await refusal(readNodeCertificates(dataDir, { kek }))).code).toBe('CA_KEY_UNWRAP_FAILED');
      expect(await readNodeCertificates(dataDir, { kek: newKek })).toEqual(certs);

      await rewrapNodeKey(dataDir, newKek, []);
      expect(await readFile(path, 'utf8')).toBe(certs.keyPem);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    });

    it('refuses to re-wrap with a KEK that does not open node.key, changing nothing', async () => {
      await writeNodeCertificates(dataDir, certs, { kek });
      const path = certFilePaths(dataDir).nodeKey;
      const before = await readFile(path, 'utf8');
      expect((await refusal(rewrapNodeKey(dataDir, newKek, []))).code).toBe('CA_KEY_UNWRAP_FAILED');
      expect((await refusal(rewrapNodeKey(dataDir, null, []))).code).toBe('CA_KEY_WRAPPED');
      expect(await readFile(path, 'utf8')).toBe(before);
    });
  });

  it('leaves no staged file when a write fails midway', async () => {
    const paths = certFilePaths(dataDir);
    await mkdir(paths.dir, { recursive: true });
    // node.crt.tmp cannot be created where a non-empty directory of that name stands.
    await mkdir(`${paths.nodeCert}.tmp/blocker`, { recursive: true });
    await expect(writeNodeCertificates(dataDir, certs)).rejects.toThrow();
    const left = await readdir(paths.dir);
    expect(left).not.toContain('root-ca.crt.tmp');
    expect(left).not.toContain('node.key.tmp');
    expect(left).not.toContain('root-ca.crt');
  });
});
