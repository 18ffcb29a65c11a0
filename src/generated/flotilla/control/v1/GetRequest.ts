// Original file: proto/control.proto


export interface GetRequest {
  'id'?: (string);
  'linearizable'?: (boolean);
}

export interface GetRequest__Output {
  'id': (string);
  'linearizable': (boolean);
}
