// Original file: proto/control.proto


export interface LabelMatch {
  'key'?: (string);
  'value'?: (string);
  '_value'?: "value";
}

export interface LabelMatch__Output {
  'key': (string);
  'value'?: (string);
  '_value'?: "value";
}
