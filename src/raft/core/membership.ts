// The membership as the log defines it: the ConfState as of the commit index, and the ones in
// force at each committed change since the latest snapshot, so a snapshot taken at an older
// applied index records the membership of its own index. Raft reacts to the changes.

import { applyConfChange, copyConfState } from './conf-change.js';
import type { ConfChange, ConfState, MemberId } from './messages.js';

const emptyConfState = (): ConfState => ({ voters: [], learners: [], addresses: {} });

export class Membership {
  /** As of the commit index. Replaced, never mutated, when a change commits. */
  private current: ConfState;
  /** As of the latest snapshot's index. */
  private atSnapshot: ConfState;
  /** The membership right after each committed change past the snapshot, in log order. */
  private history: Array<{ index: number; conf: ConfState }> = [];

  /** `snapshotConf`: the membership recorded in the latest snapshot, or null without one. */
  constructor(snapshotConf: ConfState | null) {
    this.current = snapshotConf ? copyConfState(snapshotConf) : emptyConfState();
    this.atSnapshot = snapshotConf ? copyConfState(snapshotConf) : emptyConfState();
  }

  /** The current membership; callers must not mutate it (copy it to hand it out). */
  get conf(): ConfState {
    return this.current;
  }

  get voters(): readonly MemberId[] {
    return this.current.voters;
  }

  get learners(): readonly MemberId[] {
    return this.current.learners;
  }

  addressOf(id: MemberId): string {
    return this.current.addresses[id] ?? '';
  }

  /** The change in the entry at `index` committed. */
  apply(index: number, cc: ConfChange): void {
    this.current = applyConfChange(this.current, cc);
    this.history.push({ index, conf: copyConfState(this.current) });
  }

  /** The membership in force once the entries up to `index` are applied. */
  confAt(index: number): ConfState {
    let conf: ConfState | undefined;
    for (const h of this.history) if (h.index <= index) conf = h.conf;
    return conf ?? this.atSnapshot;
  }

  /** A snapshot was taken at `index`: history up to there is no longer needed. */
  compact(index: number): void {
    this.atSnapshot = copyConfState(this.confAt(index));
    this.history = this.history.filter((h) => h.index > index);
  }

  /** A snapshot from the leader replaced the log: its membership is now the whole story. */
  restore(snapshotConf: ConfState): void {
    this.current = copyConfState(snapshotConf);
    this.atSnapshot = copyConfState(snapshotConf);
    this.history = [];
  }
}
