// Keeps this manager's key files wrapped the way the cluster says (Swarm's autolock): with the
// cluster's unlock key while spec.encryptionConfig.autoLockManagers is on (so a restarted manager
// cannot read its own Raft data until given the key), with a stored key-encryption key while it
// is off. It re-wraps when autolock is turned on or off and when the unlock key is rotated; the
// data keys themselves never change here.

import { silentLogger, type Logger } from '../util/logger.js';
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
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;
  private rewrapping: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: AutolockKeeperOptions) {
    this.keys = options.keys;
    this.wrappedWith = options.wrappedWith;
    this.log = (options.logger ?? silentLogger).child({ component: 'autolock' });
  }

  /** The unlock key the key files are wrapped with now (null: not autolocked). */
  get lockedWith(): string | null {
    return this.wrappedWith;
  }

  start(): void {
    if (this.controller) return;
    const controller = (this.controller = new AbortController());
    this.running = this.follow(controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    this.controller = null;
    await this.running;
    await this.rewrapping;
  }

  /** Resolves once the key files match the cluster object as this manager has applied it. */
  async settled(): Promise<void> {
    this.reconcile();
    await this.rewrapping;
  }

  private async follow(signal: AbortSignal): Promise<void> {
    this.reconcile();
    try {
      for await (const _ of this.options.store.watch({ kinds: ['cluster'] }, { signal })) this.reconcile();
    } catch (err) {
      // A watch that overflowed or was compacted: the periodic nature of cluster changes makes a
      // restart of the watch enough; log and stop following until the next start.
      if (!signal.aborted) this.log.warn('stopped following the cluster object', { err });
    }
  }

  private desired(): string | null | undefined {
    const [cluster] = this.options.store.list('cluster');
    if (!cluster) return undefined;
    if (!cluster.spec.encryptionConfig?.autoLockManagers) return null;
    return cluster.unlockKey ?? undefined;
  }

  private reconcile(): void {
    this.rewrapping = this.rewrapping.then(async () => {
      const desired = this.desired();
      if (desired === undefined || desired === this.wrappedWith) return;
      try {
        this.keys = await rewrapKeyFiles(this.options.keysDir, this.keys, { unlockKey: desired });
        this.wrappedWith = desired;
        this.log.info(
          desired === null
            ? 'autolock off: data key wrapped by a stored key'
            : 'autolocked: data key wrapped by the unlock key',
        );
      } catch (err) {
        this.log.error('could not re-wrap the data key', { err });
      }
    });
  }
}
