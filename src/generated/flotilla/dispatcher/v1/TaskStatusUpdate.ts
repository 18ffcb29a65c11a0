// Original file: proto/dispatcher.proto


export interface TaskStatusUpdate {
  'taskId'?: (string);
  'status'?: (Buffer | Uint8Array | string);
}

export interface TaskStatusUpdate__Output {
  'taskId': (string);
  'status': (Buffer);
}
