// Durable storage for the Raft log: the RaftStorage contract, its disk and in-memory implementations.

export type { PersistedState, RaftStorage, SaveSnapshotOptions } from './storage.js';
export { MemoryStorage } from './storage.js';
export type { DiskStorageOptions } from './disk-storage.js';
export { openDiskStorage } from './disk-storage.js';
export type { AesGcmKeys, CipherKey, StorageCipher } from './cipher.js';
export { AesGcmCipher, aesGcmCipher } from './cipher.js';
export {
  SnapshotCorruptionError,
  SnapshotOutOfDateError,
  StorageArgumentError,
  StorageClosedError,
  StorageDecryptionError,
  StorageEncryptionError,
  StorageFailedError,
  WalCorruptionError,
} from './errors.js';
