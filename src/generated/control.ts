import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminCertificate as _flotilla_control_v1_AdminCertificate, AdminCertificate__Output as _flotilla_control_v1_AdminCertificate__Output } from './flotilla/control/v1/AdminCertificate.js';
import type { AdminCertificateRequest as _flotilla_control_v1_AdminCertificateRequest, AdminCertificateRequest__Output as _flotilla_control_v1_AdminCertificateRequest__Output } from './flotilla/control/v1/AdminCertificateRequest.js';
import type { AdminCertificateResponse as _flotilla_control_v1_AdminCertificateResponse, AdminCertificateResponse__Output as _flotilla_control_v1_AdminCertificateResponse__Output } from './flotilla/control/v1/AdminCertificateResponse.js';
import type { ControlClient as _flotilla_control_v1_ControlClient, ControlDefinition as _flotilla_control_v1_ControlDefinition } from './flotilla/control/v1/Control.js';
import type { CreateRequest as _flotilla_control_v1_CreateRequest, CreateRequest__Output as _flotilla_control_v1_CreateRequest__Output } from './flotilla/control/v1/CreateRequest.js';
import type { GetRequest as _flotilla_control_v1_GetRequest, GetRequest__Output as _flotilla_control_v1_GetRequest__Output } from './flotilla/control/v1/GetRequest.js';
import type { LabelMatch as _flotilla_control_v1_LabelMatch, LabelMatch__Output as _flotilla_control_v1_LabelMatch__Output } from './flotilla/control/v1/LabelMatch.js';
import type { ListAdminCertificatesRequest as _flotilla_control_v1_ListAdminCertificatesRequest, ListAdminCertificatesRequest__Output as _flotilla_control_v1_ListAdminCertificatesRequest__Output } from './flotilla/control/v1/ListAdminCertificatesRequest.js';
import type { ListAdminCertificatesResponse as _flotilla_control_v1_ListAdminCertificatesResponse, ListAdminCertificatesResponse__Output as _flotilla_control_v1_ListAdminCertificatesResponse__Output } from './flotilla/control/v1/ListAdminCertificatesResponse.js';
import type { ListFilter as _flotilla_control_v1_ListFilter, ListFilter__Output as _flotilla_control_v1_ListFilter__Output } from './flotilla/control/v1/ListFilter.js';
import type { ListRequest as _flotilla_control_v1_ListRequest, ListRequest__Output as _flotilla_control_v1_ListRequest__Output } from './flotilla/control/v1/ListRequest.js';
import type { ListResponse as _flotilla_control_v1_ListResponse, ListResponse__Output as _flotilla_control_v1_ListResponse__Output } from './flotilla/control/v1/ListResponse.js';
import type { ObjectResponse as _flotilla_control_v1_ObjectResponse, ObjectResponse__Output as _flotilla_control_v1_ObjectResponse__Output } from './flotilla/control/v1/ObjectResponse.js';
import type { RemoveRequest as _flotilla_control_v1_RemoveRequest, RemoveRequest__Output as _flotilla_control_v1_RemoveRequest__Output } from './flotilla/control/v1/RemoveRequest.js';
import type { RevokeAdminCertificateRequest as _flotilla_control_v1_RevokeAdminCertificateRequest, RevokeAdminCertificateRequest__Output as _flotilla_control_v1_RevokeAdminCertificateRequest__Output } from './flotilla/control/v1/RevokeAdminCertificateRequest.js';
import type { RevokeAdminCertificateResponse as _flotilla_control_v1_RevokeAdminCertificateResponse, RevokeAdminCertificateResponse__Output as _flotilla_control_v1_RevokeAdminCertificateResponse__Output } from './flotilla/control/v1/RevokeAdminCertificateResponse.js';
import type { RotateJoinTokensRequest as _flotilla_control_v1_RotateJoinTokensRequest, RotateJoinTokensRequest__Output as _flotilla_control_v1_RotateJoinTokensRequest__Output } from './flotilla/control/v1/RotateJoinTokensRequest.js';
import type { RotateRootCARequest as _flotilla_control_v1_RotateRootCARequest, RotateRootCARequest__Output as _flotilla_control_v1_RotateRootCARequest__Output } from './flotilla/control/v1/RotateRootCARequest.js';
import type { ServiceLogLine as _flotilla_control_v1_ServiceLogLine, ServiceLogLine__Output as _flotilla_control_v1_ServiceLogLine__Output } from './flotilla/control/v1/ServiceLogLine.js';
import type { ServiceLogsRequest as _flotilla_control_v1_ServiceLogsRequest, ServiceLogsRequest__Output as _flotilla_control_v1_ServiceLogsRequest__Output } from './flotilla/control/v1/ServiceLogsRequest.js';
import type { ServiceLogsResponse as _flotilla_control_v1_ServiceLogsResponse, ServiceLogsResponse__Output as _flotilla_control_v1_ServiceLogsResponse__Output } from './flotilla/control/v1/ServiceLogsResponse.js';
import type { ServiceLogsWarning as _flotilla_control_v1_ServiceLogsWarning, ServiceLogsWarning__Output as _flotilla_control_v1_ServiceLogsWarning__Output } from './flotilla/control/v1/ServiceLogsWarning.js';
import type { UnlockKeyRequest as _flotilla_control_v1_UnlockKeyRequest, UnlockKeyRequest__Output as _flotilla_control_v1_UnlockKeyRequest__Output } from './flotilla/control/v1/UnlockKeyRequest.js';
import type { UnlockKeyResponse as _flotilla_control_v1_UnlockKeyResponse, UnlockKeyResponse__Output as _flotilla_control_v1_UnlockKeyResponse__Output } from './flotilla/control/v1/UnlockKeyResponse.js';
import type { UpdateRequest as _flotilla_control_v1_UpdateRequest, UpdateRequest__Output as _flotilla_control_v1_UpdateRequest__Output } from './flotilla/control/v1/UpdateRequest.js';
import type { WatchEvent as _flotilla_control_v1_WatchEvent, WatchEvent__Output as _flotilla_control_v1_WatchEvent__Output } from './flotilla/control/v1/WatchEvent.js';
import type { WatchRequest as _flotilla_control_v1_WatchRequest, WatchRequest__Output as _flotilla_control_v1_WatchRequest__Output } from './flotilla/control/v1/WatchRequest.js';
import type { WriteResponse as _flotilla_control_v1_WriteResponse, WriteResponse__Output as _flotilla_control_v1_WriteResponse__Output } from './flotilla/control/v1/WriteResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flotilla: {
    control: {
      v1: {
        AdminCertificate: MessageTypeDefinition<_flotilla_control_v1_AdminCertificate, _flotilla_control_v1_AdminCertificate__Output>
        AdminCertificateRequest: MessageTypeDefinition<_flotilla_control_v1_AdminCertificateRequest, _flotilla_control_v1_AdminCertificateRequest__Output>
        AdminCertificateResponse: MessageTypeDefinition<_flotilla_control_v1_AdminCertificateResponse, _flotilla_control_v1_AdminCertificateResponse__Output>
        Control: SubtypeConstructor<typeof grpc.Client, _flotilla_control_v1_ControlClient> & { service: _flotilla_control_v1_ControlDefinition }
        CreateRequest: MessageTypeDefinition<_flotilla_control_v1_CreateRequest, _flotilla_control_v1_CreateRequest__Output>
        GetRequest: MessageTypeDefinition<_flotilla_control_v1_GetRequest, _flotilla_control_v1_GetRequest__Output>
        LabelMatch: MessageTypeDefinition<_flotilla_control_v1_LabelMatch, _flotilla_control_v1_LabelMatch__Output>
        ListAdminCertificatesRequest: MessageTypeDefinition<_flotilla_control_v1_ListAdminCertificatesRequest, _flotilla_control_v1_ListAdminCertificatesRequest__Output>
        ListAdminCertificatesResponse: MessageTypeDefinition<_flotilla_control_v1_ListAdminCertificatesResponse, _flotilla_control_v1_ListAdminCertificatesResponse__Output>
        ListFilter: MessageTypeDefinition<_flotilla_control_v1_ListFilter, _flotilla_control_v1_ListFilter__Output>
        ListRequest: MessageTypeDefinition<_flotilla_control_v1_ListRequest, _flotilla_control_v1_ListRequest__Output>
        ListResponse: MessageTypeDefinition<_flotilla_control_v1_ListResponse, _flotilla_control_v1_ListResponse__Output>
        ObjectResponse: MessageTypeDefinition<_flotilla_control_v1_ObjectResponse, _flotilla_control_v1_ObjectResponse__Output>
        RemoveRequest: MessageTypeDefinition<_flotilla_control_v1_RemoveRequest, _flotilla_control_v1_RemoveRequest__Output>
        RevokeAdminCertificateRequest: MessageTypeDefinition<_flotilla_control_v1_RevokeAdminCertificateRequest, _flotilla_control_v1_RevokeAdminCertificateRequest__Output>
        RevokeAdminCertificateResponse: MessageTypeDefinition<_flotilla_control_v1_RevokeAdminCertificateResponse, _flotilla_control_v1_RevokeAdminCertificateResponse__Output>
        RotateJoinTokensRequest: MessageTypeDefinition<_flotilla_control_v1_RotateJoinTokensRequest, _flotilla_control_v1_RotateJoinTokensRequest__Output>
        RotateRootCARequest: MessageTypeDefinition<_flotilla_control_v1_RotateRootCARequest, _flotilla_control_v1_RotateRootCARequest__Output>
        ServiceLogLine: MessageTypeDefinition<_flotilla_control_v1_ServiceLogLine, _flotilla_control_v1_ServiceLogLine__Output>
        ServiceLogsRequest: MessageTypeDefinition<_flotilla_control_v1_ServiceLogsRequest, _flotilla_control_v1_ServiceLogsRequest__Output>
        ServiceLogsResponse: MessageTypeDefinition<_flotilla_control_v1_ServiceLogsResponse, _flotilla_control_v1_ServiceLogsResponse__Output>
        ServiceLogsWarning: MessageTypeDefinition<_flotilla_control_v1_ServiceLogsWarning, _flotilla_control_v1_ServiceLogsWarning__Output>
        UnlockKeyRequest: MessageTypeDefinition<_flotilla_control_v1_UnlockKeyRequest, _flotilla_control_v1_UnlockKeyRequest__Output>
        UnlockKeyResponse: MessageTypeDefinition<_flotilla_control_v1_UnlockKeyResponse, _flotilla_control_v1_UnlockKeyResponse__Output>
        UpdateRequest: MessageTypeDefinition<_flotilla_control_v1_UpdateRequest, _flotilla_control_v1_UpdateRequest__Output>
        WatchEvent: MessageTypeDefinition<_flotilla_control_v1_WatchEvent, _flotilla_control_v1_WatchEvent__Output>
        WatchRequest: MessageTypeDefinition<_flotilla_control_v1_WatchRequest, _flotilla_control_v1_WatchRequest__Output>
        WriteResponse: MessageTypeDefinition<_flotilla_control_v1_WriteResponse, _flotilla_control_v1_WriteResponse__Output>
      }
    }
  }
}

