// Original file: proto/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ServiceLogLine {
  'taskId'?: (string);
  'serviceId'?: (string);
  'serviceName'?: (string);
  'taskSlot'?: (number);
  'nodeId'?: (string);
  'nodeName'?: (string);
  'stream'?: (string);
  'timeMs'?: (number | string | Long);
  'line'?: (string);
}

export interface ServiceLogLine__Output {
  'taskId': (string);
  'serviceId': (string);
  'serviceName': (string);
  'taskSlot': (number);
  'nodeId': (string);
  'nodeName': (string);
  'stream': (string);
  'timeMs': (number);
  'line': (string);
}
