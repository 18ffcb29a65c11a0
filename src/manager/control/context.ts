// What every control handler works with: the typed store, bounded writes that turn an election
// into a retryable "no leader" error, optional linearizable reads, and the lookup of an object by
// id, name or id prefix (as `docker service inspect` accepts).

import type * as grpc from '@grpc/grpc-js';
import type { Cluster, Config, Node, Secret, Service, Task } from '../../api/index.js';
import { ValidationError } from '../../api/index.js';
import { TimeoutError } from '../../raft/index.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import {
  changeOperation,
  NotFoundError,
  type DeepReadonly,
  type Kind,
  type ObjectInput,
  type ReplicatedStore,
  type StoreOperation,
  type UpdateResult,
} from '../store/index.js';
import { NO_LEADER_MESSAGE, UnavailableError } from './errors.js';

/** The store's objects typed with src/api's model. */
export interface ApiObjectTypes {
  service: Service;
  task: Task;
  node: Node;
  secret: Secret;
  config: Config;
  cluster: Cluster;
}

export type ApiStore = ReplicatedStore<ApiObjectTypes>;
export type ApiOperation = StoreOperation<ApiObjectTypes>;
export type Stored<K extends Kind> = DeepReadonly<ApiObjectTypes[K]>;

/** The write from `current` (as read) to `updated`, conditional on its version: see changeOperation. */
export function changeOf<K extends Kind>(
  kind: K,
  current: Stored<K>,
  updated: ObjectInput<ApiObjectTypes[K]>,
): ApiOperation {
  return changeOperation<ApiObjectTypes, K>(kind, current, updated);
}

/** What the control API needs of the Raft node: who leads, and waiting for an election. */
export interface LeaderInfo {
  leader(): { id: string; address: string };
  waitForLeader(timeoutMs?: number): Promise<string>;
}

/** What an authorization hook sees of a call: its TLS peer (grpc-js calls have this). */
export type CallerInfo = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getPeer' | 'getAuthContext'>;

export interface ControlOptions {
  store: ApiStore;
  /**
   * Checks the caller of every method before it runs; throws to refuse (an error with a
   * `grpcCode`, such as the CA's PeerAuthError, keeps its status). Default: everyone may call.
   */
  authorize?: (call: CallerInfo) => void;
  node: LeaderInfo;
  logger?: Logger;
  now?: () => Date;
  /** How long a write may wait for an election and its commit; default 5 s. */
  writeTimeoutMs?: number;
  /** How long a linearizable read may wait for its barrier; default 5 s. */
  readTimeoutMs?: number;
}

export const DEFAULT_WRITE_TIMEOUT_MS = 5_000;
export const DEFAULT_READ_TIMEOUT_MS = 5_000;

export class ControlContext {
  readonly store: ApiStore;
  readonly log: Logger;
  readonly now: () => Date;
  readonly authorize: (call: CallerInfo) => void;
  private readonly node: LeaderInfo;
  private readonly writeTimeoutMs: number;
  private readonly readTimeoutMs: number;

  constructor(options: ControlOptions) {
    this.store = options.store;
    this.node = options.node;
    this.log = (options.logger ?? silentLogger).child({ component: 'control' });
    this.now = options.now ?? (() => new Date());
    this.authorize = options.authorize ?? (() => {});
    this.writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  }

  /**
   * Proposes the operations as one transaction (forwarded to the leader from a follower), waiting
   * at most the write timeout in all, an election included. Without a leader by then it fails
   * with UnavailableError('no-leader'): nothing was proposed, so a retry is safe.
   */
  async write(ops: ApiOperation[]): Promise<UpdateResult<ApiObjectTypes>> {
    const deadline = Date.now() + this.writeTimeoutMs;
    if (this.node.leader().id === '') {
      try {
        await this.node.waitForLeader(this.writeTimeoutMs);
      } catch (err) {
        if (err instanceof TimeoutError) throw new UnavailableError('no-leader', NO_LEADER_MESSAGE);
        throw err;
      }
    }
    const timeoutMs = Math.max(1, deadline - Date.now());
    try {
      return await this.store.update(ops, { timeoutMs });
    } catch (err) {
      // The leader vanished before the proposal reached it (an isolated follower learns so only
      // when its election timer fires): as far as this manager can tell, nobody leads.
      if (err instanceof TimeoutError && this.node.leader().id === '')
        throw new UnavailableError('no-leader', `${NO_LEADER_MESSAGE} (the write may still be applied)`);
      throw err;
    }
  }

  /** Waits for a ReadIndex barrier when asked to; a read that cannot get one is retryable. */
  async readBarrier(linearizable: boolean): Promise<void> {
    if (!linearizable) return;
    try {
      await this.store.readBarrier({ timeoutMs: this.readTimeoutMs });
    } catch (err) {
      if (err instanceof TimeoutError && this.node.leader().id === '')
        throw new UnavailableError('no-leader', NO_LEADER_MESSAGE);
      throw err;
    }
  }

  /**
   * The object an id, a name or an id prefix names, in that order of precedence. A prefix shared
   * by several objects names none of them.
   */
  resolve<K extends Kind>(kind: K, idOrName: string, path = 'id'): Stored<K> {
    if (idOrName === '') throw new ValidationError(path, 'required');
    const byId = this.store.get(kind, idOrName);
    if (byId) return byId;
    const byName = this.store.getByName(kind, idOrName);
    if (byName) return byName;
    const byPrefix = this.store.list(kind, { ids: idOrName });
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1)
      throw new ValidationError(path, `ambiguous: ${byPrefix.length} ${kind}s have ids starting with it`);
    throw new NotFoundError(kind, idOrName);
  }

  /**
   * The object as of `version` for an update that names it: if this manager has not applied that
   * version yet, it catches up first, so the unchanged fields copied into the update are never
   * older than what the caller read.
   */
  async resolveAt<K extends Kind>(kind: K, idOrName: string, version: number): Promise<Stored<K>> {
    const current = this.resolve(kind, idOrName);
    if (current.meta.version.index >= version) return current;
    await this.readBarrier(true);
    return this.resolve(kind, current.id);
  }
}

/** An update names the version it read; 0 (proto3's default) means the caller gave none. */
export function requireVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version <= 0)
    throw new ValidationError('version', 'required (the meta.version.index the spec was read at)');
  return version;
}
