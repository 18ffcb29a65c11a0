// RaftNode's bookkeeping of proposals in flight: which caller waits for which (index, term), and
// how each one ends — applied with that term (success), overwritten by a newer leader (failed),
// replaced by a snapshot or timed out (outcome unknown). Also the forwarded proposals waiting
// for the leader to say where it appended them.

import {
  InvalidConfChangeError,
  LeaderChangedError,
  ProposalDroppedError,
  TermChangedError,
  TimeoutError,
  type RaftError,
} from './core/errors.js';
import type { ForwardedProposalResult } from './core/ready.js';
import type { Applied, Timers } from './node.js';

/** How many applied results to remember for forwarded proposals whose answer arrives late. */
const RECENTLY_APPLIED_WINDOW = 4096;

interface Waiter<Result> {
  resolve: (a: Applied<Result>) => void;
  reject: (e: Error) => void;
}

interface PendingProposal<Result> extends Waiter<Result> {
  index: number;
  term: number;
  timer: unknown;
}

interface PendingForward<Result> extends Waiter<Result> {
  timer: unknown;
  /** The leader it was sent to. */
  leader: string;
}

export class ProposalTracker<Result> {
  private readonly byIndex = new Map<number, PendingProposal<Result>>();
  /** A lower bound on the terms in byIndex (exact after each scan). */
  private minPendingTerm = Infinity;
  private readonly forwards = new Map<string, PendingForward<Result>>();
  /** (term, result) of recently applied entries. */
  private readonly recentlyApplied = new Map<number, { term: number; result: Result }>();

  constructor(private readonly timers: Timers) {}

  /** A proposal this member appended as leader at (index, term). */
  track(index: number, term: number, waiter: Waiter<Result>, timeoutMs: number): void {
    const previous = this.byIndex.get(index);
    if (previous) {
      // A newer leader reused the index: the older proposal there was overwritten.
      this.settle(previous, new TermChangedError(previous.index, previous.term));
    }
    const pending: PendingProposal<Result> = { index, term, ...waiter, timer: null };
    pending.timer = this.timers.setTimeout(() => {
      if (this.byIndex.get(index) === pending) this.byIndex.delete(index);
      waiter.reject(new TimeoutError(`proposal at index ${index}`));
    }, timeoutMs);
    this.byIndex.set(index, pending);
    this.minPendingTerm = Math.min(this.minPendingTerm, term);
  }

  /** A proposal forwarded to the leader under `context`, until the leader says where it went. */
  trackForward(context: string, leader: string, waiter: Waiter<Result>, timeoutMs: number): void {
    const timer = this.timers.setTimeout(() => {
      this.forwards.delete(context);
      waiter.reject(new TimeoutError('forwarded proposal'));
    }, timeoutMs);
    this.forwards.set(context, { ...waiter, timer, leader });
  }

  /**
   * The leader is now `leader`: proposals forwarded to another one and not yet answered will get
   * no answer (it died or stepped down). Fail them now rather than at their timeout.
   */
  leaderChanged(leader: string): void {
    for (const [context, fwd] of this.forwards) {
      if (fwd.leader === leader) continue;
      this.forwards.delete(context);
      this.timers.clearTimeout(fwd.timer);
      fwd.reject(new LeaderChangedError(fwd.leader));
    }
  }

  /** The entry (index, term) was applied with `result`. */
  applied(index: number, term: number, result: Result): void {
    this.recentlyApplied.set(index, { term, result });
    // Indexes are applied in order, so the oldest retained one is simply index - window.
    this.recentlyApplied.delete(index - RECENTLY_APPLIED_WINDOW);
    const pending = this.byIndex.get(index);
    if (pending && pending.term === term) this.settle(pending, { index, term, result });
    this.failOverwritten(index, term);
  }

  /**
   * A snapshot replaced the log up to (index, term): proposals it covers may or may not have
   * committed (the snapshot does not say which entries it holds), so their outcome is unknown.
   */
  snapshotInstalled(index: number, term: number): void {
    for (const p of [...this.byIndex.values()]) {
      if (p.index <= index)
        this.settle(p, new TimeoutError(`proposal at index ${p.index} (replaced by a snapshot)`));
    }
    this.failOverwritten(index, term);
  }

  /** The leader's answer to forwarded proposals; `appliedIndex` is how far this member applied. */
  forwardedResult(
    r: ForwardedProposalResult,
    appliedIndex: number,
    notLeader: () => Error,
    timeoutMs: number,
  ): void {
    for (const context of r.contexts) {
      const fwd = this.forwards.get(context);
      if (!fwd) continue;
      this.forwards.delete(context);
      this.timers.clearTimeout(fwd.timer);
      if (r.index === 0) {
        fwd.reject(
          r.rejectReason === 'not-leader'
            ? notLeader()
            : r.rejectReason === 'invalid-conf-change'
              ? new InvalidConfChangeError('refused by the leader')
              : new ProposalDroppedError(r.rejectReason),
        );
      } else if (r.index <= appliedIndex) {
        // Applied before the answer came: settle from what we remember of it.
        const done = this.recentlyApplied.get(r.index);
        if (done && done.term === r.term) fwd.resolve({ index: r.index, term: r.term, result: done.result });
        else if (done) fwd.reject(new TermChangedError(r.index, r.term));
        else fwd.reject(new TimeoutError('forwarded proposal (result no longer known)'));
      } else {
        this.track(r.index, r.term, fwd, timeoutMs);
      }
    }
  }

  failAll(err: RaftError): void {
    for (const p of [...this.byIndex.values()]) this.settle(p, err);
    for (const p of this.forwards.values()) {
      this.timers.clearTimeout(p.timer);
      p.reject(err);
    }
    this.forwards.clear();
  }

  /**
   * The entry (index, term) was applied. A pending proposal at that index with another term was
   * overwritten; one at a later index with an older term can never commit either (log
   * matching: a committed entry's predecessors have terms no greater than its own).
   */
  private failOverwritten(index: number, term: number): void {
    const atIndex = this.byIndex.get(index);
    if (atIndex && atIndex.term !== term)
      this.settle(atIndex, new TermChangedError(atIndex.index, atIndex.term));
    // In steady state every pending proposal has the applied entry's term: skip the scan.
    if (term <= this.minPendingTerm) return;
    let min = Infinity;
    for (const p of [...this.byIndex.values()]) {
      if (p.index > index && p.term < term) this.settle(p, new TermChangedError(p.index, p.term));
      else min = Math.min(min, p.term);
    }
    this.minPendingTerm = min;
  }

  private settle(p: PendingProposal<Result>, outcome: Error | Applied<Result>): void {
    if (this.byIndex.get(p.index) === p) this.byIndex.delete(p.index);
    this.timers.clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }
}
