// Admin client certificates through the control API: issuing one (recorded in the cluster object
// before it is handed out), listing them, and revoking one. Revocation is a write of the cluster
// object like a node's removal: from its commit on, authz.ts on every manager refuses the
// certificate, and the manager's stream guard ends the streams it holds open.

import { ValidationError, type AdminCertificate } from '../../api/index.js';
import { isCertificateError, issueNodeCertificate, verifyCertificate } from '../../ca/index.js';
import type { AdminCertificate as WireAdminCertificate } from '../../generated/flotilla/control/v1/AdminCertificate.js';
import type { AdminCertificateRequest__Output } from '../../generated/flotilla/control/v1/AdminCertificateRequest.js';
import type { AdminCertificateResponse } from '../../generated/flotilla/control/v1/AdminCertificateResponse.js';
import type { ListAdminCertificatesRequest__Output } from '../../generated/flotilla/control/v1/ListAdminCertificatesRequest.js';
import type { ListAdminCertificatesResponse } from '../../generated/flotilla/control/v1/ListAdminCertificatesResponse.js';
import type { RevokeAdminCertificateRequest__Output } from '../../generated/flotilla/control/v1/RevokeAdminCertificateRequest.js';
import type { RevokeAdminCertificateResponse } from '../../generated/flotilla/control/v1/RevokeAdminCertificateResponse.js';
import { checkAdminCertificateName, revoke, withIssued } from './admin-certificate-records.js';
import { changeCluster, theCluster } from './cluster.js';
import type { ControlContext, Stored } from './context.js';
import { FailedPreconditionError } from './errors.js';

export function adminCertificateHandlers(ctx: ControlContext) {
  return {
    IssueAdminCertificate: (request: AdminCertificateRequest__Output) => issueAdminCertificate(ctx, request),
    ListAdminCertificates: async (
      request: ListAdminCertificatesRequest__Output,
    ): Promise<ListAdminCertificatesResponse> => {
      await ctx.readBarrier(request.linearizable);
      const records = theCluster(ctx, '').adminCertificates ?? [];
      return { certificates: records.map(wireRecord), storeVersion: ctx.store.version };
    },
    RevokeAdminCertificate: (request: RevokeAdminCertificateRequest__Output) =>
      revokeAdminCertificate(ctx, request),
  };
}

/**
 * An admin client certificate (OU=admin, CN a fresh id): the control API from anywhere, nothing
 * else (Raft and the dispatcher refuse the role). The CA key is the one in the cluster object.
 * The certificate is returned only once its record is committed, so every certificate handed out
 * can be listed and revoked.
 */
async function issueAdminCertificate(
  ctx: ControlContext,
  request: AdminCertificateRequest__Output,
): Promise<AdminCertificateResponse> {
  const name = checkAdminCertificateName(request.name);
  const cluster = theCluster(ctx, '');
  if (!cluster.rootCA) throw new FailedPreconditionError('this cluster has no certificate authority');
  const id = ctx.store.newId();
  let certificate: string;
  try {
    certificate = await issueNodeCertificate(
      { certPem: cluster.rootCA.caCert, keyPem: cluster.rootCA.caKey },
      request.csr,
      { nodeId: id, role: 'admin', clusterId: cluster.id },
    );
  } catch (err) {
    if (isCertificateError(err)) throw new ValidationError('csr', err.message);
    throw err;
  }
  // The serial and expiry as the certificate holds them, so the record cannot disagree with it.
  const { serial, notAfter } = await verifyCertificate(certificate, { roots: [cluster.rootCA.caCert] });
  const record: AdminCertificate = {
    id,
    name,
    serial,
    issuedAt: ctx.now().toISOString(),
    expiresAt: notAfter.toISOString(),
  };
  await writeRecords(ctx, (current) => withIssued(current.adminCertificates ?? [], record, ctx.now()));
  ctx.log.info('issued an admin certificate', { id, name, serial });
  return { id, certificateChain: certificate, rootCa: cluster.rootCA.caCert };
}

/**
 * Marks the certificate revoked. Read behind a barrier, so a certificate just issued through
 * another manager is found; a certificate revoked already is answered as it stands.
 */
async function revokeAdminCertificate(
  ctx: ControlContext,
  request: RevokeAdminCertificateRequest__Output,
): Promise<RevokeAdminCertificateResponse> {
  await ctx.readBarrier(true);
  let revoked: Readonly<AdminCertificate> | undefined;
  const version = await writeRecords(ctx, (current) => {
    const outcome = revoke(current.adminCertificates ?? [], request.id, ctx.now());
    revoked = outcome.revoked;
    return outcome.records;
  });
  if (version !== undefined) ctx.log.info('revoked an admin certificate', { id: revoked!.id });
  return { certificate: wireRecord(revoked!), version: version ?? ctx.store.version };
}

/** Writes the records `change` makes of the cluster's (null: nothing to write, undefined). */
async function writeRecords(
  ctx: ControlContext,
  change: (current: Stored<'cluster'>) => ReadonlyArray<Readonly<AdminCertificate>> | null,
): Promise<number | undefined> {
  const written = await changeCluster(ctx, (current) => {
    const adminCertificates = change(current);
    return adminCertificates === null ? null : { ...current, adminCertificates };
  });
  return written?.version;
}

function wireRecord(record: Readonly<AdminCertificate>): WireAdminCertificate {
  const { id, name, serial, issuedAt, expiresAt, revokedAt } = record;
  return { id, name, serial, issuedAt, expiresAt, revokedAt: revokedAt ?? '' };
}
