// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchEvent {
  'version'?: (number | string | Long);
  'kind'?: (string);
  'type'?: (string);
  'objectJson'?: (Buffer | Uint8Array | string);
  'previousJson'?: (Buffer | Uint8Array | string);
}

export interface WatchEvent__Output {
  'version': (number);
  'kind': (string);
  'type': (string);
  'objectJson': (Buffer);
  'previousJson': (Buffer);
}
