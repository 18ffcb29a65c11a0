// The leader's view of each follower (etcd's tracker/progress.go): how much of the log matches,
// what to send next, and how many AppendEntries are in flight. Replication runs in one of three
// states: probe (one message per round trip until the match point is found), replicate
// (pipelined up to the in-flight bound) and snapshot (sending an InstallSnapshot in chunks).

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded FIFO of the last index of each AppendEntries in flight. */
export class Inflights {
  private readonly buffer: number[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  get count(): number {
    return this.buffer.length - this.start;
  }

  full(): boolean {
    return this.count >= this.capacity;
  }

  add(lastIndex: number): void {
    if (this.full()) throw new Error('inflights: add to a full window');
    this.buffer.push(lastIndex);
  }

  /** Frees every message whose last index is at most `index` (they were acknowledged). */
  freeLE(index: number): void {
    while (this.start < this.buffer.length && this.buffer[this.start]! <= index) this.start++;
    if (this.start > 1024 && this.start * 2 > this.buffer.length) {
      this.buffer.splice(0, this.start);
      this.start = 0;
    }
  }

  /** Frees the oldest message (used to probe when the window is full and nothing comes back). */
  freeFirstOne(): void {
    if (this.count > 0) this.start++;
  }

  reset(): void {
    this.buffer.length = 0;
    this.start = 0;
  }
}

/** An InstallSnapshot being streamed to one follower. */
export interface SnapshotTransfer {
  index: number;
  term: number;
  /** Bytes the follower acknowledged holding. */
  acked: number;
  /** Bytes sent so far (acked <= sent). */
  sent: number;
  /** `acked` at the last heartbeat response: no progress across one means chunks were lost. */
  ackedAtLastHeartbeat: number;
  /** Consecutive heartbeat responses without a new chunk acknowledged. */
  stalledHeartbeats: number;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: a message was sent and we wait for its answer (or the next heartbeat). */
  probeSent = false;
  /** Heard from within the current election timeout (CheckQuorum). */
  recentActive = false;
  readonly inflights: Inflights;
  snapshot: SnapshotTransfer | null = null;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it; otherwise right after the known match.
    const from =
      this.state === 'snapshot' && this.snapshot ? Math.max(this.match, this.snapshot.index) : this.match;
    this.state = 'probe';
    this.next = from + 1;
    this.probeSent = false;
    this.snapshot = null;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.snapshot = null;
    this.inflights.reset();
  }

  becomeSnapshot(index: number, term: number): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.inflights.reset();
    this.snapshot = { index, term, acked: 0, sent: 0, ackedAtLastHeartbeat: -1, stalledHeartbeats: 0 };
  }

  /** A successful AppendEntries response up to `index`; false when it told us nothing new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** We sent entries up to `lastIndex` optimistically (replicate state). */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * A rejected AppendEntries for prevLogIndex `rejected`, with the follower's hint of where the
   * logs may match. Returns false when the rejection is stale (answers an older message).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Whether sending more entries must wait (flow control). */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
