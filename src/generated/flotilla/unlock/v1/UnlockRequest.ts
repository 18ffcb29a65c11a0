// Original file: proto/unlock.proto


export interface UnlockRequest {
  'unlockKey'?: (string);
}

export interface UnlockRequest__Output {
  'unlockKey': (string);
}
