// The node side of the NodeCA service (proto/ca.proto), for managers and workers alike: fetch
// the cluster's root (checked against the join token), ask for a first certificate with the
// token, renew with the certificate held.

import * as grpc from '@grpc/grpc-js';
import type { GetRootCACertificateResponse__Output } from '../generated/flotilla/ca/v1/GetRootCACertificateResponse.js';
import type { NodeCAClient } from '../generated/flotilla/ca/v1/NodeCA.js';
import type { NodeCertificateResponse__Output } from '../generated/flotilla/ca/v1/NodeCertificateResponse.js';
import type { ProtoGrpcType } from '../generated/ca.js';
import { callUnary } from '../client/unary.js';
import { loadProtoPackage } from '../util/proto-package.js';
import { checkRootAgainstToken, parseJoinToken } from './join-token.js';
import { channelCredentials, serverIdentityCheck, type TlsIdentity } from './tls.js';

/** The NodeCA service definition; the manager registers it, nodes call it. */
export function caPackage(): ProtoGrpcType['flotilla']['ca']['v1'] {
  return loadProtoPackage<ProtoGrpcType>('ca.proto').flotilla.ca.v1;
}

function call<Res>(
  address: string,
  credentials: grpc.ChannelCredentials,
  timeoutMs: number,
  invoke: (c: NodeCAClient, options: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void,
): Promise<Res> {
  return callUnary(new (caPackage().NodeCA)(address, credentials), timeoutMs, invoke);
}

/**
 * The root CA of the manager at `address`, checked against the token's digest before anything
 * else is believed (the connection is TLS but not yet verified: there is nothing to verify it
 * with until this check passes). Throws CertificateError CA_DIGEST_MISMATCH on an impostor.
 */
export async function fetchTrustedRoot(address: string, token: string, timeoutMs = 10_000): Promise<string> {
  parseJoinToken(token);
  const unverified = grpc.credentials.createSsl(null, null, null, {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  const { certificate } = await call<GetRootCACertificateResponse__Output>(
    address,
    unverified,
    timeoutMs,
    (c, o, cb) => c.getRootCaCertificate({}, o, cb),
  );
  checkRootAgainstToken(certificate, token);
  return certificate;
}

/** A first certificate for this node's CSR, from the manager at `address`, trusting only `rootPem`. */
export function requestNodeCertificate(
  address: string,
  rootPem: string,
  request: { csr: string; token: string; addr: string },
  timeoutMs = 15_000,
): Promise<NodeCertificateResponse__Output> {
  const credentials = grpc.credentials.createSsl(Buffer.from(rootPem), null, null, {
    checkServerIdentity: serverIdentityCheck(),
  });
  return call(address, credentials, timeoutMs, (c, o, cb) => c.issueNodeCertificate(request, o, cb));
}

/** A renewed certificate for this node's new CSR, asked with the certificate it holds. */
export function renewNodeCertificate(
  address: string,
  identity: TlsIdentity,
  csr: string,
  timeoutMs = 15_000,
): Promise<NodeCertificateResponse__Output> {
  return call(address, channelCredentials(identity), timeoutMs, (c, o, cb) =>
    c.renewNodeCertificate({ csr }, o, cb),
  );
}
