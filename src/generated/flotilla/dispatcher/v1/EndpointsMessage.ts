// Original file: proto/dispatcher.proto


export interface EndpointsMessage {
  'tableJson'?: (Buffer | Uint8Array | string);
  'deltaJson'?: (Buffer | Uint8Array | string);
}

export interface EndpointsMessage__Output {
  'tableJson': (Buffer);
  'deltaJson': (Buffer);
}
