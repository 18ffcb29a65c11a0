// Original file: proto/dispatcher.proto


export interface PublishLogsResponse {
}

export interface PublishLogsResponse__Output {
}
