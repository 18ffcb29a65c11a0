// Original file: proto/unlock.proto


export interface UnlockResponse {
}

export interface UnlockResponse__Output {
}
