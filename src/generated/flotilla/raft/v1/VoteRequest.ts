// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface VoteRequest {
  'lastLogIndex'?: (number | string | Long);
  'lastLogTerm'?: (number | string | Long);
  'transfer'?: (boolean);
}

export interface VoteRequest__Output {
  'lastLogIndex': (number);
  'lastLogTerm': (number);
  'transfer': (boolean);
}
