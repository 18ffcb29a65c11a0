// Original file: proto/dispatcher.proto


export interface AssignedTask {
  'task'?: (Buffer | Uint8Array | string);
  'serviceName'?: (string);
  'serviceLabels'?: ({[key: string]: string});
}

export interface AssignedTask__Output {
  'task': (Buffer);
  'serviceName': (string);
  'serviceLabels': ({[key: string]: string});
}
