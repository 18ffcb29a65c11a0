// Original file: proto/membership.proto


export interface Member {
  'id'?: (string);
  'address'?: (string);
}

export interface Member__Output {
  'id': (string);
  'address': (string);
}
