// The vocabulary of the Raft core: log entries, persistent state, snapshots and the messages
// peers exchange. Plain data only, so the transport can encode it and the simulation can copy it.

/** A member's id. Flotilla uses its node ids (25 chars, base36); any non-empty string works. */
export type MemberId = string;

export const EntryType = {
  /** An application command (or an empty entry a new leader appends to commit its term). */
  Normal: 0,
  /** A membership change; `data` is an encoded {@link ConfChange}. */
  ConfChange: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** State that must be on stable storage before any message that depends on it leaves. */
export interface HardState {
  term: number;
  /** Who this member voted for in `term`, or '' for nobody. */
  vote: MemberId;
  commit: number;
}

/** The membership: voters decide elections and commits; learners only receive the log. */
export interface ConfState {
  voters: MemberId[];
  learners: MemberId[];
  /** Peer address of every member, so a member restored from a snapshot knows how to reach all. */
  addresses: Record<MemberId, string>;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export const ConfChangeType = {
  AddLearner: 0,
  /** Adds a voter, or promotes a learner to voter. */
  AddVoter: 1,
  Remove: 2,
  /** Turns a voter into a learner (used to demote a manager without removing it). */
  DemoteToLearner: 3,
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

export interface ConfChange {
  type: ConfChangeType;
  member: MemberId;
  /** The member's peer address, carried in the log so every member learns how to reach it. */
  address: string;
}

interface MessageBase {
  from: MemberId;
  to: MemberId;
  /** The sender's term; 0 for messages that carry no term (local proposals). */
  term: number;
}

/** RequestVote (and its PreVote variant: same fields, term is the term the sender *would* use). */
export interface VoteRequest extends MessageBase {
  type: 'Vote' | 'PreVote';
  lastLogIndex: number;
  lastLogTerm: number;
  /** Set when campaigning after a leadership transfer: the receiver must not refuse by lease. */
  transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  type: 'VoteResp' | 'PreVoteResp';
  reject: boolean;
}

/** AppendEntries. */
export interface AppendRequest extends MessageBase {
  type: 'App';
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  commit: number;
}

export interface AppendResponse extends MessageBase {
  type: 'AppResp';
  reject: boolean;
  /** On success, the highest index now known to match; on reject, the rejected prevLogIndex. */
  index: number;
  /** On reject: where the leader should probe next (the follower's hint) and that entry's term. */
  hintIndex: number;
  hintTerm: number;
}

export interface HeartbeatRequest extends MessageBase {
  type: 'Heartbeat';
  commit: number;
  /** ReadIndex round this heartbeat confirms leadership for; '' when none. */
  context: string;
}

export interface HeartbeatResponse extends MessageBase {
  type: 'HeartbeatResp';
  context: string;
}

/** One chunk of an InstallSnapshot. Chunks are sent in order; the follower acks each one. */
export interface SnapshotChunk extends MessageBase {
  type: 'Snap';
  metadata: SnapshotMetadata;
  /** Total size of the snapshot data in bytes. */
  totalSize: number;
  offset: number;
  data: Uint8Array;
}

export interface SnapshotResponse extends MessageBase {
  type: 'SnapResp';
  /** The snapshot being acknowledged. */
  snapshotIndex: number;
  snapshotTerm: number;
  /** Bytes the follower holds contiguously from 0: the leader resumes from here. */
  received: number;
  /** True once the whole snapshot was installed. */
  done: boolean;
  /** The follower refused the snapshot (it already holds a newer one, or the chunk is out of order). */
  reject: boolean;
}

/** Sent by a leader to its chosen successor: campaign now, without waiting for a timeout. */
export interface TimeoutNow extends MessageBase {
  type: 'TimeoutNow';
}

/** A follower forwarding proposals to its leader. `contexts[i]` identifies `entries[i]`. */
export interface ProposeRequest extends MessageBase {
  type: 'Prop';
  entries: Array<{ type: EntryType; data: Uint8Array }>;
  contexts: string[];
}

/** The leader's answer to a forwarded proposal: where each entry went, or why it was refused. */
export interface ProposeResponse extends MessageBase {
  type: 'PropResp';
  contexts: string[];
  /** Index of the first entry; the others follow consecutively. 0 when rejected. */
  index: number;
  /** The term the entries were appended in. */
  entryTerm: number;
  rejectReason: '' | 'not-leader' | 'transferring' | 'conf-change-pending' | 'invalid-conf-change';
}

/** A follower asking its leader for a read index on behalf of a local reader. */
export interface ReadIndexRequest extends MessageBase {
  type: 'ReadIndex';
  context: string;
}

export interface ReadIndexResponse extends MessageBase {
  type: 'ReadIndexResp';
  context: string;
  /** The read index, or 0 if the leader could not serve it. */
  index: number;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotChunk
  | SnapshotResponse
  | TimeoutNow
  | ProposeRequest
  | ProposeResponse
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageType = Message['type'];

/** Messages whose loss costs time but never safety, and that may be sent on a side channel. */
export function isSnapshotMessage(m: Message): m is SnapshotChunk {
  return m.type === 'Snap';
}

export const emptyHardState: HardState = { term: 0, vote: '', commit: 0 };

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
