// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface AppendResponse {
  'reject'?: (boolean);
  'index'?: (number | string | Long);
  'hintIndex'?: (number | string | Long);
  'hintTerm'?: (number | string | Long);
}

export interface AppendResponse__Output {
  'reject': (boolean);
  'index': (number);
  'hintIndex': (number);
  'hintTerm': (number);
}
