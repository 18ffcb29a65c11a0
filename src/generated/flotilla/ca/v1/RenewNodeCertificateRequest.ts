// Original file: proto/ca.proto


export interface RenewNodeCertificateRequest {
  'csr'?: (string);
}

export interface RenewNodeCertificateRequest__Output {
  'csr': (string);
}
