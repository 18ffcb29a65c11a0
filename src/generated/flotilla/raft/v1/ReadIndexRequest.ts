// Original file: proto/raft.proto


export interface ReadIndexRequest {
  'context'?: (string);
}

export interface ReadIndexRequest__Output {
  'context': (string);
}
