// Original file: proto/ca.proto


export interface NodeCertificateResponse {
  'nodeId'?: (string);
  'certificateChain'?: (string);
  'rootCa'?: (string);
  'role'?: (string);
}

export interface NodeCertificateResponse__Output {
  'nodeId': (string);
  'certificateChain': (string);
  'rootCa': (string);
  'role': (string);
}
