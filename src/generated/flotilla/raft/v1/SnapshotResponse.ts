// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotResponse {
  'snapshotIndex'?: (number | string | Long);
  'snapshotTerm'?: (number | string | Long);
  'received'?: (number | string | Long);
  'done'?: (boolean);
  'reject'?: (boolean);
}

export interface SnapshotResponse__Output {
  'snapshotIndex': (number);
  'snapshotTerm': (number);
  'received': (number);
  'done': (boolean);
  'reject': (boolean);
}
