// Original file: proto/control.proto

import type { LabelMatch as _flotilla_control_v1_LabelMatch, LabelMatch__Output as _flotilla_control_v1_LabelMatch__Output } from '../../../flotilla/control/v1/LabelMatch.js';

export interface ListFilter {
  'names'?: (string)[];
  'idPrefixes'?: (string)[];
  'labels'?: (_flotilla_control_v1_LabelMatch)[];
  'serviceIds'?: (string)[];
  'nodeIds'?: (string)[];
  'desiredStates'?: (string)[];
}

export interface ListFilter__Output {
  'names': (string)[];
  'idPrefixes': (string)[];
  'labels': (_flotilla_control_v1_LabelMatch__Output)[];
  'serviceIds': (string)[];
  'nodeIds': (string)[];
  'desiredStates': (string)[];
}
