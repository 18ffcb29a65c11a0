// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface RemoveRequest {
  'id'?: (string);
  'version'?: (number | string | Long);
  'force'?: (boolean);
}

export interface RemoveRequest__Output {
  'id': (string);
  'version': (number);
  'force': (boolean);
}
