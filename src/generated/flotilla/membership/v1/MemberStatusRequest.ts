// Original file: proto/membership.proto


export interface MemberStatusRequest {
  'nodeId'?: (string);
}

export interface MemberStatusRequest__Output {
  'nodeId': (string);
}
