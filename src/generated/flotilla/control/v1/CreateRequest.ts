// Original file: proto/control.proto


export interface CreateRequest {
  'specJson'?: (Buffer | Uint8Array | string);
  'data'?: (Buffer | Uint8Array | string);
}

export interface CreateRequest__Output {
  'specJson': (Buffer);
  'data': (Buffer);
}
