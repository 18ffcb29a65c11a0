// Original file: proto/control.proto


export interface AdminCertificate {
  'id'?: (string);
  'name'?: (string);
  'serial'?: (string);
  'issuedAt'?: (string);
  'expiresAt'?: (string);
  'revokedAt'?: (string);
}

export interface AdminCertificate__Output {
  'id': (string);
  'name': (string);
  'serial': (string);
  'issuedAt': (string);
  'expiresAt': (string);
  'revokedAt': (string);
}
