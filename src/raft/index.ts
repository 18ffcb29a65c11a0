// The Raft module's public face: a consensus library that stands on its own. Most users want
// RaftNode (with openDiskStorage and GrpcRaftTransport); the pure core is exported for those
// who drive it themselves (simulations, custom I/O).

export { RaftNode } from './node.js';
export type {
  Applied,
  ProposeOptions,
  RaftNodeEvents,
  RaftNodeOptions,
  RaftTransport,
  StateMachine,
  Timers,
} from './node.js';
export { Raft, bootstrapEntries, defaultRaftConfig } from './core/raft.js';
export { forceNewCluster } from './core/force-new-cluster.js';
export type { ForcedNewCluster } from './core/force-new-cluster.js';
export type { InitialState, RaftConfig, RaftStatus, Ready, ReadState, Role, SoftState } from './core/raft.js';
export { ConfChangeType, EntryType } from './core/messages.js';
export type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  MemberId,
  Message,
  Snapshot,
  SnapshotMetadata,
} from './core/messages.js';
export {
  InvalidConfChangeError,
  LeaderChangedError,
  NothingToRecoverError,
  NotLeaderError,
  ProposalDroppedError,
  ProposalTooLargeError,
  RaftError,
  StoppedError,
  TermChangedError,
  TimeoutError,
} from './core/errors.js';
export { MemoryStorage, openDiskStorage } from './storage/index.js';
export type { PersistedState, RaftStorage } from './storage/index.js';
export { LocalHub } from './transport/local-transport.js';
export {
  GrpcRaftTransport,
  MessageDecodeError,
  PeerRefusedError,
  TransportStateError,
  raftServerOptions,
} from './transport/index.js';
export type { InboundCallInfo, TransportOptions, TransportStats } from './transport/index.js';
