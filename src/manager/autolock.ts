// Keeps this manager's keys at rest wrapped the way the cluster says (Swarm's autolock): while
// spec.encryptionConfig.autoLockManagers is on, the Raft data keys (keys/) and the node's TLS key
// (certs/node.key) are both wrapped by the cluster's unlock key, so a restarted manager can read
// neither its Raft data nor its identity until given the key; while it is off, the data keys are
// wrapped by a stored key-encryption key and node.key is plain. It re-wraps when autolock is turned
// on or off and when the unlock key is rotated, and writes renewed certificates wrapped the same
// way; the keys themselves never change here.

import { rewrapNodeKey, writeNodeCertificates, type NodeCertificates } from '../ca/index.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { ClusterFollower } from './cluster-follower.js';
import type { ApiStore } from './control/index.js';
import { parseUnlockKey, rewrapKeyFiles, type RaftKeys } from './keys/index.js';

export interface AutolockKeeperOptions {
  store: ApiStore;
  keysDir: string;
  /** The data directory whose certs/node.key is wrapped along with the key files. */
  dataDir: string;
  /** The keys as opened, and the unlock key they were opened with (null: not autolocked). */
  keys: RaftKeys;
  wrappedWith: string | null;
  logger?: Logger;
}

export class AutolockKeeper {
  private keys: RaftKeys;
  private wrappedWith: string | null;
  /**
   * Re-wraps and certificate writes, one at a time: a renewal's node.key written between the steps
   * of a re-wrap would be wrapped by a key the key files may no longer be.
   */
  private writes: Promise<void> = Promise.resolve();
  /** node.key is known to be wrapped as wrappedWith says (checked once, then kept so by every write here). */
  private nodeKeyMatches = false;
  private readonly follower: ClusterFollower;
  private readonly log: Logger;

  constructor(private readonly options: AutolockKeeperOptions) {
    this.keys = options.keys;
    this.wrappedWith = options.wrappedWith;
    this.log = (options.logger ?? silentLogger).child({ component: 'autolock' });
    this.follower = new ClusterFollower(options.store, this.log, () => this.exclusive(() => this.rewrap()));
  }

  /** The unlock key the key files and node.key are wrapped with now (null: not autolocked). */
  get lockedWith(): string | null {
    return this.wrappedWith;
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** Resolves once the key files and node.key match the cluster object as this manager has applied it. */
  settled(): Promise<void> {
    return this.follower.settled();
  }

  /** Stores renewed certificates (CertificateRenewer's `write`), node.key wrapped as the key files are. */
  writeNodeCertificates(certs: NodeCertificates): Promise<void> {
    return this.exclusive(() =>
      writeNodeCertificates(this.options.dataDir, certs, { kek: kekOf(this.wrappedWith) }),
    );
  }

  /**
   * Puts node.key back in the clear, for a manager the cluster removed that carries on as a worker
   * (a worker is never unlocked). Call it after stop(); the key files stay as they are.
   */
  unwrapNodeKey(): Promise<void> {
    return this.exclusive(async () => {
      this.nodeKeyMatches = false;
      await rewrapNodeKey(this.options.dataDir, kekOf(this.wrappedWith), []);
    });
  }

  /**
   * Brings the wrapping from what it is (old: an unlock key or none) to what the cluster says (new)
   * in three steps, each an atomic rename, ordered so that wherever a crash stops them the key that
   * opens the key files (none, old or new) opens node.key too, and a restarted manager starts or
   * unlocks as before:
   *   1. node.key wrapped by both old and new (a rotation); plain when either is none;
   *   2. the key files wrapped by new (rewrapKeyFiles);
   *   3. node.key wrapped by new alone; plain when new is none.
   * So node.key is never written plain while autolock stays on, and never left wrapped while the
   * key files are not autolocked (no key would be given at the next start to unwrap it). Step 3 also
   * runs on the first pass after a restart: it finishes a change a crash interrupted (and writes
   * nothing when node.key already is as it should be). Later passes skip it unless the wrapping
   * changed: the cluster object changes far more often than its unlock key.
   */
  private async rewrap(): Promise<void> {
    const { dataDir, keysDir, store } = this.options;
    const [cluster] = store.list('cluster');
    const desired = cluster?.spec.encryptionConfig?.autoLockManagers ? cluster.unlockKey : null;
    if (cluster && desired !== undefined && desired !== this.wrappedWith) {
      const oldKek = kekOf(this.wrappedWith);
      const newKek = kekOf(desired);
      await rewrapNodeKey(dataDir, oldKek, oldKek && newKek ? [oldKek, newKek] : []);
      this.keys = await rewrapKeyFiles(keysDir, this.keys, { unlockKey: desired });
      this.wrappedWith = desired;
      this.nodeKeyMatches = false;
      this.log.info(
        desired === null
          ? 'autolock off: data key wrapped by a stored key, node key plain'
          : 'autolocked: data key and node key wrapped by the unlock key',
      );
    }
    if (this.nodeKeyMatches) return;
    const kek = kekOf(this.wrappedWith);
    await rewrapNodeKey(dataDir, kek, kek ? [kek] : []);
    this.nodeKeyMatches = true;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.writes.then(task);
    this.writes = result.then(
      () => undefined,
      // The caller gets the error; the next write must not.
      () => undefined,
    );
    return result;
  }
}

function kekOf(unlockKey: string | null): Buffer | null {
  return unlockKey === null ? null : parseUnlockKey(unlockKey);
}
