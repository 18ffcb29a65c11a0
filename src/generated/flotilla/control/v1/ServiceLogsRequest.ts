// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ServiceLogsRequest {
  'service'?: (string);
  'taskIds'?: (string)[];
  'follow'?: (boolean);
  'tail'?: (number);
  'sinceMs'?: (number | string | Long);
  '_tail'?: "tail";
}

export interface ServiceLogsRequest__Output {
  'service': (string);
  'taskIds': (string)[];
  'follow': (boolean);
  'tail'?: (number);
  'sinceMs': (number);
  '_tail'?: "tail";
}
