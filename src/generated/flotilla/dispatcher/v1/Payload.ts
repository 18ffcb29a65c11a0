// Original file: proto/dispatcher.proto


export interface Payload {
  'id'?: (string);
  'name'?: (string);
  'data'?: (Buffer | Uint8Array | string);
}

export interface Payload__Output {
  'id': (string);
  'name': (string);
  'data': (Buffer);
}
