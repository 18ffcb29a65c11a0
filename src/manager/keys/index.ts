// The manager's encryption keys at rest: the key files holding the Raft data encryption keys (and,
// unless autolocked, the key that wraps them), the cluster's unlock key, and the storage cipher.

export { KeyError } from './errors.js';
export type { KeyErrorCode } from './errors.js';
export { formatUnlockKey, newUnlockKey, parseUnlockKey } from './unlock-key.js';
export type { NewUnlockKeyOptions } from './unlock-key.js';
export {
  cipherKeysOf,
  createKeyFiles,
  DEK_FILE,
  KEK_FILE,
  openKeyFiles,
  retireOldDeks,
  rewrapKeyFiles,
  rotateDek,
  storageCipherFor,
} from './key-files.js';
export type { KeyFilesOptions, RaftKeys } from './key-files.js';
