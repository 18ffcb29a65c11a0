// Original file: proto/control.proto

import type { AdminCertificate as _flotilla_control_v1_AdminCertificate, AdminCertificate__Output as _flotilla_control_v1_AdminCertificate__Output } from '../../../flotilla/control/v1/AdminCertificate.js';
import type { Long } from '@grpc/proto-loader';

export interface ListAdminCertificatesResponse {
  'certificates'?: (_flotilla_control_v1_AdminCertificate)[];
  'storeVersion'?: (number | string | Long);
}

export interface ListAdminCertificatesResponse__Output {
  'certificates': (_flotilla_control_v1_AdminCertificate__Output)[];
  'storeVersion': (number);
}
