// Original file: proto/membership.proto


export interface LeaveRequest {
  'nodeId'?: (string);
}

export interface LeaveRequest__Output {
  'nodeId': (string);
}
