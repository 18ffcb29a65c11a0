// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ObjectResponse {
  'objectJson'?: (Buffer | Uint8Array | string);
  'storeVersion'?: (number | string | Long);
}

export interface ObjectResponse__Output {
  'objectJson': (Buffer);
  'storeVersion': (number);
}
