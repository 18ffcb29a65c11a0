import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { JoinRequest as _flotilla_membership_v1_JoinRequest, JoinRequest__Output as _flotilla_membership_v1_JoinRequest__Output } from './flotilla/membership/v1/JoinRequest.js';
import type { JoinResponse as _flotilla_membership_v1_JoinResponse, JoinResponse__Output as _flotilla_membership_v1_JoinResponse__Output } from './flotilla/membership/v1/JoinResponse.js';
import type { LeaveRequest as _flotilla_membership_v1_LeaveRequest, LeaveRequest__Output as _flotilla_membership_v1_LeaveRequest__Output } from './flotilla/membership/v1/LeaveRequest.js';
import type { LeaveResponse as _flotilla_membership_v1_LeaveResponse, LeaveResponse__Output as _flotilla_membership_v1_LeaveResponse__Output } from './flotilla/membership/v1/LeaveResponse.js';
import type { Member as _flotilla_membership_v1_Member, Member__Output as _flotilla_membership_v1_Member__Output } from './flotilla/membership/v1/Member.js';
import type { MemberStatusRequest as _flotilla_membership_v1_MemberStatusRequest, MemberStatusRequest__Output as _flotilla_membership_v1_MemberStatusRequest__Output } from './flotilla/membership/v1/MemberStatusRequest.js';
import type { MemberStatusResponse as _flotilla_membership_v1_MemberStatusResponse, MemberStatusResponse__Output as _flotilla_membership_v1_MemberStatusResponse__Output } from './flotilla/membership/v1/MemberStatusResponse.js';
import type { MembershipClient as _flotilla_membership_v1_MembershipClient, MembershipDefinition as _flotilla_membership_v1_MembershipDefinition } from './flotilla/membership/v1/Membership.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flotilla: {
    membership: {
      v1: {
        JoinRequest: MessageTypeDefinition<_flotilla_membership_v1_JoinRequest, _flotilla_membership_v1_JoinRequest__Output>
        JoinResponse: MessageTypeDefinition<_flotilla_membership_v1_JoinResponse, _flotilla_membership_v1_JoinResponse__Output>
        LeaveRequest: MessageTypeDefinition<_flotilla_membership_v1_LeaveRequest, _flotilla_membership_v1_LeaveRequest__Output>
        LeaveResponse: MessageTypeDefinition<_flotilla_membership_v1_LeaveResponse, _flotilla_membership_v1_LeaveResponse__Output>
        Member: MessageTypeDefinition<_flotilla_membership_v1_Member, _flotilla_membership_v1_Member__Output>
        MemberStatusRequest: MessageTypeDefinition<_flotilla_membership_v1_MemberStatusRequest, _flotilla_membership_v1_MemberStatusRequest__Output>
        MemberStatusResponse: MessageTypeDefinition<_flotilla_membership_v1_MemberStatusResponse, _flotilla_membership_v1_MemberStatusResponse__Output>
        Membership: SubtypeConstructor<typeof grpc.Client, _flotilla_membership_v1_MembershipClient> & { service: _flotilla_membership_v1_MembershipDefinition }
      }
    }
  }
}

