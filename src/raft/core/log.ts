// The Raft log as the core sees it: a snapshot's (index, term) followed by the entries after
// it, with three cursors — stabled (persisted), committed, applied (handed to the application).
// Pure data structure: no I/O; the node persists what `unstableEntries()` returns.

import type { Entry, Snapshot } from './messages.js';

export class RaftLog {
  /** Index and term of the last entry covered by the snapshot (0, 0 when there is none). */
  snapshotIndex: number;
  snapshotTerm: number;
  /** entries[i].index === snapshotIndex + 1 + i */
  private entries: Entry[];
  /** Highest index known to be on stable storage. */
  stabled: number;
  committed: number;
  /** Highest index handed to the application for applying. */
  applied: number;

  constructor(snapshotIndex: number, snapshotTerm: number, entries: Entry[], committed: number) {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.entries = entries.slice();
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i]!.index !== snapshotIndex + 1 + i) {
        throw new Error(
          `raft log: entry ${i} has index ${this.entries[i]!.index}, expected ${snapshotIndex + 1 + i}`,
        );
      }
    }
    this.stabled = this.lastIndex();
    this.committed = Math.max(committed, snapshotIndex);
    this.applied = snapshotIndex;
    if (this.committed > this.lastIndex()) {
      throw new Error(`raft log: commit index ${committed} is beyond the last index ${this.lastIndex()}`);
    }
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.snapshotTerm : this.entries[this.entries.length - 1]!.term;
  }

  /** The term of the entry at `index`, or undefined when it is compacted away or not there. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]!.term;
  }

  entryAt(index: number): Entry | undefined {
    if (index <= this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * AppendEntries on a follower: if our log holds (prevIndex, prevTerm), append what is new
   * (replacing a conflicting suffix) and return the index of the last entry the leader sent.
   * Returns undefined when the consistency check fails.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new Error(
          `raft log: entry ${conflict} conflicts with committed entry (commit ${this.committed})`,
        );
      }
      this.append(entries.slice(conflict - entries[0]!.index));
    }
    return lastNew;
  }

  /**
   * The index of the first entry that is not in our log or has another term; 0 when all are
   * present. Entries below the snapshot are taken as present (they are committed).
   */
  private findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (e.index <= this.snapshotIndex) continue;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /** Appends entries whose first index is at most lastIndex()+1, dropping anything from there on. */
  append(newEntries: Entry[]): void {
    if (newEntries.length === 0) return;
    const first = newEntries[0]!.index;
    if (first <= this.snapshotIndex || first > this.lastIndex() + 1) {
      throw new Error(
        `raft log: cannot append at ${first} (snapshot ${this.snapshotIndex}, last ${this.lastIndex()})`,
      );
    }
    if (first <= this.lastIndex()) {
      this.entries.length = first - this.snapshotIndex - 1;
      this.stabled = Math.min(this.stabled, first - 1);
    }
    for (const e of newEntries) this.entries.push(e);
  }

  /**
   * The fast-backtracking hint (etcd's findConflictByTerm): the largest index <= `index` whose
   * term is <= `term`. Entries between that index and `index` cannot match a log whose entry at
   * `index` has `term`, so the leader can skip them in one round trip.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshotIndex) {
      const t = this.term(i)!;
      if (t <= term) return i;
      i--;
    }
    return i;
  }

  /** Entries in [lo, hi), capped at `maxBytes` of payload (always at least one entry). */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.snapshotIndex) throw new Error(`raft log: slice from ${lo} is compacted`);
    hi = Math.min(hi, this.lastIndex() + 1);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entries[i - this.snapshotIndex - 1]!;
      bytes += e.data.length + 24;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.stabled - this.snapshotIndex);
  }

  hasUnstable(): boolean {
    return this.stabled < this.lastIndex();
  }

  /** Records that entries up to (index, term) are persisted — unless they were replaced meanwhile. */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index > this.stabled) this.stabled = index;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) {
      throw new Error(`raft log: commit ${index} is beyond the last index ${this.lastIndex()}`);
    }
    this.committed = index;
    return true;
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applied;
  }

  /** Committed entries not yet handed to the application, at most `maxCount`. */
  nextCommitted(maxCount: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = Math.min(this.committed, lo + maxCount - 1);
    if (hi < lo) return [];
    return this.entries.slice(lo - this.snapshotIndex - 1, hi - this.snapshotIndex);
  }

  appliedTo(index: number): void {
    if (index > this.committed) throw new Error(`raft log: applied ${index} beyond commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** A snapshot from the leader replaces the whole log (Raft §7: our log does not contain it). */
  restore(snapshot: Snapshot): void {
    this.snapshotIndex = snapshot.metadata.index;
    this.snapshotTerm = snapshot.metadata.term;
    this.entries = [];
    this.committed = snapshot.metadata.index;
    this.applied = snapshot.metadata.index;
    this.stabled = snapshot.metadata.index;
  }

  /** Drops entries up to `index` (which the application has captured in a snapshot). */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    if (index > this.applied)
      throw new Error(`raft log: cannot compact ${index} beyond applied ${this.applied}`);
    const term = this.term(index)!;
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }
}
