import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GetRootCACertificateRequest as _flotilla_ca_v1_GetRootCACertificateRequest, GetRootCACertificateRequest__Output as _flotilla_ca_v1_GetRootCACertificateRequest__Output } from './flotilla/ca/v1/GetRootCACertificateRequest.js';
import type { GetRootCACertificateResponse as _flotilla_ca_v1_GetRootCACertificateResponse, GetRootCACertificateResponse__Output as _flotilla_ca_v1_GetRootCACertificateResponse__Output } from './flotilla/ca/v1/GetRootCACertificateResponse.js';
import type { IssueNodeCertificateRequest as _flotilla_ca_v1_IssueNodeCertificateRequest, IssueNodeCertificateRequest__Output as _flotilla_ca_v1_IssueNodeCertificateRequest__Output } from './flotilla/ca/v1/IssueNodeCertificateRequest.js';
import type { NodeCAClient as _flotilla_ca_v1_NodeCAClient, NodeCADefinition as _flotilla_ca_v1_NodeCADefinition } from './flotilla/ca/v1/NodeCA.js';
import type { NodeCertificateResponse as _flotilla_ca_v1_NodeCertificateResponse, NodeCertificateResponse__Output as _flotilla_ca_v1_NodeCertificateResponse__Output } from './flotilla/ca/v1/NodeCertificateResponse.js';
import type { RenewNodeCertificateRequest as _flotilla_ca_v1_RenewNodeCertificateRequest, RenewNodeCertificateRequest__Output as _flotilla_ca_v1_RenewNodeCertificateRequest__Output } from './flotilla/ca/v1/RenewNodeCertificateRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flotilla: {
    ca: {
      v1: {
        GetRootCACertificateRequest: MessageTypeDefinition<_flotilla_ca_v1_GetRootCACertificateRequest, _flotilla_ca_v1_GetRootCACertificateRequest__Output>
        GetRootCACertificateResponse: MessageTypeDefinition<_flotilla_ca_v1_GetRootCACertificateResponse, _flotilla_ca_v1_GetRootCACertificateResponse__Output>
        IssueNodeCertificateRequest: MessageTypeDefinition<_flotilla_ca_v1_IssueNodeCertificateRequest, _flotilla_ca_v1_IssueNodeCertificateRequest__Output>
        NodeCA: SubtypeConstructor<typeof grpc.Client, _flotilla_ca_v1_NodeCAClient> & { service: _flotilla_ca_v1_NodeCADefinition }
        NodeCertificateResponse: MessageTypeDefinition<_flotilla_ca_v1_NodeCertificateResponse, _flotilla_ca_v1_NodeCertificateResponse__Output>
        RenewNodeCertificateRequest: MessageTypeDefinition<_flotilla_ca_v1_RenewNodeCertificateRequest, _flotilla_ca_v1_RenewNodeCertificateRequest__Output>
      }
    }
  }
}

