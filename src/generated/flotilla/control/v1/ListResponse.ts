// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ListResponse {
  'objectsJson'?: (Buffer | Uint8Array | string)[];
  'storeVersion'?: (number | string | Long);
}

export interface ListResponse__Output {
  'objectsJson': (Buffer)[];
  'storeVersion': (number);
}
