// A node's certificates on disk, DATA_DIR/certs/: root-ca.crt (the trusted roots, a PEM bundle),
// node.key (0600; wrapped by the unlock key on an autolocked manager, see node-key-wrap.ts) and
// node.crt (the leaf and its chain); the founding manager also holds the CA's signing key, ca.key
// (0600), until the cluster object in the (encrypted) Raft store holds it.
// Writes are atomic per file (temp, fsync, rename, directory fsync); reads say which file is wrong
// and why.

import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CertificateError } from './errors.js';
import { unwrapNodeKey, wrapNodeKey } from './node-key-wrap.js';
import type { SigningCA } from './root-ca.js';
import { certificatePem, certificateSpki, describe, importPrivateKey, parseCertificates } from './x509.js';
import type { EcKeyPair, x509 } from './x509.js';

export const CERTS_DIR = 'certs';
export const ROOT_CA_FILE = 'root-ca.crt';
export const NODE_KEY_FILE = 'node.key';
export const NODE_CERT_FILE = 'node.crt';
export const CA_KEY_FILE = 'ca.key';

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;

export interface CertFilePaths {
  dir: string;
  roots: string;
  nodeKey: string;
  nodeCert: string;
  caKey: string;
}

export function certFilePaths(dataDir: string): CertFilePaths {
  const dir = join(dataDir, CERTS_DIR);
  return {
    dir,
    roots: join(dir, ROOT_CA_FILE),
    nodeKey: join(dir, NODE_KEY_FILE),
    nodeCert: join(dir, NODE_CERT_FILE),
    caKey: join(dir, CA_KEY_FILE),
  };
}

/** How node.key is kept on disk. */
export interface NodeKeyOptions {
  /**
   * The key-encryption key node.key is wrapped by (an autolocked manager's unlock key, 32 bytes);
   * null or absent: node.key is plain, as on every worker and on a manager without autolock.
   */
  kek?: Uint8Array | null;
}

/** What a node needs for mutual TLS; the same shape tls.ts's credentials take. */
export interface NodeCertificates {
  /** The trusted roots (PEM bundle). */
  rootsPem: string;
  /** The node's private key (PKCS#8 PEM). */
  keyPem: string;
  /** The node's certificate, then any intermediates (a cross-signed root during rotation). */
  certChainPem: string;
}

/**
 * Writes the three node files after checking that they parse and that the key is the leaf's, the
 * key wrapped by `options.kek` when given. All three are staged and synced before the first rename,
 * and the certificate is renamed last: a crash between the key's rename and the certificate's
 * leaves node.crt.tmp, which readNodeCertificates then puts in place (see there).
 */
export async function writeNodeCertificates(
  dataDir: string,
  certs: NodeCertificates,
  options: NodeKeyOptions = {},
): Promise<void> {
  const paths = certFilePaths(dataDir);
  parseCertificates(certs.rootsPem, 'the trusted roots');
  const [leaf] = parseCertificates(certs.certChainPem, 'the node certificate');
  const keys = await importPrivateKey(certs.keyPem, 'the node key');
  if (leaf !== undefined) checkKeyMatches(keys, leaf, 'the node key does not belong to the node certificate');
  await mkdir(paths.dir, { recursive: true, mode: DIR_MODE });
  const staged: string[] = [];
  try {
    staged.push(await stage(paths.roots, certs.rootsPem, CERT_MODE));
    staged.push(await stage(paths.nodeKey, wrapNodeKey(certs.keyPem, keksOf(options)), KEY_MODE));
    staged.push(await stage(paths.nodeCert, certs.certChainPem, CERT_MODE));
  } catch (err) {
    await Promise.all(staged.map((temp) => rm(temp, { force: true })));
    throw err;
  }
  await rename(tempOf(paths.roots), paths.roots);
  await rename(tempOf(paths.nodeKey), paths.nodeKey);
  await rename(tempOf(paths.nodeCert), paths.nodeCert);
  await fsyncDirectory(paths.dir);
}

/** Replaces the trusted roots alone (root rotation adds the new root before any leaf uses it). */
export async function writeTrustedRoots(dataDir: string, rootsPem: string): Promise<void> {
  const paths = certFilePaths(dataDir);
  parseCertificates(rootsPem, 'the trusted roots');
  await mkdir(paths.dir, { recursive: true, mode: DIR_MODE });
  await publish(paths.roots, rootsPem, CERT_MODE);
}

/** Stores the CA signing key (managers only); root-ca.crt must hold its certificate. */
export async function writeCASigningKey(dataDir: string, keyPem: string): Promise<void> {
  const paths = certFilePaths(dataDir);
  await importPrivateKey(keyPem, 'the CA key');
  await mkdir(paths.dir, { recursive: true, mode: DIR_MODE });
  await publish(paths.caKey, keyPem, KEY_MODE);
}

/**
 * Deletes ca.key (and the directory entry, fsynced): once the cluster object in the Raft store
 * holds the CA key, under the Raft encryption at rest, a plain copy on disk is only a risk.
 */
export async function removeCASigningKey(dataDir: string): Promise<void> {
  const paths = certFilePaths(dataDir);
  await rm(paths.caKey, { force: true });
  await fsyncDirectory(paths.dir);
}

/**
 * The node's certificates, or null when none of the three files exists (a node that has not
 * joined yet). Some but not all present, or any that does not parse, or a key that is not the
 * leaf's: a CertificateError naming the file; so is a wrapped node.key without `options.kek`
 * (CA_KEY_WRAPPED) or that does not open with it (CA_KEY_UNWRAP_FAILED). A plain node.key is read
 * whatever `options.kek` says (a crash can leave one on an autolocked manager, see
 * AutolockKeeper). Validity and chain are not checked here (an expired certificate must still
 * load so that the node can say why it cannot rejoin): use verifyCertificate.
 */
export async function readNodeCertificates(
  dataDir: string,
  options: NodeKeyOptions = {},
): Promise<NodeCertificates | null> {
  const paths = certFilePaths(dataDir);
  const [rootsPem, keyFile, certChainPem] = await Promise.all([
    readOptional(paths.roots),
    readOptional(paths.nodeKey),
    readOptional(paths.nodeCert),
  ]);
  if (rootsPem === null && keyFile === null && certChainPem === null) return null;
  if (rootsPem === null) throw missing(paths.roots);
  if (keyFile === null) throw missing(paths.nodeKey);
  if (certChainPem === null) throw missing(paths.nodeCert);

  inFile(paths.roots, () => parseCertificates(rootsPem, 'the trusted roots'));
  const { keyPem } = inFile(paths.nodeKey, () => unwrapNodeKey(keyFile, options.kek ?? null));
  const keys = await inFileAsync(paths.nodeKey, () => importPrivateKey(keyPem, 'the node key'));
  const [leaf] = inFile(paths.nodeCert, () => parseCertificates(certChainPem, 'the node certificate'));
  if (leaf === undefined || certificateSpki(leaf).equals(keys.spki))
    return { rootsPem, keyPem, certChainPem };

  const recovered = await finishInterruptedWrite(paths, keys);
  if (recovered !== null) return { rootsPem, keyPem, certChainPem: recovered };
  throw new CertificateError(
    'CA_KEY_MISMATCH',
    `the node key (${NODE_KEY_FILE}) does not belong to this certificate (${leaf.subject}, serial ${leaf.serialNumber})`,
    { file: paths.nodeCert },
  );
}

/**
 * Rewrites node.key wrapped by each of `wrapWith` (none: plain), reading it with `readWith` (the
 * file may be plain, or wrapped by `readWith` among others). The key itself stays, so node.crt
 * still belongs to it; the write is atomic, and nothing is written when the file already is as
 * asked. Errors as readNodeCertificates's for node.key.
 */
export async function rewrapNodeKey(
  dataDir: string,
  readWith: Uint8Array | null,
  wrapWith: readonly Uint8Array[],
): Promise<void> {
  const path = certFilePaths(dataDir).nodeKey;
  const keyFile = await readOptional(path);
  if (keyFile === null) throw new CertificateError('CA_FILE_MISSING', 'is missing', { file: path });
  const { keyPem, wrappings } = inFile(path, () => unwrapNodeKey(keyFile, readWith));
  // A file that opened with readWith and holds one wrapping is wrapped by readWith alone.
  const alreadySo =
    wrapWith.length === 0
      ? wrappings === 0
      : wrapWith.length === 1 &&
        wrappings === 1 &&
        readWith !== null &&
        Buffer.from(readWith).equals(wrapWith[0]!);
  if (!alreadySo) await publish(path, wrapNodeKey(keyPem, wrapWith), KEY_MODE);
}

/**
 * The CA this manager signs with: ca.key and the certificate in root-ca.crt it belongs to (during
 * a rotation the bundle holds two roots). Null when there is no ca.key (a worker).
 */
export async function readSigningCA(dataDir: string): Promise<SigningCA | null> {
  const paths = certFilePaths(dataDir);
  const keyPem = await readOptional(paths.caKey);
  if (keyPem === null) return null;
  const rootsPem = await readOptional(paths.roots);
  if (rootsPem === null) throw missing(paths.roots);
  const keys = await inFileAsync(paths.caKey, () => importPrivateKey(keyPem, 'the CA key'));
  const roots = inFile(paths.roots, () => parseCertificates(rootsPem, 'the trusted roots'));
  const own = roots.find((root) => certificateSpki(root).equals(keys.spki));
  if (own === undefined)
    throw new CertificateError(
      'CA_KEY_MISMATCH',
      `no certificate in ${ROOT_CA_FILE} belongs to this CA key (${roots.length} certificate(s) checked)`,
      { file: paths.caKey },
    );
  return { certPem: certificatePem(own), keyPem };
}

/** Puts a staged node.crt.tmp in place if it is complete and belongs to node.key; else null. */
async function finishInterruptedWrite(paths: CertFilePaths, keys: EcKeyPair): Promise<string | null> {
  const temp = tempOf(paths.nodeCert);
  const staged = await readOptional(temp).catch(() => null);
  if (staged === null) return null;
  let leaf: x509.X509Certificate | undefined;
  try {
    [leaf] = parseCertificates(staged, 'the staged node certificate');
  } catch {
    return null; // a torn temp file: it was never published, and the mismatch stands
  }
  if (leaf === undefined || !certificateSpki(leaf).equals(keys.spki)) return null;
  await rename(temp, paths.nodeCert);
  await fsyncDirectory(paths.dir);
  return staged;
}

function keksOf(options: NodeKeyOptions): Uint8Array[] {
  return options.kek ? [options.kek] : [];
}

function checkKeyMatches(keys: EcKeyPair, cert: x509.X509Certificate, message: string): void {
  if (!certificateSpki(cert).equals(keys.spki)) throw new CertificateError('CA_KEY_MISMATCH', message);
}

// ---- Files ----

function tempOf(path: string): string {
  return `${path}.tmp`;
}

/** Writes `data` to `path`.tmp with `mode` and syncs it; returns the temp path. */
async function stage(path: string, data: string, mode: number): Promise<string> {
  const temp = tempOf(path);
  // A leftover temp (an interrupted write) might have a laxer mode; start from a fresh file.
  await rm(temp, { force: true });
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    // The umask may only narrow the mode; chmod pins it (the keys must be exactly 0600).
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  return temp;
}

async function publish(path: string, data: string, mode: number): Promise<void> {
  await rename(await stage(path, data, mode), path);
  await fsyncDirectory(dirname(path));
}

/** Makes a directory's entries (renamed files) durable. (The same step as src/raft/storage's, which it does not export.) */
async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    if (code === 'ENOENT') return null;
    throw new CertificateError('CA_FILE_UNREADABLE', `cannot be read (${describe(err)})`, {
      file: path,
      cause: err,
    });
  }
}

function missing(path: string): CertificateError {
  return new CertificateError(
    'CA_FILE_MISSING',
    'is missing while other certificate files are present (a partial copy or deletion?)',
    { file: path },
  );
}

/** Re-throws a CertificateError with the file it came from. */
function inFile<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw withFile(err, file);
  }
}

async function inFileAsync<T>(file: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw withFile(err, file);
  }
}

function withFile(err: unknown, file: string): unknown {
  return err instanceof CertificateError && err.file === undefined
    ? new CertificateError(err.code, err.message, { file, cause: err })
    : err;
}
