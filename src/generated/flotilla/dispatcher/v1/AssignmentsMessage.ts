// Original file: proto/dispatcher.proto

import type { AssignedTask as _flotilla_dispatcher_v1_AssignedTask, AssignedTask__Output as _flotilla_dispatcher_v1_AssignedTask__Output } from '../../../flotilla/dispatcher/v1/AssignedTask.js';
import type { Payload as _flotilla_dispatcher_v1_Payload, Payload__Output as _flotilla_dispatcher_v1_Payload__Output } from '../../../flotilla/dispatcher/v1/Payload.js';

// Original file: proto/dispatcher.proto

export const _flotilla_dispatcher_v1_AssignmentsMessage_Type = {
  COMPLETE: 'COMPLETE',
  INCREMENTAL: 'INCREMENTAL',
} as const;

export type _flotilla_dispatcher_v1_AssignmentsMessage_Type =
  | 'COMPLETE'
  | 0
  | 'INCREMENTAL'
  | 1

export type _flotilla_dispatcher_v1_AssignmentsMessage_Type__Output = typeof _flotilla_dispatcher_v1_AssignmentsMessage_Type[keyof typeof _flotilla_dispatcher_v1_AssignmentsMessage_Type]

export interface AssignmentsMessage {
  'type'?: (_flotilla_dispatcher_v1_AssignmentsMessage_Type);
  'tasks'?: (_flotilla_dispatcher_v1_AssignedTask)[];
  'removedTasks'?: (string)[];
  'secrets'?: (_flotilla_dispatcher_v1_Payload)[];
  'removedSecrets'?: (string)[];
  'configs'?: (_flotilla_dispatcher_v1_Payload)[];
  'removedConfigs'?: (string)[];
}

export interface AssignmentsMessage__Output {
  'type': (_flotilla_dispatcher_v1_AssignmentsMessage_Type__Output);
  'tasks': (_flotilla_dispatcher_v1_AssignedTask__Output)[];
  'removedTasks': (string)[];
  'secrets': (_flotilla_dispatcher_v1_Payload__Output)[];
  'removedSecrets': (string)[];
  'configs': (_flotilla_dispatcher_v1_Payload__Output)[];
  'removedConfigs': (string)[];
}
