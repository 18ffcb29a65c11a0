// The control API on the wire (proto/control.proto): the method table, protobufjs (de)serializers
// and the gRPC service definition shared by the server and FlotillaClient. The server's request
// deserializers never throw: a frame that does not decode is handed to the handler as such and
// answered with INVALID_ARGUMENT, instead of grpc-js's generic INTERNAL.

import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { protoFilePath } from '../../util/proto-files.js';
import type {
  CreateRequest,
  CreateRequest__Output,
} from '../../generated/flotilla/control/v1/CreateRequest.js';
import type { GetRequest, GetRequest__Output } from '../../generated/flotilla/control/v1/GetRequest.js';
import type { ListRequest, ListRequest__Output } from '../../generated/flotilla/control/v1/ListRequest.js';
import type { ListResponse, ListResponse__Output } from '../../generated/flotilla/control/v1/ListResponse.js';
import type {
  ObjectResponse,
  ObjectResponse__Output,
} from '../../generated/flotilla/control/v1/ObjectResponse.js';
import type {
  RemoveRequest,
  RemoveRequest__Output,
} from '../../generated/flotilla/control/v1/RemoveRequest.js';
import type {
  UpdateRequest,
  UpdateRequest__Output,
} from '../../generated/flotilla/control/v1/UpdateRequest.js';
import type {
  RotateJoinTokensRequest,
  RotateJoinTokensRequest__Output,
} from '../../generated/flotilla/control/v1/RotateJoinTokensRequest.js';
import type {
  AdminCertificateRequest,
  AdminCertificateRequest__Output,
} from '../../generated/flotilla/control/v1/AdminCertificateRequest.js';
import type {
  AdminCertificateResponse,
  AdminCertificateResponse__Output,
} from '../../generated/flotilla/control/v1/AdminCertificateResponse.js';
import type {
  ListAdminCertificatesRequest,
  ListAdminCertificatesRequest__Output,
} from '../../generated/flotilla/control/v1/ListAdminCertificatesRequest.js';
import type {
  ListAdminCertificatesResponse,
  ListAdminCertificatesResponse__Output,
} from '../../generated/flotilla/control/v1/ListAdminCertificatesResponse.js';
import type {
  RevokeAdminCertificateRequest,
  RevokeAdminCertificateRequest__Output,
} from '../../generated/flotilla/control/v1/RevokeAdminCertificateRequest.js';
import type {
  RevokeAdminCertificateResponse,
  RevokeAdminCertificateResponse__Output,
} from '../../generated/flotilla/control/v1/RevokeAdminCertificateResponse.js';
import type {
  RotateRootCARequest,
  RotateRootCARequest__Output,
} from '../../generated/flotilla/control/v1/RotateRootCARequest.js';
import type {
  UnlockKeyRequest,
  UnlockKeyRequest__Output,
} from '../../generated/flotilla/control/v1/UnlockKeyRequest.js';
import type {
  UnlockKeyResponse,
  UnlockKeyResponse__Output,
} from '../../generated/flotilla/control/v1/UnlockKeyResponse.js';
import type {
  ServiceLogsRequest,
  ServiceLogsRequest__Output,
} from '../../generated/flotilla/control/v1/ServiceLogsRequest.js';
import type {
  ServiceLogsResponse,
  ServiceLogsResponse__Output,
} from '../../generated/flotilla/control/v1/ServiceLogsResponse.js';
import type { WatchEvent, WatchEvent__Output } from '../../generated/flotilla/control/v1/WatchEvent.js';
import type { WatchRequest, WatchRequest__Output } from '../../generated/flotilla/control/v1/WatchRequest.js';
import type {
  WriteResponse,
  WriteResponse__Output,
} from '../../generated/flotilla/control/v1/WriteResponse.js';

/** Each message: [what a sender may write, what a receiver reads]. */
interface Messages {
  CreateRequest: [CreateRequest, CreateRequest__Output];
  GetRequest: [GetRequest, GetRequest__Output];
  ListRequest: [ListRequest, ListRequest__Output];
  UpdateRequest: [UpdateRequest, UpdateRequest__Output];
  RemoveRequest: [RemoveRequest, RemoveRequest__Output];
  WatchRequest: [WatchRequest, WatchRequest__Output];
  RotateJoinTokensRequest: [RotateJoinTokensRequest, RotateJoinTokensRequest__Output];
  UnlockKeyRequest: [UnlockKeyRequest, UnlockKeyRequest__Output];
  RotateRootCARequest: [RotateRootCARequest, RotateRootCARequest__Output];
  AdminCertificateRequest: [AdminCertificateRequest, AdminCertificateRequest__Output];
  AdminCertificateResponse: [AdminCertificateResponse, AdminCertificateResponse__Output];
  ListAdminCertificatesRequest: [ListAdminCertificatesRequest, ListAdminCertificatesRequest__Output];
  ListAdminCertificatesResponse: [ListAdminCertificatesResponse, ListAdminCertificatesResponse__Output];
  RevokeAdminCertificateRequest: [RevokeAdminCertificateRequest, RevokeAdminCertificateRequest__Output];
  RevokeAdminCertificateResponse: [RevokeAdminCertificateResponse, RevokeAdminCertificateResponse__Output];
  UnlockKeyResponse: [UnlockKeyResponse, UnlockKeyResponse__Output];
  ObjectResponse: [ObjectResponse, ObjectResponse__Output];
  ListResponse: [ListResponse, ListResponse__Output];
  WriteResponse: [WriteResponse, WriteResponse__Output];
  WatchEvent: [WatchEvent, WatchEvent__Output];
  ServiceLogsRequest: [ServiceLogsRequest, ServiceLogsRequest__Output];
  ServiceLogsResponse: [ServiceLogsResponse, ServiceLogsResponse__Output];
}
type MessageName = keyof Messages;

const unary = <Req extends MessageName, Res extends MessageName>(request: Req, response: Res) =>
  ({ request, response, stream: false }) as const;
/** Lists answer with a stream of chunks (see ListResponse in proto/control.proto). */
const list = { request: 'ListRequest', response: 'ListResponse', stream: true } as const;

export const CONTROL_METHODS = {
  CreateService: unary('CreateRequest', 'WriteResponse'),
  GetService: unary('GetRequest', 'ObjectResponse'),
  ListServices: list,
  UpdateService: unary('UpdateRequest', 'WriteResponse'),
  RemoveService: unary('RemoveRequest', 'WriteResponse'),
  GetTask: unary('GetRequest', 'ObjectResponse'),
  ListTasks: list,
  GetNode: unary('GetRequest', 'ObjectResponse'),
  ListNodes: list,
  UpdateNode: unary('UpdateRequest', 'WriteResponse'),
  RemoveNode: unary('RemoveRequest', 'WriteResponse'),
  CreateSecret: unary('CreateRequest', 'WriteResponse'),
  GetSecret: unary('GetRequest', 'ObjectResponse'),
  ListSecrets: list,
  RemoveSecret: unary('RemoveRequest', 'WriteResponse'),
  CreateConfig: unary('CreateRequest', 'WriteResponse'),
  GetConfig: unary('GetRequest', 'ObjectResponse'),
  ListConfigs: list,
  RemoveConfig: unary('RemoveRequest', 'WriteResponse'),
  GetCluster: unary('GetRequest', 'ObjectResponse'),
  UpdateCluster: unary('UpdateRequest', 'WriteResponse'),
  RotateJoinTokens: unary('RotateJoinTokensRequest', 'WriteResponse'),
  GetUnlockKey: unary('UnlockKeyRequest', 'UnlockKeyResponse'),
  IssueAdminCertificate: unary('AdminCertificateRequest', 'AdminCertificateResponse'),
  ListAdminCertificates: unary('ListAdminCertificatesRequest', 'ListAdminCertificatesResponse'),
  RevokeAdminCertificate: unary('RevokeAdminCertificateRequest', 'RevokeAdminCertificateResponse'),
  RotateRootCA: unary('RotateRootCARequest', 'WriteResponse'),
  RotateUnlockKey: unary('UnlockKeyRequest', 'UnlockKeyResponse'),
  Watch: { request: 'WatchRequest', response: 'WatchEvent', stream: true },
  ServiceLogs: { request: 'ServiceLogsRequest', response: 'ServiceLogsResponse', stream: true },
} as const;

type Methods = typeof CONTROL_METHODS;
export type MethodName = keyof Methods;
export type UnaryMethod = { [M in MethodName]: Methods[M]['stream'] extends false ? M : never }[MethodName];
export type ListMethod = 'ListServices' | 'ListTasks' | 'ListNodes' | 'ListSecrets' | 'ListConfigs';

/** What a client sends / what a server reads / what a server answers / what a client receives. */
export type RequestIn<M extends MethodName> = Messages[Methods[M]['request']][0];
export type RequestOut<M extends MethodName> = Messages[Methods[M]['request']][1];
export type ResponseIn<M extends MethodName> = Messages[Methods[M]['response']][0];
export type ResponseOut<M extends MethodName> = Messages[Methods[M]['response']][1];

/** A request as the server's deserializer hands it over. */
export type Decoded<T> =
  | { ok: true; value: T }
  | { ok: false; problem: 'malformed' | 'too-large'; messageName: MessageName; detail: string };

export const CONTROL_SERVICE_NAME = 'flotilla.control.v1.Control';

export function methodPath(method: MethodName): string {
  return `/${CONTROL_SERVICE_NAME}/${method}`;
}

// ---- protobufjs --------------------------------------------------------------------------------

let root: protobuf.Root | undefined;

function messageType(name: MessageName): protobuf.Type {
  root ??= protobuf.loadSync(protoFilePath('control.proto'));
  return root.lookupType(`flotilla.control.v1.${name}`);
}

/** The shape proto-loader produces (and the generated `__Output` types describe). */
const toObjectOptions: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function serializer<N extends MessageName>(name: N): (value: Messages[N][0]) => Buffer {
  return encoder(name);
}

/** protobufjs encodes plain objects of the message's shape directly. */
function encoder(name: MessageName): (value: object) => Buffer {
  const type = messageType(name);
  return (value) => asBuffer(type.encode(value).finish());
}

/** Throws on a frame that does not decode (grpc-js turns that into a status for the client). */
export function deserializer<N extends MessageName>(name: N): (frame: Buffer) => Messages[N][1] {
  const type = messageType(name);
  return (frame) => type.toObject(type.decode(frame), toObjectOptions);
}

/**
 * Never throws: a frame that does not decode, or is larger than `maxBytes` (the server may be
 * shared with services that accept larger messages), is reported to the handler.
 */
export function safeDeserializer<N extends MessageName>(
  name: N,
  maxBytes: number,
): (frame: Buffer) => Decoded<Messages[N][1]> {
  const decode = deserializer(name);
  return (frame) => {
    if (frame.length > maxBytes)
      return {
        ok: false,
        problem: 'too-large',
        messageName: name,
        detail: `a ${name} of ${frame.length} bytes exceeds the limit of ${maxBytes} bytes`,
      };
    try {
      return { ok: true, value: decode(frame) };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return { ok: false, problem: 'malformed', messageName: name, detail };
    }
  };
}

/** The service as the server registers it: requests arrive as Decoded values. */
export function serverServiceDefinition(maxRequestBytes = MAX_REQUEST_BYTES): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [method, spec] of Object.entries(CONTROL_METHODS) as Array<[MethodName, Methods[MethodName]]>) {
    definition[method] = {
      path: methodPath(method),
      requestStream: false,
      responseStream: spec.stream,
      requestSerialize: encoder(spec.request),
      requestDeserialize: safeDeserializer(spec.request, maxRequestBytes),
      responseSerialize: encoder(spec.response),
      responseDeserialize: deserializer(spec.response),
    };
  }
  return definition;
}

// ---- limits -------------------------------------------------------------------------------------

/**
 * Largest request a manager accepts. Specs are bounded far below it by src/api (512 KiB; a config
 * 1000 KiB): anything bigger is refused by grpc itself with RESOURCE_EXHAUSTED before it is read.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Largest response: a list of many large specs. Clients accept as much. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Options for a grpc.Server that hosts the control service. */
export function controlServerOptions(): grpc.ServerOptions {
  return {
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    'grpc.max_send_message_length': MAX_RESPONSE_BYTES,
  };
}
