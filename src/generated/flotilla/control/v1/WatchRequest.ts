// Original file: proto/control.proto

import type { LabelMatch as _flotilla_control_v1_LabelMatch, LabelMatch__Output as _flotilla_control_v1_LabelMatch__Output } from '../../../flotilla/control/v1/LabelMatch.js';
import type { Long } from '@grpc/proto-loader';

export interface WatchRequest {
  'kinds'?: (string)[];
  'ids'?: (string)[];
  'labels'?: (_flotilla_control_v1_LabelMatch)[];
  'types'?: (string)[];
  'fromVersion'?: (number | string | Long);
  '_fromVersion'?: "fromVersion";
}

export interface WatchRequest__Output {
  'kinds': (string)[];
  'ids': (string)[];
  'labels': (_flotilla_control_v1_LabelMatch__Output)[];
  'types': (string)[];
  'fromVersion'?: (number);
  '_fromVersion'?: "fromVersion";
}
