// Original file: proto/control.proto

import type { AdminCertificate as _flotilla_control_v1_AdminCertificate, AdminCertificate__Output as _flotilla_control_v1_AdminCertificate__Output } from '../../../flotilla/control/v1/AdminCertificate.js';
import type { Long } from '@grpc/proto-loader';

export interface RevokeAdminCertificateResponse {
  'certificate'?: (_flotilla_control_v1_AdminCertificate | null);
  'version'?: (number | string | Long);
}

export interface RevokeAdminCertificateResponse__Output {
  'certificate': (_flotilla_control_v1_AdminCertificate__Output | null);
  'version': (number);
}
