// Original file: proto/dispatcher.proto

import type { Manager as _flotilla_dispatcher_v1_Manager, Manager__Output as _flotilla_dispatcher_v1_Manager__Output } from '../../../flotilla/dispatcher/v1/Manager.js';
import type { Long } from '@grpc/proto-loader';

export interface SessionMessage {
  'sessionId'?: (string);
  'nodeId'?: (string);
  'heartbeatPeriodMs'?: (number | string | Long);
  'managers'?: (_flotilla_dispatcher_v1_Manager)[];
  'trustedRoots'?: (string);
  'signingRoot'?: (string);
  'role'?: (string);
}

export interface SessionMessage__Output {
  'sessionId': (string);
  'nodeId': (string);
  'heartbeatPeriodMs': (number);
  'managers': (_flotilla_dispatcher_v1_Manager__Output)[];
  'trustedRoots': (string);
  'signingRoot': (string);
  'role': (string);
}
