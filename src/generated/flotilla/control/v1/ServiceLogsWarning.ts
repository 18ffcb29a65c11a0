// Original file: proto/control.proto


export interface ServiceLogsWarning {
  'nodeId'?: (string);
  'message'?: (string);
}

export interface ServiceLogsWarning__Output {
  'nodeId': (string);
  'message': (string);
}
