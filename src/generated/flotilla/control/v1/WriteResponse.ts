// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteResponse {
  'id'?: (string);
  'version'?: (number | string | Long);
  'objectJson'?: (Buffer | Uint8Array | string);
}

export interface WriteResponse__Output {
  'id': (string);
  'version': (number);
  'objectJson': (Buffer);
}
