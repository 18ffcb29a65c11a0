// Original file: proto/membership.proto


export interface LeaveRequest {
  'secret'?: (string);
  'nodeId'?: (string);
}

export interface LeaveRequest__Output {
  'secret': (string);
  'nodeId': (string);
}
