// Original file: proto/dispatcher.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AssignmentsMessage as _flotilla_dispatcher_v1_AssignmentsMessage, AssignmentsMessage__Output as _flotilla_dispatcher_v1_AssignmentsMessage__Output } from '../../../flotilla/dispatcher/v1/AssignmentsMessage.js';
import type { AssignmentsRequest as _flotilla_dispatcher_v1_AssignmentsRequest, AssignmentsRequest__Output as _flotilla_dispatcher_v1_AssignmentsRequest__Output } from '../../../flotilla/dispatcher/v1/AssignmentsRequest.js';
import type { EndpointsMessage as _flotilla_dispatcher_v1_EndpointsMessage, EndpointsMessage__Output as _flotilla_dispatcher_v1_EndpointsMessage__Output } from '../../../flotilla/dispatcher/v1/EndpointsMessage.js';
import type { EndpointsRequest as _flotilla_dispatcher_v1_EndpointsRequest, EndpointsRequest__Output as _flotilla_dispatcher_v1_EndpointsRequest__Output } from '../../../flotilla/dispatcher/v1/EndpointsRequest.js';
import type { HeartbeatRequest as _flotilla_dispatcher_v1_HeartbeatRequest, HeartbeatRequest__Output as _flotilla_dispatcher_v1_HeartbeatRequest__Output } from '../../../flotilla/dispatcher/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _flotilla_dispatcher_v1_HeartbeatResponse, HeartbeatResponse__Output as _flotilla_dispatcher_v1_HeartbeatResponse__Output } from '../../../flotilla/dispatcher/v1/HeartbeatResponse.js';
import type { LogSubscription as _flotilla_dispatcher_v1_LogSubscription, LogSubscription__Output as _flotilla_dispatcher_v1_LogSubscription__Output } from '../../../flotilla/dispatcher/v1/LogSubscription.js';
import type { LogSubscriptionsRequest as _flotilla_dispatcher_v1_LogSubscriptionsRequest, LogSubscriptionsRequest__Output as _flotilla_dispatcher_v1_LogSubscriptionsRequest__Output } from '../../../flotilla/dispatcher/v1/LogSubscriptionsRequest.js';
import type { PublishLogsMessage as _flotilla_dispatcher_v1_PublishLogsMessage, PublishLogsMessage__Output as _flotilla_dispatcher_v1_PublishLogsMessage__Output } from '../../../flotilla/dispatcher/v1/PublishLogsMessage.js';
import type { PublishLogsResponse as _flotilla_dispatcher_v1_PublishLogsResponse, PublishLogsResponse__Output as _flotilla_dispatcher_v1_PublishLogsResponse__Output } from '../../../flotilla/dispatcher/v1/PublishLogsResponse.js';
import type { SessionMessage as _flotilla_dispatcher_v1_SessionMessage, SessionMessage__Output as _flotilla_dispatcher_v1_SessionMessage__Output } from '../../../flotilla/dispatcher/v1/SessionMessage.js';
import type { SessionRequest as _flotilla_dispatcher_v1_SessionRequest, SessionRequest__Output as _flotilla_dispatcher_v1_SessionRequest__Output } from '../../../flotilla/dispatcher/v1/SessionRequest.js';
import type { UpdateTaskStatusRequest as _flotilla_dispatcher_v1_UpdateTaskStatusRequest, UpdateTaskStatusRequest__Output as _flotilla_dispatcher_v1_UpdateTaskStatusRequest__Output } from '../../../flotilla/dispatcher/v1/UpdateTaskStatusRequest.js';
import type { UpdateTaskStatusResponse as _flotilla_dispatcher_v1_UpdateTaskStatusResponse, UpdateTaskStatusResponse__Output as _flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output } from '../../../flotilla/dispatcher/v1/UpdateTaskStatusResponse.js';

export interface DispatcherClient extends grpc.Client {
  Assignments(argument: _flotilla_dispatcher_v1_AssignmentsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_AssignmentsMessage__Output>;
  Assignments(argument: _flotilla_dispatcher_v1_AssignmentsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_AssignmentsMessage__Output>;
  assignments(argument: _flotilla_dispatcher_v1_AssignmentsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_AssignmentsMessage__Output>;
  assignments(argument: _flotilla_dispatcher_v1_AssignmentsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_AssignmentsMessage__Output>;
  
  Endpoints(argument: _flotilla_dispatcher_v1_EndpointsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_EndpointsMessage__Output>;
  Endpoints(argument: _flotilla_dispatcher_v1_EndpointsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_EndpointsMessage__Output>;
  endpoints(argument: _flotilla_dispatcher_v1_EndpointsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_EndpointsMessage__Output>;
  endpoints(argument: _flotilla_dispatcher_v1_EndpointsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_EndpointsMessage__Output>;
  
  Heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _flotilla_dispatcher_v1_HeartbeatRequest, callback: grpc.requestCallback<_flotilla_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  LogSubscriptions(argument: _flotilla_dispatcher_v1_LogSubscriptionsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_LogSubscription__Output>;
  LogSubscriptions(argument: _flotilla_dispatcher_v1_LogSubscriptionsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_LogSubscription__Output>;
  logSubscriptions(argument: _flotilla_dispatcher_v1_LogSubscriptionsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_LogSubscription__Output>;
  logSubscriptions(argument: _flotilla_dispatcher_v1_LogSubscriptionsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_LogSubscription__Output>;
  
  PublishLogs(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  PublishLogs(metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  PublishLogs(options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  PublishLogs(callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  publishLogs(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  publishLogs(metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  publishLogs(options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  publishLogs(callback: grpc.requestCallback<_flotilla_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_flotilla_dispatcher_v1_PublishLogsMessage>;
  
  Session(argument: _flotilla_dispatcher_v1_SessionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_SessionMessage__Output>;
  Session(argument: _flotilla_dispatcher_v1_SessionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_SessionMessage__Output>;
  session(argument: _flotilla_dispatcher_v1_SessionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_SessionMessage__Output>;
  session(argument: _flotilla_dispatcher_v1_SessionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_dispatcher_v1_SessionMessage__Output>;
  
  UpdateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  updateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  updateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  updateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  updateTaskStatus(argument: _flotilla_dispatcher_v1_UpdateTaskStatusRequest, callback: grpc.requestCallback<_flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface DispatcherHandlers extends grpc.UntypedServiceImplementation {
  Assignments: grpc.handleServerStreamingCall<_flotilla_dispatcher_v1_AssignmentsRequest__Output, _flotilla_dispatcher_v1_AssignmentsMessage>;
  
  Endpoints: grpc.handleServerStreamingCall<_flotilla_dispatcher_v1_EndpointsRequest__Output, _flotilla_dispatcher_v1_EndpointsMessage>;
  
  Heartbeat: grpc.handleUnaryCall<_flotilla_dispatcher_v1_HeartbeatRequest__Output, _flotilla_dispatcher_v1_HeartbeatResponse>;
  
  LogSubscriptions: grpc.handleServerStreamingCall<_flotilla_dispatcher_v1_LogSubscriptionsRequest__Output, _flotilla_dispatcher_v1_LogSubscription>;
  
  PublishLogs: grpc.handleClientStreamingCall<_flotilla_dispatcher_v1_PublishLogsMessage__Output, _flotilla_dispatcher_v1_PublishLogsResponse>;
  
  Session: grpc.handleServerStreamingCall<_flotilla_dispatcher_v1_SessionRequest__Output, _flotilla_dispatcher_v1_SessionMessage>;
  
  UpdateTaskStatus: grpc.handleUnaryCall<_flotilla_dispatcher_v1_UpdateTaskStatusRequest__Output, _flotilla_dispatcher_v1_UpdateTaskStatusResponse>;
  
}

export interface DispatcherDefinition extends grpc.ServiceDefinition {
  Assignments: MethodDefinition<_flotilla_dispatcher_v1_AssignmentsRequest, _flotilla_dispatcher_v1_AssignmentsMessage, _flotilla_dispatcher_v1_AssignmentsRequest__Output, _flotilla_dispatcher_v1_AssignmentsMessage__Output>
  Endpoints: MethodDefinition<_flotilla_dispatcher_v1_EndpointsRequest, _flotilla_dispatcher_v1_EndpointsMessage, _flotilla_dispatcher_v1_EndpointsRequest__Output, _flotilla_dispatcher_v1_EndpointsMessage__Output>
  Heartbeat: MethodDefinition<_flotilla_dispatcher_v1_HeartbeatRequest, _flotilla_dispatcher_v1_HeartbeatResponse, _flotilla_dispatcher_v1_HeartbeatRequest__Output, _flotilla_dispatcher_v1_HeartbeatResponse__Output>
  LogSubscriptions: MethodDefinition<_flotilla_dispatcher_v1_LogSubscriptionsRequest, _flotilla_dispatcher_v1_LogSubscription, _flotilla_dispatcher_v1_LogSubscriptionsRequest__Output, _flotilla_dispatcher_v1_LogSubscription__Output>
  PublishLogs: MethodDefinition<_flotilla_dispatcher_v1_PublishLogsMessage, _flotilla_dispatcher_v1_PublishLogsResponse, _flotilla_dispatcher_v1_PublishLogsMessage__Output, _flotilla_dispatcher_v1_PublishLogsResponse__Output>
  Session: MethodDefinition<_flotilla_dispatcher_v1_SessionRequest, _flotilla_dispatcher_v1_SessionMessage, _flotilla_dispatcher_v1_SessionRequest__Output, _flotilla_dispatcher_v1_SessionMessage__Output>
  UpdateTaskStatus: MethodDefinition<_flotilla_dispatcher_v1_UpdateTaskStatusRequest, _flotilla_dispatcher_v1_UpdateTaskStatusResponse, _flotilla_dispatcher_v1_UpdateTaskStatusRequest__Output, _flotilla_dispatcher_v1_UpdateTaskStatusResponse__Output>
}
