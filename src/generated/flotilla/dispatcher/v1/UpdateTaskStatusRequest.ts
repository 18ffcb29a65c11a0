// Original file: proto/dispatcher.proto

import type { TaskStatusUpdate as _flotilla_dispatcher_v1_TaskStatusUpdate, TaskStatusUpdate__Output as _flotilla_dispatcher_v1_TaskStatusUpdate__Output } from '../../../flotilla/dispatcher/v1/TaskStatusUpdate.js';

export interface UpdateTaskStatusRequest {
  'sessionId'?: (string);
  'updates'?: (_flotilla_dispatcher_v1_TaskStatusUpdate)[];
}

export interface UpdateTaskStatusRequest__Output {
  'sessionId': (string);
  'updates': (_flotilla_dispatcher_v1_TaskStatusUpdate__Output)[];
}
