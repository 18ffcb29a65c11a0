// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatRequest {
  'commit'?: (number | string | Long);
  'context'?: (string);
}

export interface HeartbeatRequest__Output {
  'commit': (number);
  'context': (string);
}
