// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface SendAck {
  'received'?: (number | string | Long);
}

export interface SendAck__Output {
  'received': (number);
}
