// The Raft peer transport: gRPC streams between managers, and the wire codec behind them.
export {
  GrpcRaftTransport,
  PeerRefusedError,
  TransportStateError,
  raftServerOptions,
  type InboundCallInfo,
  type TransportOptions,
  type TransportStats,
} from './grpc-transport.js';
export {
  MessageDecodeError,
  decodeMessage,
  encodeMessage,
  type DecodeRule,
  type ProtoMessage,
} from './codec.js';
