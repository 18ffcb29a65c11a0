// Original file: proto/membership.proto


export interface JoinRequest {
  'secret'?: (string);
  'nodeId'?: (string);
  'address'?: (string);
}

export interface JoinRequest__Output {
  'secret': (string);
  'nodeId': (string);
  'address': (string);
}
