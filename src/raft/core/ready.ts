// What the Raft state machine hands back to its driver: a Ready batch of work each cycle (what to
// persist, send and apply; etcd's rawnode.go), and a Status snapshot on request.

import type {
  ConfState,
  Entry,
  HardState,
  MemberId,
  Message,
  ProposeResponse,
  Snapshot,
} from './messages.js';
import type { Progress } from './progress.js';

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface SoftState {
  leader: MemberId;
  role: Role;
}

export interface ReadState {
  context: string;
  index: number;
}

/** The leader's answer to proposals this member forwarded. */
export interface ForwardedProposalResult {
  contexts: string[];
  /** Index of the first entry, or 0 when refused. */
  index: number;
  term: number;
  rejectReason: ProposeResponse['rejectReason'];
}

export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  /** Persist these (after `snapshot`) before sending `messages`. */
  entries: Entry[];
  /** A snapshot received from the leader: persist it and restore the state machine from it. */
  snapshot: Snapshot | null;
  /** Apply these, in order, after persisting. */
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
  /** Reads this member queued as leader that can no longer be served (leadership lost). */
  failedReads: string[];
  proposalResults: ForwardedProposalResult[];
  /** The membership, when it changed since the last ready. */
  confState: ConfState | null;
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: Progress['state'];
  isLearner: boolean;
  recentActive: boolean;
}

export interface RaftStatus {
  id: MemberId;
  term: number;
  vote: MemberId;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  role: Role;
  leader: MemberId;
  conf: ConfState;
  leadTransferee: MemberId;
  progress: Record<MemberId, ProgressStatus>;
}
