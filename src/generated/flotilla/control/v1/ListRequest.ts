// Original file: proto/control.proto

import type { ListFilter as _flotilla_control_v1_ListFilter, ListFilter__Output as _flotilla_control_v1_ListFilter__Output } from '../../../flotilla/control/v1/ListFilter.js';

export interface ListRequest {
  'filter'?: (_flotilla_control_v1_ListFilter | null);
  'linearizable'?: (boolean);
}

export interface ListRequest__Output {
  'filter': (_flotilla_control_v1_ListFilter__Output | null);
  'linearizable': (boolean);
}
