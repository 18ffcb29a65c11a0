// Original file: proto/dispatcher.proto


export interface Manager {
  'nodeId'?: (string);
  'addr'?: (string);
  'leader'?: (boolean);
}

export interface Manager__Output {
  'nodeId': (string);
  'addr': (string);
  'leader': (boolean);
}
