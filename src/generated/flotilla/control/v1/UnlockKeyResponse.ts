// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface UnlockKeyResponse {
  'unlockKey'?: (string);
  'version'?: (number | string | Long);
}

export interface UnlockKeyResponse__Output {
  'unlockKey': (string);
  'version': (number);
}
