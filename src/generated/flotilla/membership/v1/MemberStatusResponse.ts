// Original file: proto/membership.proto

import type { Long } from '@grpc/proto-loader';

export interface MemberStatusResponse {
  'member'?: (boolean);
  'appliedIndex'?: (number | string | Long);
  'leaderId'?: (string);
}

export interface MemberStatusResponse__Output {
  'member': (boolean);
  'appliedIndex': (number);
  'leaderId': (string);
}
