// Original file: proto/dispatcher.proto

import type { LogLine as _flotilla_dispatcher_v1_LogLine, LogLine__Output as _flotilla_dispatcher_v1_LogLine__Output } from '../../../flotilla/dispatcher/v1/LogLine.js';

export interface PublishLogsMessage {
  'sessionId'?: (string);
  'subscriptionId'?: (string);
  'lines'?: (_flotilla_dispatcher_v1_LogLine)[];
  'close'?: (boolean);
  'error'?: (string);
}

export interface PublishLogsMessage__Output {
  'sessionId': (string);
  'subscriptionId': (string);
  'lines': (_flotilla_dispatcher_v1_LogLine__Output)[];
  'close': (boolean);
  'error': (string);
}
