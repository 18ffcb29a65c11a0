// Original file: proto/control.proto


export interface RotateRootCARequest {
}

export interface RotateRootCARequest__Output {
}
