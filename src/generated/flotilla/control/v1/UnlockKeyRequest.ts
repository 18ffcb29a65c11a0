// Original file: proto/control.proto


export interface UnlockKeyRequest {
}

export interface UnlockKeyRequest__Output {
}
