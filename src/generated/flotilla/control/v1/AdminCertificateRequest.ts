// Original file: proto/control.proto


export interface AdminCertificateRequest {
  'csr'?: (string);
  'name'?: (string);
}

export interface AdminCertificateRequest__Output {
  'csr': (string);
  'name': (string);
}
