// Original file: proto/dispatcher.proto


export interface SessionRequest {
  'description'?: (Buffer | Uint8Array | string);
  'addr'?: (string);
}

export interface SessionRequest__Output {
  'description': (Buffer);
  'addr': (string);
}
