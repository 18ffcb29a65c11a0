// Original file: proto/dispatcher.proto

import type { Long } from '@grpc/proto-loader';

export interface LogLine {
  'taskId'?: (string);
  'stream'?: (string);
  'timeMs'?: (number | string | Long);
  'line'?: (string);
}

export interface LogLine__Output {
  'taskId': (string);
  'stream': (string);
  'timeMs': (number);
  'line': (string);
}
