// Original file: proto/control.proto


export interface RevokeAdminCertificateRequest {
  'id'?: (string);
}

export interface RevokeAdminCertificateRequest__Output {
  'id': (string);
}
