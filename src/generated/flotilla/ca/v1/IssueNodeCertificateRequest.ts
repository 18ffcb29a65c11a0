// Original file: proto/ca.proto


export interface IssueNodeCertificateRequest {
  'csr'?: (string);
  'token'?: (string);
  'addr'?: (string);
}

export interface IssueNodeCertificateRequest__Output {
  'csr': (string);
  'token': (string);
  'addr': (string);
}
