// Original file: proto/raft.proto


export interface TimeoutNow {
}

export interface TimeoutNow__Output {
}
