// Original file: proto/raft.proto

import type { SnapshotMetadata as _flotilla_raft_v1_SnapshotMetadata, SnapshotMetadata__Output as _flotilla_raft_v1_SnapshotMetadata__Output } from '../../../flotilla/raft/v1/SnapshotMetadata.js';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotChunk {
  'metadata'?: (_flotilla_raft_v1_SnapshotMetadata | null);
  'totalSize'?: (number | string | Long);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
}

export interface SnapshotChunk__Output {
  'metadata': (_flotilla_raft_v1_SnapshotMetadata__Output | null);
  'totalSize': (number);
  'offset': (number);
  'data': (Buffer);
}
