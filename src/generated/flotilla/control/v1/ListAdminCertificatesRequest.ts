// Original file: proto/control.proto


export interface ListAdminCertificatesRequest {
  'linearizable'?: (boolean);
}

export interface ListAdminCertificatesRequest__Output {
  'linearizable': (boolean);
}
