// Original file: proto/raft.proto

import type { ProposeRejectReason as _flotilla_raft_v1_ProposeRejectReason, ProposeRejectReason__Output as _flotilla_raft_v1_ProposeRejectReason__Output } from '../../../flotilla/raft/v1/ProposeRejectReason.js';
import type { Long } from '@grpc/proto-loader';

export interface ProposeResponse {
  'contexts'?: (string)[];
  'index'?: (number | string | Long);
  'entryTerm'?: (number | string | Long);
  'rejectReason'?: (_flotilla_raft_v1_ProposeRejectReason);
}

export interface ProposeResponse__Output {
  'contexts': (string)[];
  'index': (number);
  'entryTerm': (number);
  'rejectReason': (_flotilla_raft_v1_ProposeRejectReason__Output);
}
