// Original file: proto/membership.proto


export interface LeaveResponse {
}

export interface LeaveResponse__Output {
}
