// Original file: proto/ca.proto


export interface GetRootCACertificateResponse {
  'certificate'?: (string);
}

export interface GetRootCACertificateResponse__Output {
  'certificate': (string);
}
