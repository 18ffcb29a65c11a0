// Original file: proto/dispatcher.proto


export interface EndpointsRequest {
  'sessionId'?: (string);
}

export interface EndpointsRequest__Output {
  'sessionId': (string);
}
