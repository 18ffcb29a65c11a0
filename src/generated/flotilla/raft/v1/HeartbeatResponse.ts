// Original file: proto/raft.proto


export interface HeartbeatResponse {
  'context'?: (string);
}

export interface HeartbeatResponse__Output {
  'context': (string);
}
