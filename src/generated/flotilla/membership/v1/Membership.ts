// Original file: proto/membership.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { JoinRequest as _flotilla_membership_v1_JoinRequest, JoinRequest__Output as _flotilla_membership_v1_JoinRequest__Output } from '../../../flotilla/membership/v1/JoinRequest.js';
import type { JoinResponse as _flotilla_membership_v1_JoinResponse, JoinResponse__Output as _flotilla_membership_v1_JoinResponse__Output } from '../../../flotilla/membership/v1/JoinResponse.js';
import type { LeaveRequest as _flotilla_membership_v1_LeaveRequest, LeaveRequest__Output as _flotilla_membership_v1_LeaveRequest__Output } from '../../../flotilla/membership/v1/LeaveRequest.js';
import type { LeaveResponse as _flotilla_membership_v1_LeaveResponse, LeaveResponse__Output as _flotilla_membership_v1_LeaveResponse__Output } from '../../../flotilla/membership/v1/LeaveResponse.js';
import type { MemberStatusRequest as _flotilla_membership_v1_MemberStatusRequest, MemberStatusRequest__Output as _flotilla_membership_v1_MemberStatusRequest__Output } from '../../../flotilla/membership/v1/MemberStatusRequest.js';
import type { MemberStatusResponse as _flotilla_membership_v1_MemberStatusResponse, MemberStatusResponse__Output as _flotilla_membership_v1_MemberStatusResponse__Output } from '../../../flotilla/membership/v1/MemberStatusResponse.js';

export interface MembershipClient extends grpc.Client {
  Join(argument: _flotilla_membership_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _flotilla_membership_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _flotilla_membership_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _flotilla_membership_v1_JoinRequest, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _flotilla_membership_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _flotilla_membership_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _flotilla_membership_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _flotilla_membership_v1_JoinRequest, callback: grpc.requestCallback<_flotilla_membership_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  Leave(argument: _flotilla_membership_v1_LeaveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _flotilla_membership_v1_LeaveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _flotilla_membership_v1_LeaveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _flotilla_membership_v1_LeaveRequest, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _flotilla_membership_v1_LeaveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _flotilla_membership_v1_LeaveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _flotilla_membership_v1_LeaveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _flotilla_membership_v1_LeaveRequest, callback: grpc.requestCallback<_flotilla_membership_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  
  MemberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  MemberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  MemberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  MemberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _flotilla_membership_v1_MemberStatusRequest, callback: grpc.requestCallback<_flotilla_membership_v1_MemberStatusResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface MembershipHandlers extends grpc.UntypedServiceImplementation {
  Join: grpc.handleUnaryCall<_flotilla_membership_v1_JoinRequest__Output, _flotilla_membership_v1_JoinResponse>;
  
  Leave: grpc.handleUnaryCall<_flotilla_membership_v1_LeaveRequest__Output, _flotilla_membership_v1_LeaveResponse>;
  
  MemberStatus: grpc.handleUnaryCall<_flotilla_membership_v1_MemberStatusRequest__Output, _flotilla_membership_v1_MemberStatusResponse>;
  
}

export interface MembershipDefinition extends grpc.ServiceDefinition {
  Join: MethodDefinition<_flotilla_membership_v1_JoinRequest, _flotilla_membership_v1_JoinResponse, _flotilla_membership_v1_JoinRequest__Output, _flotilla_membership_v1_JoinResponse__Output>
  Leave: MethodDefinition<_flotilla_membership_v1_LeaveRequest, _flotilla_membership_v1_LeaveResponse, _flotilla_membership_v1_LeaveRequest__Output, _flotilla_membership_v1_LeaveResponse__Output>
  MemberStatus: MethodDefinition<_flotilla_membership_v1_MemberStatusRequest, _flotilla_membership_v1_MemberStatusResponse, _flotilla_membership_v1_MemberStatusRequest__Output, _flotilla_membership_v1_MemberStatusResponse__Output>
}
