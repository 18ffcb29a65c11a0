// Keeps this manager's key files wrapped the way the cluster says (Swarm's autolock): with the
// cluster's unlock key while spec.encryptionConfig.autoLockManagers is on (so a restarted manager
// cannot read its own Raft data until given the key), with a stored key-encryption key while it
// is off. It re-wraps when autolock is turned on or off and when the unlock key is rotated; the
// data keys themselves never change here.

import { silentLogger, type Logger } from '../util/logger.js';
import { ClusterFollower } from './cluster-follower.js';
import type { ApiStore } from './control/index.js';
import { rewrapKeyFiles, type RaftKeys } from './keys/index.js';

export interface AutolockKeeperOptions {
  store: ApiStore;
  keysDir: string;
  /** The keys as opened, and the unlock key they were opened with (null: not autolocked). */
  keys: RaftKeys;
  wrappedWith: string | null;
  logger?: Logger;
}

export class AutolockKeeper {
  private keys: RaftKeys;
  private wrappedWith: string | null;
  private readonly follower: ClusterFollower;
  private readonly log: Logger;

  constructor(private readonly options: AutolockKeeperOptions) {
    this.keys = options.keys;
    this.wrappedWith = options.wrappedWith;
    this.log = (options.logger ?? silentLogger).child({ component: 'autolock' });
    this.follower = new ClusterFollower(options.store, this.log, () => this.rewrap());
  }

  /** The unlock key the key files are wrapped with now (null: not autolocked). */
  get lockedWith(): string | null {
    return this.wrappedWith;
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** Resolves once the key files match the cluster object as this manager has applied it. */
  settled(): Promise<void> {
    return this.follower.settled();
  }

  private async rewrap(): Promise<void> {
    const [cluster] = this.options.store.list('cluster');
    if (!cluster) return;
    const desired = cluster.spec.encryptionConfig?.autoLockManagers ? cluster.unlockKey : null;
    if (desired === undefined || desired === this.wrappedWith) return;
    this.keys = await rewrapKeyFiles(this.options.keysDir, this.keys, { unlockKey: desired });
    this.wrappedWith = desired;
    this.log.info(
      desired === null
        ? 'autolock off: data key wrapped by a stored key'
        : 'autolocked: data key wrapped by the unlock key',
    );
  }
}
