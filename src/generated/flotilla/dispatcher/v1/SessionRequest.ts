// Original file: proto/dispatcher.proto


export interface SessionRequest {
  'description'?: (Buffer | Uint8Array | string);
}

export interface SessionRequest__Output {
  'description': (Buffer);
}
