// How a Raft state machine is started: its configuration (with defaults), the persisted state it
// resumes from, and the initial log of a brand-new cluster.

import { encodeConfChange } from './conf-change.js';
import {
  ConfChangeType,
  EntryType,
  type Entry,
  type HardState,
  type MemberId,
  type Snapshot,
} from './messages.js';

export interface RaftConfig {
  id: MemberId;
  /** Ticks without hearing from a leader before campaigning (randomized in [n, 2n)). */
  electionTick: number;
  /** Ticks between leader heartbeats. */
  heartbeatTick: number;
  /** Run a pre-election first so a partitioned member cannot disrupt the cluster when it returns. */
  preVote: boolean;
  /** A leader steps down when it has not heard from a majority within an election timeout. */
  checkQuorum: boolean;
  /** Upper bound on entry payload bytes per AppendEntries. */
  maxSizePerMsg: number;
  /** AppendEntries in flight per follower before waiting for acknowledgements. */
  maxInflightMsgs: number;
  /** Upper bound on committed entries handed to the application per ready(). */
  maxCommittedPerReady: number;
  snapshotChunkBytes: number;
  maxSnapshotChunksInFlight: number;
  /** Uniform random numbers in [0, 1): injected so simulations are deterministic. */
  random: () => number;
}

export const defaultRaftConfig: Omit<RaftConfig, 'id' | 'random'> = {
  electionTick: 10,
  heartbeatTick: 1,
  preVote: true,
  checkQuorum: true,
  maxSizePerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxCommittedPerReady: 4096,
  snapshotChunkBytes: 512 * 1024,
  maxSnapshotChunksInFlight: 4,
};

export interface InitialState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
}

/** The initial log of a brand-new cluster: one committed membership entry per founding member. */
export function bootstrapEntries(members: Array<{ id: MemberId; address: string }>): Entry[] {
  return members.map((m, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddVoter, member: m.id, address: m.address }),
  }));
}
