// Original file: proto/dispatcher.proto

import type { Long } from '@grpc/proto-loader';

export interface LogSubscription {
  'subscriptionId'?: (string);
  'taskIds'?: (string)[];
  'follow'?: (boolean);
  'tail'?: (number | string | Long);
  'sinceMs'?: (number | string | Long);
  'close'?: (boolean);
  '_tail'?: "tail";
}

export interface LogSubscription__Output {
  'subscriptionId': (string);
  'taskIds': (string)[];
  'follow': (boolean);
  'tail'?: (number);
  'sinceMs': (number);
  'close': (boolean);
  '_tail'?: "tail";
}
