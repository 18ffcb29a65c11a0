// The contents of node.key when a key-encryption key (KEK) wraps it, as Swarm encrypts an autolocked
// manager's TLS key with its KEK: the plain file (PKCS#8 PEM) sealed with AES-256-GCM under the KEK,
// as keys/raft-dek.json wraps the Raft data keys, in a PEM block of its own:
//   -----BEGIN FLOTILLA WRAPPED NODE KEY-----  base64(12-byte nonce | ciphertext | 16-byte tag)
// A file holds one such block per KEK that opens it: two only mid-way through a change of unlock
// key (see AutolockKeeper), so that the old and the new key both open it until the change is done.
//
// Not PKCS#8's own "ENCRYPTED PRIVATE KEY" (PBES2): it stretches a passphrase with PBKDF2, while the
// KEK already is 256 random bits; its AES-CBC does not authenticate, so a wrong key or an altered
// byte shows only as a padding or DER error, where GCM says plainly that the key does not open it;
// and a block holds one wrapping. OpenSSL cannot read this format; nothing but Flotilla needs to.

import { aesGcmCipher } from '../raft/storage/index.js';
import { CertificateError } from './errors.js';
import { decodePem, encodePem } from './x509.js';

const WRAPPED_LABEL = 'FLOTILLA WRAPPED NODE KEY';
/** Binds the sealed bytes to their use: a sealed Raft data key does not open as a node key. */
const WRAP_AAD = Buffer.from('flotilla node.key v1', 'utf8');
/** AES-GCM's nonce and tag around at least one byte. */
const MIN_SEALED_BYTES = 12 + 16 + 1;

/** node.key's contents for `keyPem`: sealed under each of `keks` (32 bytes each); none: `keyPem` itself. */
export function wrapNodeKey(keyPem: string, keks: readonly Uint8Array[]): string {
  if (keks.length === 0) return keyPem;
  const plain = Buffer.from(keyPem, 'utf8');
  return keks.map((kek) => encodePem(WRAPPED_LABEL, kekCipher(kek).seal(plain, WRAP_AAD))).join('');
}

export interface UnwrappedNodeKey {
  /** The plain PEM, exactly as it was wrapped. */
  keyPem: string;
  /** How many KEKs the file is wrapped by: 0 for a plain file. */
  wrappings: number;
}

/**
 * The one reader of node.key's contents: a plain file is returned as it is (importPrivateKey checks
 * it), a wrapped one opened with `kek`. CertificateError CA_KEY_WRAPPED when it is wrapped and `kek`
 * is null, CA_KEY_UNWRAP_FAILED when no block opens with it, CA_MALFORMED_KEY when it is garbled.
 */
export function unwrapNodeKey(text: string, kek: Uint8Array | null): UnwrappedNodeKey {
  if (!text.includes(`-----BEGIN ${WRAPPED_LABEL}-----`)) return { keyPem: text, wrappings: 0 };
  const malformed = (reason: string): CertificateError =>
    new CertificateError('CA_MALFORMED_KEY', `the wrapped node key is damaged: ${reason}`);
  const blocks = decodePem(text);
  if (typeof blocks === 'string') throw malformed(blocks);
  for (const block of blocks) {
    if (block.type !== WRAPPED_LABEL) throw malformed(`it holds a ${block.type} PEM block too`);
    if (block.der.length < MIN_SEALED_BYTES)
      throw malformed(`a block holds ${block.der.length} bytes, too few for a sealed key (truncated?)`);
  }
  if (kek === null)
    throw new CertificateError(
      'CA_KEY_WRAPPED',
      "is wrapped by the cluster's unlock key (autolock): only the manager, once unlocked, reads it",
    );
  for (const block of blocks) {
    const plain = kekCipher(kek).open(0, block.der, WRAP_AAD);
    if (plain !== null) return { keyPem: Buffer.from(plain).toString('utf8'), wrappings: blocks.length };
  }
  throw new CertificateError(
    'CA_KEY_UNWRAP_FAILED',
    `does not unwrap with the key given (${blocks.length} wrapping(s) tried): it was wrapped by another unlock key, or altered`,
  );
}

function kekCipher(kek: Uint8Array) {
  return aesGcmCipher({ keys: [{ id: 0, key: kek }] });
}
