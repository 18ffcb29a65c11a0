// Original file: proto/raft.proto

import type { RaftMessage as _flotilla_raft_v1_RaftMessage, RaftMessage__Output as _flotilla_raft_v1_RaftMessage__Output } from '../../../flotilla/raft/v1/RaftMessage.js';

export interface MessageBatch {
  'messages'?: (_flotilla_raft_v1_RaftMessage)[];
}

export interface MessageBatch__Output {
  'messages': (_flotilla_raft_v1_RaftMessage__Output)[];
}
