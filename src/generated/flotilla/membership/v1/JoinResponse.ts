// Original file: proto/membership.proto

import type { Member as _flotilla_membership_v1_Member, Member__Output as _flotilla_membership_v1_Member__Output } from '../../../flotilla/membership/v1/Member.js';

export interface JoinResponse {
  'members'?: (_flotilla_membership_v1_Member)[];
  'leaderId'?: (string);
  'clusterId'?: (string);
}

export interface JoinResponse__Output {
  'members': (_flotilla_membership_v1_Member__Output)[];
  'leaderId': (string);
  'clusterId': (string);
}
