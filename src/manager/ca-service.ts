// The NodeCA gRPC service (proto/ca.proto) every manager serves (its client side is src/ca/client.ts). Any
// manager can issue: the signing key is in the replicated Cluster object. A first certificate
// needs a join token (its secret decides the role); a renewal needs the certificate the node
// holds, and gets the role the node has now (so a promotion or demotion takes effect).

import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { toMilliseconds, type NodeCertificateInfo } from '../api/index.js';
import type { GetRootCACertificateResponse } from '../generated/flotilla/ca/v1/GetRootCACertificateResponse.js';
import type { IssueNodeCertificateRequest__Output } from '../generated/flotilla/ca/v1/IssueNodeCertificateRequest.js';
import type { NodeCertificateResponse } from '../generated/flotilla/ca/v1/NodeCertificateResponse.js';
import type { RenewNodeCertificateRequest__Output } from '../generated/flotilla/ca/v1/RenewNodeCertificateRequest.js';
import type { Logger } from '../util/logger.js';
import type { Authorizer } from './authz.js';
import {
  DEFAULT_NODE_VALIDITY_MS,
  isCertificateError,
  issueNodeCertificate,
  joinSecretMatches,
  loadSigningCA,
  parseJoinToken,
  type CertificateError,
  type LoadedSigningCA,
  type SigningCA,
} from '../ca/index.js';
import { ControlError, FailedPreconditionError, type ApiStore } from './control/index.js';
import { caPackage } from '../ca/client.js';
import { unaryHandler } from './unary.js';
import { signingRoot, trustBundle } from './root-rotation.js';
import { VersionConflictError } from './store/index.js';
import type { Stored } from './control/context.js';

export interface NodeCAServiceOptions {
  store: ApiStore;
  authorizer: Authorizer;
  logger: Logger;
  /** Overrides the cluster's caConfig.nodeCertExpiry (tests use seconds; the API's minimum is 1 h). */
  certExpiryMs?: number;
  timeoutMs?: number;
}

const WRONG_TOKEN =
  'the join token is not valid for this cluster: it may have been rotated (`flotilla join-token worker|manager` prints the current ones)';

export function registerNodeCAService(server: grpc.Server, options: NodeCAServiceOptions): void {
  const { store, authorizer } = options;
  const log = options.logger.child({ component: 'ca' });
  const timeoutMs = options.timeoutMs ?? 10_000;
  let signer: { caCert: string; loaded: Promise<LoadedSigningCA> } | null = null;

  const clusterWithCA = (): Stored<'cluster'> & { rootCA: NonNullable<Stored<'cluster'>['rootCA']> } => {
    const [cluster] = store.list('cluster');
    if (!cluster?.rootCA) throw new FailedPreconditionError('this cluster has no certificate authority yet');
    return cluster as Stored<'cluster'> & { rootCA: NonNullable<Stored<'cluster'>['rootCA']> };
  };

  const signingCA = (ca: SigningCA): Promise<LoadedSigningCA> => {
    if (signer?.caCert !== ca.certPem) signer = { caCert: ca.certPem, loaded: loadSigningCA(ca) };
    return signer.loaded;
  };

  const validityMs = (cluster: Stored<'cluster'>): number => {
    if (options.certExpiryMs !== undefined) return options.certExpiryMs;
    const expiry = cluster.spec.caConfig?.nodeCertExpiry;
    return expiry === undefined ? DEFAULT_NODE_VALIDITY_MS : toMilliseconds(expiry);
  };

  /** A certificate from the root the CA signs with now (the new one during a rotation). */
  const issue = async (
    cluster: ReturnType<typeof clusterWithCA>,
    csr: string,
    nodeId: string,
    role: 'manager' | 'worker',
  ): Promise<{ response: NodeCertificateResponse; info: NodeCertificateInfo }> => {
    const { ca, hash, chainTail } = signingRoot(cluster.rootCA);
    let certificate: string;
    try {
      certificate = await issueNodeCertificate(await signingCA(ca), csr, {
        nodeId,
        role,
        clusterId: cluster.id,
        validityMs: validityMs(cluster),
      });
    } catch (err) {
      throw asApiError(err);
    }
    const leaf = new X509Certificate(certificate);
    const info: NodeCertificateInfo = {
      rootHash: hash,
      serial: leaf.serialNumber.toLowerCase(),
      notAfter: new Date(leaf.validTo).toISOString(),
    };
    const certificateChain = chainTail === '' ? certificate : `${certificate.trimEnd()}\n${chainTail}`;
    return {
      response: { nodeId, certificateChain, rootCa: trustBundle(cluster.rootCA), role },
      info,
    };
  };

  /** Records which root signed the node's certificate: a root rotation waits for every node. */
  const recordCertificate = async (nodeId: string, info: NodeCertificateInfo): Promise<void> => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const node = store.get('node', nodeId);
      if (!node) return;
      try {
        await store.update(
          [
            {
              op: 'update',
              kind: 'node',
              object: { ...node, certificate: info },
              expectedVersion: node.meta.version.index,
            },
          ],
          { timeoutMs },
        );
        return;
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
      }
    }
  };

  const issueFirst = async (
    request: IssueNodeCertificateRequest__Output,
  ): Promise<NodeCertificateResponse> => {
    try {
      parseJoinToken(request.token);
    } catch (err) {
      throw asApiError(err);
    }
    // A rotated token must stop working at once: read what the whole cluster has committed.
    await store.readBarrier({ timeoutMs });
    const cluster = clusterWithCA();
    if (parseJoinToken(request.token).caDigest !== cluster.rootCA.caCertHash)
      throw new ControlError(
        'PERMISSION_DENIED',
        "the join token is for another cluster: its CA digest is not this cluster's root",
      );
    const role = joinSecretMatches(request.token, cluster.joinTokens.manager)
      ? 'manager'
      : joinSecretMatches(request.token, cluster.joinTokens.worker)
        ? 'worker'
        : null;
    if (role === null) throw new ControlError('PERMISSION_DENIED', WRONG_TOKEN);
    // The certificate is made first (it checks the CSR: a bad one leaves no trace), then the Node
    // is written, and only then is the certificate handed out: whatever holds one has a record.
    const nodeId = store.newId();
    const { response, info } = await issue(cluster, request.csr, nodeId, role);
    await store.update(
      [
        {
          op: 'create',
          kind: 'node',
          object: {
            id: nodeId,
            spec: { role, availability: 'active' },
            status: { state: 'unknown', addr: request.addr, message: 'joined; not connected yet' },
            certificate: info,
          },
        },
      ],
      { timeoutMs },
    );
    log.info('issued a first certificate', { node: nodeId, role });
    return response;
  };

  const renew = async (
    request: RenewNodeCertificateRequest__Output,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): Promise<NodeCertificateResponse> => {
    const caller = authorizer.require(call, ['manager', 'worker']);
    if (caller === null) throw new FailedPreconditionError('renewal needs the certificate being renewed');
    const cluster = clusterWithCA();
    const node = store.get('node', caller.nodeId);
    if (!node)
      throw new ControlError('PERMISSION_DENIED', `node ${caller.nodeId} is not a member of this cluster`);
    const { response, info } = await issue(cluster, request.csr, node.id, node.spec.role);
    await recordCertificate(node.id, info);
    return response;
  };

  server.addService(caPackage().NodeCA.service, {
    GetRootCACertificate: unaryHandler(
      log,
      'GetRootCACertificate',
      async (): Promise<GetRootCACertificateResponse> => ({
        certificate: clusterWithCA().rootCA.caCert,
      }),
    ),
    IssueNodeCertificate: unaryHandler(log, 'IssueNodeCertificate', issueFirst),
    RenewNodeCertificate: unaryHandler(log, 'RenewNodeCertificate', renew),
  });
}

/** The CA library's refusals as API errors: bad input is INVALID_ARGUMENT, the rest as it says. */
function asApiError(err: unknown): unknown {
  if (!isCertificateError(err)) return err;
  const e: CertificateError = err;
  const code =
    e.code === 'CA_DIGEST_MISMATCH' || e.code === 'CA_UNKNOWN_AUTHORITY'
      ? 'PERMISSION_DENIED'
      : 'INVALID_ARGUMENT';
  return new ControlError(code, e.message);
}
