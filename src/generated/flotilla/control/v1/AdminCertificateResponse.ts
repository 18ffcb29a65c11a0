// Original file: proto/control.proto


export interface AdminCertificateResponse {
  'id'?: (string);
  'certificateChain'?: (string);
  'rootCa'?: (string);
}

export interface AdminCertificateResponse__Output {
  'id': (string);
  'certificateChain': (string);
  'rootCa': (string);
}
