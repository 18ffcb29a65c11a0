// Original file: proto/raft.proto

import type { Entry as _flotilla_raft_v1_Entry, Entry__Output as _flotilla_raft_v1_Entry__Output } from '../../../flotilla/raft/v1/Entry.js';
import type { Long } from '@grpc/proto-loader';

export interface AppendRequest {
  'prevLogIndex'?: (number | string | Long);
  'prevLogTerm'?: (number | string | Long);
  'entries'?: (_flotilla_raft_v1_Entry)[];
  'commit'?: (number | string | Long);
}

export interface AppendRequest__Output {
  'prevLogIndex': (number);
  'prevLogTerm': (number);
  'entries': (_flotilla_raft_v1_Entry__Output)[];
  'commit': (number);
}
