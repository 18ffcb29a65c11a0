// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadIndexResponse {
  'context'?: (string);
  'index'?: (number | string | Long);
}

export interface ReadIndexResponse__Output {
  'context': (string);
  'index': (number);
}
