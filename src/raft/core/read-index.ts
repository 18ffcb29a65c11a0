// Linearizable reads without a log write (Raft §6.4, etcd's read_only.go): the leader records its
// commit index for each read, confirms it is still leader by a heartbeat round acknowledged by a
// majority, and only then releases the read at that index.

import type { MemberId } from './messages.js';

export interface PendingRead {
  context: string;
  /** The leader's commit index when the read arrived. */
  index: number;
  /** Who asked: the leader itself, or the follower that forwarded the read. */
  from: MemberId;
  acks: Set<MemberId>;
}

export class ReadIndexQueue {
  private queue: PendingRead[] = [];
  private readonly byContext = new Map<string, PendingRead>();

  add(context: string, index: number, from: MemberId, self: MemberId): void {
    if (this.byContext.has(context)) return;
    const read: PendingRead = { context, index, from, acks: new Set([self]) };
    this.queue.push(read);
    this.byContext.set(context, read);
  }

  /** Records a heartbeat ack for `context`; returns the read's ack set, or undefined if unknown. */
  ack(context: string, from: MemberId): ReadonlySet<MemberId> | undefined {
    const read = this.byContext.get(context);
    if (!read) return undefined;
    read.acks.add(from);
    return read.acks;
  }

  /**
   * Removes and returns every read up to and including `context`: a majority that acknowledged
   * a later heartbeat also confirms leadership for every read queued before it.
   */
  releaseThrough(context: string): PendingRead[] {
    const at = this.queue.findIndex((r) => r.context === context);
    if (at < 0) return [];
    const released = this.queue.splice(0, at + 1);
    for (const r of released) this.byContext.delete(r.context);
    return released;
  }

  lastContext(): string {
    return this.queue.length === 0 ? '' : this.queue[this.queue.length - 1]!.context;
  }

  /** Drops everything (leadership lost); returns what was pending so callers can fail it. */
  drain(): PendingRead[] {
    const all = this.queue;
    this.queue = [];
    this.byContext.clear();
    return all;
  }
}
