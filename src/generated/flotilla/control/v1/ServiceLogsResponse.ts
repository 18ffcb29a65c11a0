// Original file: proto/control.proto

import type { ServiceLogLine as _flotilla_control_v1_ServiceLogLine, ServiceLogLine__Output as _flotilla_control_v1_ServiceLogLine__Output } from '../../../flotilla/control/v1/ServiceLogLine.js';
import type { ServiceLogsWarning as _flotilla_control_v1_ServiceLogsWarning, ServiceLogsWarning__Output as _flotilla_control_v1_ServiceLogsWarning__Output } from '../../../flotilla/control/v1/ServiceLogsWarning.js';

export interface ServiceLogsResponse {
  'lines'?: (_flotilla_control_v1_ServiceLogLine)[];
  'warnings'?: (_flotilla_control_v1_ServiceLogsWarning)[];
}

export interface ServiceLogsResponse__Output {
  'lines': (_flotilla_control_v1_ServiceLogLine__Output)[];
  'warnings': (_flotilla_control_v1_ServiceLogsWarning__Output)[];
}
