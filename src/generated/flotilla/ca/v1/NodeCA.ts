// Original file: proto/ca.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetRootCACertificateRequest as _flotilla_ca_v1_GetRootCACertificateRequest, GetRootCACertificateRequest__Output as _flotilla_ca_v1_GetRootCACertificateRequest__Output } from '../../../flotilla/ca/v1/GetRootCACertificateRequest.js';
import type { GetRootCACertificateResponse as _flotilla_ca_v1_GetRootCACertificateResponse, GetRootCACertificateResponse__Output as _flotilla_ca_v1_GetRootCACertificateResponse__Output } from '../../../flotilla/ca/v1/GetRootCACertificateResponse.js';
import type { IssueNodeCertificateRequest as _flotilla_ca_v1_IssueNodeCertificateRequest, IssueNodeCertificateRequest__Output as _flotilla_ca_v1_IssueNodeCertificateRequest__Output } from '../../../flotilla/ca/v1/IssueNodeCertificateRequest.js';
import type { NodeCertificateResponse as _flotilla_ca_v1_NodeCertificateResponse, NodeCertificateResponse__Output as _flotilla_ca_v1_NodeCertificateResponse__Output } from '../../../flotilla/ca/v1/NodeCertificateResponse.js';
import type { RenewNodeCertificateRequest as _flotilla_ca_v1_RenewNodeCertificateRequest, RenewNodeCertificateRequest__Output as _flotilla_ca_v1_RenewNodeCertificateRequest__Output } from '../../../flotilla/ca/v1/RenewNodeCertificateRequest.js';

export interface NodeCAClient extends grpc.Client {
  GetRootCACertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  GetRootCACertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  GetRootCACertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  GetRootCACertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  getRootCaCertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  getRootCaCertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  getRootCaCertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  getRootCaCertificate(argument: _flotilla_ca_v1_GetRootCACertificateRequest, callback: grpc.requestCallback<_flotilla_ca_v1_GetRootCACertificateResponse__Output>): grpc.ClientUnaryCall;
  
  IssueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  IssueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  IssueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  IssueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueNodeCertificate(argument: _flotilla_ca_v1_IssueNodeCertificateRequest, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  
  RenewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewNodeCertificate(argument: _flotilla_ca_v1_RenewNodeCertificateRequest, callback: grpc.requestCallback<_flotilla_ca_v1_NodeCertificateResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface NodeCAHandlers extends grpc.UntypedServiceImplementation {
  GetRootCACertificate: grpc.handleUnaryCall<_flotilla_ca_v1_GetRootCACertificateRequest__Output, _flotilla_ca_v1_GetRootCACertificateResponse>;
  
  IssueNodeCertificate: grpc.handleUnaryCall<_flotilla_ca_v1_IssueNodeCertificateRequest__Output, _flotilla_ca_v1_NodeCertificateResponse>;
  
  RenewNodeCertificate: grpc.handleUnaryCall<_flotilla_ca_v1_RenewNodeCertificateRequest__Output, _flotilla_ca_v1_NodeCertificateResponse>;
  
}

export interface NodeCADefinition extends grpc.ServiceDefinition {
  GetRootCACertificate: MethodDefinition<_flotilla_ca_v1_GetRootCACertificateRequest, _flotilla_ca_v1_GetRootCACertificateResponse, _flotilla_ca_v1_GetRootCACertificateRequest__Output, _flotilla_ca_v1_GetRootCACertificateResponse__Output>
  IssueNodeCertificate: MethodDefinition<_flotilla_ca_v1_IssueNodeCertificateRequest, _flotilla_ca_v1_NodeCertificateResponse, _flotilla_ca_v1_IssueNodeCertificateRequest__Output, _flotilla_ca_v1_NodeCertificateResponse__Output>
  RenewNodeCertificate: MethodDefinition<_flotilla_ca_v1_RenewNodeCertificateRequest, _flotilla_ca_v1_NodeCertificateResponse, _flotilla_ca_v1_RenewNodeCertificateRequest__Output, _flotilla_ca_v1_NodeCertificateResponse__Output>
}
