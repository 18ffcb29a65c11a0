// Original file: proto/membership.proto


export interface JoinRequest {
  'address'?: (string);
}

export interface JoinRequest__Output {
  'address': (string);
}
