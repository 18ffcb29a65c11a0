// The Raft gRPC service: its method paths and (de)serializers, and the options a server hosting
// it needs (message size limits, keepalive). Shared by the transport's client and server sides.

import * as grpc from '@grpc/grpc-js';
import {
  deserializeAck,
  deserializeBatch,
  deserializeMessage,
  serializeAck,
  serializeBatch,
  serializeMessage,
} from './codec.js';

export const defaultMaxMessageBytes = 16 * 1024 * 1024;
export const keepaliveTimeMs = 10_000;
export const keepaliveTimeoutMs = 5_000;

/** Options a server hosting the Raft service needs: message size limits and keepalive. */
export function raftServerOptions(options: { maxMessageBytes?: number } = {}): grpc.ServerOptions {
  const max = options.maxMessageBytes ?? defaultMaxMessageBytes;
  return {
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
    // Ping clients too, so the streams of a peer that vanished are released.
    'grpc.keepalive_time_ms': keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
  };
}

export const sendPath = '/flotilla.raft.v1.Raft/Send';
export const sendSnapshotPath = '/flotilla.raft.v1.Raft/SendSnapshot';

/**
 * The Raft service with the codec's (de)serializers: the client writes core messages, the server
 * reads frames that never fail to deserialize (a malformed one is reported, not thrown, so the
 * stream it came on survives).
 */
export const raftService: grpc.ServiceDefinition = {
  Send: {
    path: sendPath,
    requestStream: true,
    responseStream: false,
    requestSerialize: serializeBatch,
    requestDeserialize: deserializeBatch,
    responseSerialize: serializeAck,
    responseDeserialize: deserializeAck,
  },
  SendSnapshot: {
    path: sendSnapshotPath,
    requestStream: true,
    responseStream: false,
    requestSerialize: serializeMessage,
    requestDeserialize: deserializeMessage,
    responseSerialize: serializeAck,
    responseDeserialize: deserializeAck,
  },
};
