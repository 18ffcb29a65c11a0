// Original file: proto/control.proto


export interface RotateJoinTokensRequest {
  'worker'?: (boolean);
  'manager'?: (boolean);
}

export interface RotateJoinTokensRequest__Output {
  'worker': (boolean);
  'manager': (boolean);
}
