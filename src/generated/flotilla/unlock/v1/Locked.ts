// Original file: proto/unlock.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { UnlockRequest as _flotilla_unlock_v1_UnlockRequest, UnlockRequest__Output as _flotilla_unlock_v1_UnlockRequest__Output } from '../../../flotilla/unlock/v1/UnlockRequest.js';
import type { UnlockResponse as _flotilla_unlock_v1_UnlockResponse, UnlockResponse__Output as _flotilla_unlock_v1_UnlockResponse__Output } from '../../../flotilla/unlock/v1/UnlockResponse.js';

export interface LockedClient extends grpc.Client {
  Unlock(argument: _flotilla_unlock_v1_UnlockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  Unlock(argument: _flotilla_unlock_v1_UnlockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  Unlock(argument: _flotilla_unlock_v1_UnlockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  Unlock(argument: _flotilla_unlock_v1_UnlockRequest, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  unlock(argument: _flotilla_unlock_v1_UnlockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  unlock(argument: _flotilla_unlock_v1_UnlockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  unlock(argument: _flotilla_unlock_v1_UnlockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  unlock(argument: _flotilla_unlock_v1_UnlockRequest, callback: grpc.requestCallback<_flotilla_unlock_v1_UnlockResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface LockedHandlers extends grpc.UntypedServiceImplementation {
  Unlock: grpc.handleUnaryCall<_flotilla_unlock_v1_UnlockRequest__Output, _flotilla_unlock_v1_UnlockResponse>;
  
}

export interface LockedDefinition extends grpc.ServiceDefinition {
  Unlock: MethodDefinition<_flotilla_unlock_v1_UnlockRequest, _flotilla_unlock_v1_UnlockResponse, _flotilla_unlock_v1_UnlockRequest__Output, _flotilla_unlock_v1_UnlockResponse__Output>
}
