// Original file: proto/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { MessageBatch as _flotilla_raft_v1_MessageBatch, MessageBatch__Output as _flotilla_raft_v1_MessageBatch__Output } from '../../../flotilla/raft/v1/MessageBatch.js';
import type { RaftMessage as _flotilla_raft_v1_RaftMessage, RaftMessage__Output as _flotilla_raft_v1_RaftMessage__Output } from '../../../flotilla/raft/v1/RaftMessage.js';
import type { SendAck as _flotilla_raft_v1_SendAck, SendAck__Output as _flotilla_raft_v1_SendAck__Output } from '../../../flotilla/raft/v1/SendAck.js';

export interface RaftClient extends grpc.Client {
  Send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  Send(metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  Send(options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  Send(callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  send(metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  send(options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  send(callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_MessageBatch>;
  
  SendSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  SendSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  SendSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  SendSnapshot(callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  sendSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  sendSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  sendSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  sendSnapshot(callback: grpc.requestCallback<_flotilla_raft_v1_SendAck__Output>): grpc.ClientWritableStream<_flotilla_raft_v1_RaftMessage>;
  
}

export interface RaftHandlers extends grpc.UntypedServiceImplementation {
  Send: grpc.handleClientStreamingCall<_flotilla_raft_v1_MessageBatch__Output, _flotilla_raft_v1_SendAck>;
  
  SendSnapshot: grpc.handleClientStreamingCall<_flotilla_raft_v1_RaftMessage__Output, _flotilla_raft_v1_SendAck>;
  
}

export interface RaftDefinition extends grpc.ServiceDefinition {
  Send: MethodDefinition<_flotilla_raft_v1_MessageBatch, _flotilla_raft_v1_SendAck, _flotilla_raft_v1_MessageBatch__Output, _flotilla_raft_v1_SendAck__Output>
  SendSnapshot: MethodDefinition<_flotilla_raft_v1_RaftMessage, _flotilla_raft_v1_SendAck, _flotilla_raft_v1_RaftMessage__Output, _flotilla_raft_v1_SendAck__Output>
}
