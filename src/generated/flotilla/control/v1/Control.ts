// Original file: proto/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AdminCertificateRequest as _flotilla_control_v1_AdminCertificateRequest, AdminCertificateRequest__Output as _flotilla_control_v1_AdminCertificateRequest__Output } from '../../../flotilla/control/v1/AdminCertificateRequest.js';
import type { AdminCertificateResponse as _flotilla_control_v1_AdminCertificateResponse, AdminCertificateResponse__Output as _flotilla_control_v1_AdminCertificateResponse__Output } from '../../../flotilla/control/v1/AdminCertificateResponse.js';
import type { CreateRequest as _flotilla_control_v1_CreateRequest, CreateRequest__Output as _flotilla_control_v1_CreateRequest__Output } from '../../../flotilla/control/v1/CreateRequest.js';
import type { GetRequest as _flotilla_control_v1_GetRequest, GetRequest__Output as _flotilla_control_v1_GetRequest__Output } from '../../../flotilla/control/v1/GetRequest.js';
import type { ListAdminCertificatesRequest as _flotilla_control_v1_ListAdminCertificatesRequest, ListAdminCertificatesRequest__Output as _flotilla_control_v1_ListAdminCertificatesRequest__Output } from '../../../flotilla/control/v1/ListAdminCertificatesRequest.js';
import type { ListAdminCertificatesResponse as _flotilla_control_v1_ListAdminCertificatesResponse, ListAdminCertificatesResponse__Output as _flotilla_control_v1_ListAdminCertificatesResponse__Output } from '../../../flotilla/control/v1/ListAdminCertificatesResponse.js';
import type { ListRequest as _flotilla_control_v1_ListRequest, ListRequest__Output as _flotilla_control_v1_ListRequest__Output } from '../../../flotilla/control/v1/ListRequest.js';
import type { ListResponse as _flotilla_control_v1_ListResponse, ListResponse__Output as _flotilla_control_v1_ListResponse__Output } from '../../../flotilla/control/v1/ListResponse.js';
import type { ObjectResponse as _flotilla_control_v1_ObjectResponse, ObjectResponse__Output as _flotilla_control_v1_ObjectResponse__Output } from '../../../flotilla/control/v1/ObjectResponse.js';
import type { RemoveRequest as _flotilla_control_v1_RemoveRequest, RemoveRequest__Output as _flotilla_control_v1_RemoveRequest__Output } from '../../../flotilla/control/v1/RemoveRequest.js';
import type { RevokeAdminCertificateRequest as _flotilla_control_v1_RevokeAdminCertificateRequest, RevokeAdminCertificateRequest__Output as _flotilla_control_v1_RevokeAdminCertificateRequest__Output } from '../../../flotilla/control/v1/RevokeAdminCertificateRequest.js';
import type { RevokeAdminCertificateResponse as _flotilla_control_v1_RevokeAdminCertificateResponse, RevokeAdminCertificateResponse__Output as _flotilla_control_v1_RevokeAdminCertificateResponse__Output } from '../../../flotilla/control/v1/RevokeAdminCertificateResponse.js';
import type { RotateJoinTokensRequest as _flotilla_control_v1_RotateJoinTokensRequest, RotateJoinTokensRequest__Output as _flotilla_control_v1_RotateJoinTokensRequest__Output } from '../../../flotilla/control/v1/RotateJoinTokensRequest.js';
import type { RotateRootCARequest as _flotilla_control_v1_RotateRootCARequest, RotateRootCARequest__Output as _flotilla_control_v1_RotateRootCARequest__Output } from '../../../flotilla/control/v1/RotateRootCARequest.js';
import type { ServiceLogsRequest as _flotilla_control_v1_ServiceLogsRequest, ServiceLogsRequest__Output as _flotilla_control_v1_ServiceLogsRequest__Output } from '../../../flotilla/control/v1/ServiceLogsRequest.js';
import type { ServiceLogsResponse as _flotilla_control_v1_ServiceLogsResponse, ServiceLogsResponse__Output as _flotilla_control_v1_ServiceLogsResponse__Output } from '../../../flotilla/control/v1/ServiceLogsResponse.js';
import type { UnlockKeyRequest as _flotilla_control_v1_UnlockKeyRequest, UnlockKeyRequest__Output as _flotilla_control_v1_UnlockKeyRequest__Output } from '../../../flotilla/control/v1/UnlockKeyRequest.js';
import type { UnlockKeyResponse as _flotilla_control_v1_UnlockKeyResponse, UnlockKeyResponse__Output as _flotilla_control_v1_UnlockKeyResponse__Output } from '../../../flotilla/control/v1/UnlockKeyResponse.js';
import type { UpdateRequest as _flotilla_control_v1_UpdateRequest, UpdateRequest__Output as _flotilla_control_v1_UpdateRequest__Output } from '../../../flotilla/control/v1/UpdateRequest.js';
import type { WatchEvent as _flotilla_control_v1_WatchEvent, WatchEvent__Output as _flotilla_control_v1_WatchEvent__Output } from '../../../flotilla/control/v1/WatchEvent.js';
import type { WatchRequest as _flotilla_control_v1_WatchRequest, WatchRequest__Output as _flotilla_control_v1_WatchRequest__Output } from '../../../flotilla/control/v1/WatchRequest.js';
import type { WriteResponse as _flotilla_control_v1_WriteResponse, WriteResponse__Output as _flotilla_control_v1_WriteResponse__Output } from '../../../flotilla/control/v1/WriteResponse.js';

export interface ControlClient extends grpc.Client {
  CreateConfig(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateConfig(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateConfig(argument: _flotilla_control_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateConfig(argument: _flotilla_control_v1_CreateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createConfig(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createConfig(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createConfig(argument: _flotilla_control_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createConfig(argument: _flotilla_control_v1_CreateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  CreateSecret(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateSecret(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateSecret(argument: _flotilla_control_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateSecret(argument: _flotilla_control_v1_CreateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createSecret(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createSecret(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createSecret(argument: _flotilla_control_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createSecret(argument: _flotilla_control_v1_CreateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  CreateService(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateService(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateService(argument: _flotilla_control_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreateService(argument: _flotilla_control_v1_CreateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createService(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createService(argument: _flotilla_control_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createService(argument: _flotilla_control_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createService(argument: _flotilla_control_v1_CreateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  GetCluster(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetCluster(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetCluster(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetCluster(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  
  GetConfig(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetConfig(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetConfig(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetConfig(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getConfig(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getConfig(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getConfig(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getConfig(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  
  GetNode(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetNode(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetNode(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetNode(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  
  GetSecret(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetSecret(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetSecret(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetSecret(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getSecret(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getSecret(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getSecret(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getSecret(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  
  GetService(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetService(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetService(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetService(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getService(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getService(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getService(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getService(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  
  GetTask(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getTask(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getTask(argument: _flotilla_control_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getTask(argument: _flotilla_control_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  getTask(argument: _flotilla_control_v1_GetRequest, callback: grpc.requestCallback<_flotilla_control_v1_ObjectResponse__Output>): grpc.ClientUnaryCall;
  
  GetUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  GetUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  GetUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  GetUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  getUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  getUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  getUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  getUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  
  IssueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  IssueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  IssueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  IssueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  issueAdminCertificate(argument: _flotilla_control_v1_AdminCertificateRequest, callback: grpc.requestCallback<_flotilla_control_v1_AdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  
  ListAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  ListAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  ListAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  ListAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  listAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  listAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  listAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  listAdminCertificates(argument: _flotilla_control_v1_ListAdminCertificatesRequest, callback: grpc.requestCallback<_flotilla_control_v1_ListAdminCertificatesResponse__Output>): grpc.ClientUnaryCall;
  
  ListConfigs(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  ListConfigs(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listConfigs(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listConfigs(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  
  ListNodes(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  ListNodes(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listNodes(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listNodes(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  
  ListSecrets(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  ListSecrets(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listSecrets(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listSecrets(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  
  ListServices(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  ListServices(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listServices(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listServices(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  
  ListTasks(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  ListTasks(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listTasks(argument: _flotilla_control_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  listTasks(argument: _flotilla_control_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ListResponse__Output>;
  
  RemoveConfig(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveConfig(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveConfig(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveConfig(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeConfig(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeConfig(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeConfig(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeConfig(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveNode(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveSecret(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveSecret(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveSecret(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveSecret(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeSecret(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeSecret(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeSecret(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeSecret(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveService(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveService(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveService(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RemoveService(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeService(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeService(argument: _flotilla_control_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeService(argument: _flotilla_control_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  removeService(argument: _flotilla_control_v1_RemoveRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  RevokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  RevokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  RevokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  revokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  revokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  revokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  revokeAdminCertificate(argument: _flotilla_control_v1_RevokeAdminCertificateRequest, callback: grpc.requestCallback<_flotilla_control_v1_RevokeAdminCertificateResponse__Output>): grpc.ClientUnaryCall;
  
  RotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateJoinTokens(argument: _flotilla_control_v1_RotateJoinTokensRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  RotateRootCA(argument: _flotilla_control_v1_RotateRootCARequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RotateRootCA(argument: _flotilla_control_v1_RotateRootCARequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RotateRootCA(argument: _flotilla_control_v1_RotateRootCARequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  RotateRootCA(argument: _flotilla_control_v1_RotateRootCARequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateRootCa(argument: _flotilla_control_v1_RotateRootCARequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateRootCa(argument: _flotilla_control_v1_RotateRootCARequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateRootCa(argument: _flotilla_control_v1_RotateRootCARequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  rotateRootCa(argument: _flotilla_control_v1_RotateRootCARequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  RotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  RotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  RotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  RotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  rotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  rotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  rotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  rotateUnlockKey(argument: _flotilla_control_v1_UnlockKeyRequest, callback: grpc.requestCallback<_flotilla_control_v1_UnlockKeyResponse__Output>): grpc.ClientUnaryCall;
  
  ServiceLogs(argument: _flotilla_control_v1_ServiceLogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ServiceLogsResponse__Output>;
  ServiceLogs(argument: _flotilla_control_v1_ServiceLogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ServiceLogsResponse__Output>;
  serviceLogs(argument: _flotilla_control_v1_ServiceLogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ServiceLogsResponse__Output>;
  serviceLogs(argument: _flotilla_control_v1_ServiceLogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_ServiceLogsResponse__Output>;
  
  UpdateCluster(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateCluster(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateCluster(argument: _flotilla_control_v1_UpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateCluster(argument: _flotilla_control_v1_UpdateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateCluster(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateCluster(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateCluster(argument: _flotilla_control_v1_UpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateCluster(argument: _flotilla_control_v1_UpdateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  UpdateNode(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _flotilla_control_v1_UpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _flotilla_control_v1_UpdateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _flotilla_control_v1_UpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _flotilla_control_v1_UpdateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  UpdateService(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateService(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateService(argument: _flotilla_control_v1_UpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  UpdateService(argument: _flotilla_control_v1_UpdateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateService(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateService(argument: _flotilla_control_v1_UpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateService(argument: _flotilla_control_v1_UpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  updateService(argument: _flotilla_control_v1_UpdateRequest, callback: grpc.requestCallback<_flotilla_control_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  Watch(argument: _flotilla_control_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_WatchEvent__Output>;
  Watch(argument: _flotilla_control_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_WatchEvent__Output>;
  watch(argument: _flotilla_control_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_WatchEvent__Output>;
  watch(argument: _flotilla_control_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_control_v1_WatchEvent__Output>;
  
}

export interface ControlHandlers extends grpc.UntypedServiceImplementation {
  CreateConfig: grpc.handleUnaryCall<_flotilla_control_v1_CreateRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  CreateSecret: grpc.handleUnaryCall<_flotilla_control_v1_CreateRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  CreateService: grpc.handleUnaryCall<_flotilla_control_v1_CreateRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  GetCluster: grpc.handleUnaryCall<_flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse>;
  
  GetConfig: grpc.handleUnaryCall<_flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse>;
  
  GetNode: grpc.handleUnaryCall<_flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse>;
  
  GetSecret: grpc.handleUnaryCall<_flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse>;
  
  GetService: grpc.handleUnaryCall<_flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse>;
  
  GetTask: grpc.handleUnaryCall<_flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse>;
  
  GetUnlockKey: grpc.handleUnaryCall<_flotilla_control_v1_UnlockKeyRequest__Output, _flotilla_control_v1_UnlockKeyResponse>;
  
  IssueAdminCertificate: grpc.handleUnaryCall<_flotilla_control_v1_AdminCertificateRequest__Output, _flotilla_control_v1_AdminCertificateResponse>;
  
  ListAdminCertificates: grpc.handleUnaryCall<_flotilla_control_v1_ListAdminCertificatesRequest__Output, _flotilla_control_v1_ListAdminCertificatesResponse>;
  
  ListConfigs: grpc.handleServerStreamingCall<_flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse>;
  
  ListNodes: grpc.handleServerStreamingCall<_flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse>;
  
  ListSecrets: grpc.handleServerStreamingCall<_flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse>;
  
  ListServices: grpc.handleServerStreamingCall<_flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse>;
  
  ListTasks: grpc.handleServerStreamingCall<_flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse>;
  
  RemoveConfig: grpc.handleUnaryCall<_flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  RemoveNode: grpc.handleUnaryCall<_flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  RemoveSecret: grpc.handleUnaryCall<_flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  RemoveService: grpc.handleUnaryCall<_flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  RevokeAdminCertificate: grpc.handleUnaryCall<_flotilla_control_v1_RevokeAdminCertificateRequest__Output, _flotilla_control_v1_RevokeAdminCertificateResponse>;
  
  RotateJoinTokens: grpc.handleUnaryCall<_flotilla_control_v1_RotateJoinTokensRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  RotateRootCA: grpc.handleUnaryCall<_flotilla_control_v1_RotateRootCARequest__Output, _flotilla_control_v1_WriteResponse>;
  
  RotateUnlockKey: grpc.handleUnaryCall<_flotilla_control_v1_UnlockKeyRequest__Output, _flotilla_control_v1_UnlockKeyResponse>;
  
  ServiceLogs: grpc.handleServerStreamingCall<_flotilla_control_v1_ServiceLogsRequest__Output, _flotilla_control_v1_ServiceLogsResponse>;
  
  UpdateCluster: grpc.handleUnaryCall<_flotilla_control_v1_UpdateRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  UpdateNode: grpc.handleUnaryCall<_flotilla_control_v1_UpdateRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  UpdateService: grpc.handleUnaryCall<_flotilla_control_v1_UpdateRequest__Output, _flotilla_control_v1_WriteResponse>;
  
  Watch: grpc.handleServerStreamingCall<_flotilla_control_v1_WatchRequest__Output, _flotilla_control_v1_WatchEvent>;
  
}

export interface ControlDefinition extends grpc.ServiceDefinition {
  CreateConfig: MethodDefinition<_flotilla_control_v1_CreateRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_CreateRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  CreateSecret: MethodDefinition<_flotilla_control_v1_CreateRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_CreateRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  CreateService: MethodDefinition<_flotilla_control_v1_CreateRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_CreateRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  GetCluster: MethodDefinition<_flotilla_control_v1_GetRequest, _flotilla_control_v1_ObjectResponse, _flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse__Output>
  GetConfig: MethodDefinition<_flotilla_control_v1_GetRequest, _flotilla_control_v1_ObjectResponse, _flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse__Output>
  GetNode: MethodDefinition<_flotilla_control_v1_GetRequest, _flotilla_control_v1_ObjectResponse, _flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse__Output>
  GetSecret: MethodDefinition<_flotilla_control_v1_GetRequest, _flotilla_control_v1_ObjectResponse, _flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse__Output>
  GetService: MethodDefinition<_flotilla_control_v1_GetRequest, _flotilla_control_v1_ObjectResponse, _flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse__Output>
  GetTask: MethodDefinition<_flotilla_control_v1_GetRequest, _flotilla_control_v1_ObjectResponse, _flotilla_control_v1_GetRequest__Output, _flotilla_control_v1_ObjectResponse__Output>
  GetUnlockKey: MethodDefinition<_flotilla_control_v1_UnlockKeyRequest, _flotilla_control_v1_UnlockKeyResponse, _flotilla_control_v1_UnlockKeyRequest__Output, _flotilla_control_v1_UnlockKeyResponse__Output>
  IssueAdminCertificate: MethodDefinition<_flotilla_control_v1_AdminCertificateRequest, _flotilla_control_v1_AdminCertificateResponse, _flotilla_control_v1_AdminCertificateRequest__Output, _flotilla_control_v1_AdminCertificateResponse__Output>
  ListAdminCertificates: MethodDefinition<_flotilla_control_v1_ListAdminCertificatesRequest, _flotilla_control_v1_ListAdminCertificatesResponse, _flotilla_control_v1_ListAdminCertificatesRequest__Output, _flotilla_control_v1_ListAdminCertificatesResponse__Output>
  ListConfigs: MethodDefinition<_flotilla_control_v1_ListRequest, _flotilla_control_v1_ListResponse, _flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse__Output>
  ListNodes: MethodDefinition<_flotilla_control_v1_ListRequest, _flotilla_control_v1_ListResponse, _flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse__Output>
  ListSecrets: MethodDefinition<_flotilla_control_v1_ListRequest, _flotilla_control_v1_ListResponse, _flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse__Output>
  ListServices: MethodDefinition<_flotilla_control_v1_ListRequest, _flotilla_control_v1_ListResponse, _flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse__Output>
  ListTasks: MethodDefinition<_flotilla_control_v1_ListRequest, _flotilla_control_v1_ListResponse, _flotilla_control_v1_ListRequest__Output, _flotilla_control_v1_ListResponse__Output>
  RemoveConfig: MethodDefinition<_flotilla_control_v1_RemoveRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  RemoveNode: MethodDefinition<_flotilla_control_v1_RemoveRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  RemoveSecret: MethodDefinition<_flotilla_control_v1_RemoveRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  RemoveService: MethodDefinition<_flotilla_control_v1_RemoveRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_RemoveRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  RevokeAdminCertificate: MethodDefinition<_flotilla_control_v1_RevokeAdminCertificateRequest, _flotilla_control_v1_RevokeAdminCertificateResponse, _flotilla_control_v1_RevokeAdminCertificateRequest__Output, _flotilla_control_v1_RevokeAdminCertificateResponse__Output>
  RotateJoinTokens: MethodDefinition<_flotilla_control_v1_RotateJoinTokensRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_RotateJoinTokensRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  RotateRootCA: MethodDefinition<_flotilla_control_v1_RotateRootCARequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_RotateRootCARequest__Output, _flotilla_control_v1_WriteResponse__Output>
  RotateUnlockKey: MethodDefinition<_flotilla_control_v1_UnlockKeyRequest, _flotilla_control_v1_UnlockKeyResponse, _flotilla_control_v1_UnlockKeyRequest__Output, _flotilla_control_v1_UnlockKeyResponse__Output>
  ServiceLogs: MethodDefinition<_flotilla_control_v1_ServiceLogsRequest, _flotilla_control_v1_ServiceLogsResponse, _flotilla_control_v1_ServiceLogsRequest__Output, _flotilla_control_v1_ServiceLogsResponse__Output>
  UpdateCluster: MethodDefinition<_flotilla_control_v1_UpdateRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_UpdateRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  UpdateNode: MethodDefinition<_flotilla_control_v1_UpdateRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_UpdateRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  UpdateService: MethodDefinition<_flotilla_control_v1_UpdateRequest, _flotilla_control_v1_WriteResponse, _flotilla_control_v1_UpdateRequest__Output, _flotilla_control_v1_WriteResponse__Output>
  Watch: MethodDefinition<_flotilla_control_v1_WatchRequest, _flotilla_control_v1_WatchEvent, _flotilla_control_v1_WatchRequest__Output, _flotilla_control_v1_WatchEvent__Output>
}
