// Original file: proto/control.proto


export interface AdminCertificateRequest {
  'csr'?: (string);
}

export interface AdminCertificateRequest__Output {
  'csr': (string);
}
