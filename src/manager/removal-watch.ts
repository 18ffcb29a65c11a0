// How a manager learns that the cluster removed it. The Raft 'removed' event fires only if this
// member applies its own removal, and it often cannot: the leader stops replicating to a member
// the moment the removal commits. So a manager that hears from no leader for a while asks its
// peers whether it is still a member, as etcd's removed members learn it from their peers.

import { EventEmitter } from 'node:events';
import type { ConfState } from '../raft/index.js';
import { silentLogger, type Logger } from '../util/logger.js';

/** A peer's answer: membership as of the Raft index it has applied. */
export interface PeerMemberStatus {
  member: boolean;
  appliedIndex: number;
}

export interface RemovalWatchOptions {
  selfId: string;
  /** This member's Raft view: who leads, its membership and its applied index. */
  node: {
    leader(): { id: string };
    membership(): ConfState;
    status(): { appliedIndex: number };
  };
  /** Asks the manager at `address` about `nodeId` (Membership.MemberStatus). */
  ask: (address: string, nodeId: string) => Promise<PeerMemberStatus>;
  /** How often to look; default 3 s. */
  intervalMs?: number;
  /** How long without a leader before asking the peers; default 2 intervals. */
  leaderlessMs?: number;
  logger?: Logger;
  now?: () => number;
}

/**
 * A peer's "not a member" is believed only if that peer has applied at least as much of the log
 * as this member: membership changes only through the log and ids are never reused, so a later
 * membership without this id means it was removed, while an earlier one may predate its join.
 */
export function removedByPeer(answer: PeerMemberStatus, ownAppliedIndex: number): boolean {
  return !answer.member && answer.appliedIndex >= ownAppliedIndex;
}

/** Emits 'removed' once a peer proves this member was removed. */
export class RemovalWatch extends EventEmitter<{ removed: [] }> {
  private timer: NodeJS.Timeout | null = null;
  private leaderlessSince: number | null = null;
  private checking: Promise<void> | null = null;
  private removed = false;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly leaderlessMs: number;

  constructor(private readonly options: RemovalWatchOptions) {
    super();
    this.log = (options.logger ?? silentLogger).child({ component: 'removal-watch' });
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 3_000;
    this.leaderlessMs = options.leaderlessMs ?? 2 * this.intervalMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  private tick(): void {
    if (this.removed || this.checking) return;
    if (this.options.node.leader().id !== '') {
      this.leaderlessSince = null;
      return;
    }
    const now = this.now();
    this.leaderlessSince ??= now;
    if (now - this.leaderlessSince < this.leaderlessMs) return;
    this.checking = this.askPeers().finally(() => {
      this.checking = null;
    });
  }

  /** Asks each peer in turn until one proves the removal; any failure just means "not proven". */
  private async askPeers(): Promise<void> {
    const { selfId, node } = this.options;
    const conf = node.membership();
    const ownApplied = node.status().appliedIndex;
    for (const [id, address] of Object.entries(conf.addresses)) {
      if (id === selfId || address === '' || !this.timer) continue;
      let answer: PeerMemberStatus;
      try {
        answer = await this.options.ask(address, selfId);
      } catch (err) {
        this.log.debug('a peer did not answer a membership question', { peer: id, err });
        continue;
      }
      if (removedByPeer(answer, ownApplied)) {
        this.removed = true;
        this.log.warn('a peer says this manager is no longer a Raft member', {
          peer: id,
          peerAppliedIndex: answer.appliedIndex,
          ownAppliedIndex: ownApplied,
        });
        this.emit('removed');
        return;
      }
    }
  }
}
