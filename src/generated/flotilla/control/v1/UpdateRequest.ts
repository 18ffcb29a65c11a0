// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateRequest {
  'id'?: (string);
  'version'?: (number | string | Long);
  'specJson'?: (Buffer | Uint8Array | string);
  'rollback'?: (boolean);
}

export interface UpdateRequest__Output {
  'id': (string);
  'version': (number);
  'specJson': (Buffer);
  'rollback': (boolean);
}
