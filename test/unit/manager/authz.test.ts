// Who may call a manager's services (src/manager/authz.ts), checked against a cluster object as a
// manager's store holds it: the certificate's cluster, its role, the removed-node deny-list, and
// the revocation of an admin certificate. The caller is a TLS peer certificate as grpc-js reports it.

import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { AdminCertificate, Cluster } from '../../../src/api/index.js';
import { PeerAuthError, type CallWithAuthContext } from '../../../src/ca/index.js';
import { certificateAuthorizer } from '../../../src/manager/authz.js';
import type { ApiStore } from '../../../src/manager/control/index.js';

const CLUSTER_ID = 'cluster1';

function clusterWith(fields: Partial<Cluster>): Cluster {
  return {
    id: CLUSTER_ID,
    meta: { version: { index: 7 }, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' },
    spec: {},
    joinTokens: { worker: '', manager: '' },
    rootRotationInProgress: false,
    defaultAddrPool: [],
    subnetSize: 24,
    dataPathPort: 4789,
    ...fields,
  };
}

/** The store as authz reads it: the one cluster object. */
function storeHolding(cluster: Cluster): ApiStore {
  return { list: (kind: string) => (kind === 'cluster' ? [cluster] : []) } as unknown as ApiStore;
}

function caller(cn: string, role: string, clusterId = CLUSTER_ID): CallWithAuthContext {
  const cert = {
    subject: { CN: cn, OU: role, O: clusterId },
    serialNumber: '0A1B',
  } as unknown as PeerCertificate;
  return { getAuthContext: () => ({ sslPeerCertificate: cert }) };
}

const record = (id: string, fields: Partial<AdminCertificate> = {}): AdminCertificate => ({
  id,
  name: '',
  serial: 'a1b',
  issuedAt: '2025-01-01T00:00:00.000Z',
  expiresAt: '2025-04-01T00:00:00.000Z',
  ...fields,
});

function refusal(fn: () => unknown): PeerAuthError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PeerAuthError) return err;
    throw err;
  }
  throw new Error('the call was let in');
}

describe('certificateAuthorizer', () => {
  it('refuses a revoked admin certificate as PERMISSION_DENIED, saying it was revoked and naming it', () => {
    const cluster = clusterWith({
      adminCertificates: [
        record('revokedadmin', { name: 'alice-laptop', revokedAt: '2025-02-01T10:00:00.000Z' }),
        record('goodadmin', { name: 'ci' }),
      ],
    });
    const authz = certificateAuthorizer(storeHolding(cluster));
    const err = refusal(() => authz.require(caller('revokedadmin', 'admin'), ['manager', 'admin']));
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toBe(
      'admin certificate revokedadmin (alice-laptop) was revoked at 2025-02-01T10:00:00.000Z; ask an operator for a new one',
    );
    expect(authz.require(caller('goodadmin', 'admin'), ['manager', 'admin'])).toMatchObject({
      nodeId: 'goodadmin',
      role: 'admin',
    });
  });

  it('lets in an admin certificate the cluster has no record of (one issued before records, or not applied here yet)', () => {
    const authz = certificateAuthorizer(storeHolding(clusterWith({ adminCertificates: [] })));
    expect(authz.require(caller('unrecorded', 'admin'), ['admin'])?.nodeId).toBe('unrecorded');
    const none = certificateAuthorizer(storeHolding(clusterWith({})));
    expect(none.require(caller('unrecorded', 'admin'), ['admin'])?.nodeId).toBe('unrecorded');
  });

  it('applies a revocation to admin certificates only: a manager whose id a record holds is let in', () => {
    const cluster = clusterWith({
      adminCertificates: [record('samename', { revokedAt: '2025-02-01T10:00:00.000Z' })],
    });
    const authz = certificateAuthorizer(storeHolding(cluster));
    expect(authz.require(caller('samename', 'manager'), ['manager'])?.role).toBe('manager');
  });

  it('still refuses removed nodes, other clusters and the wrong role, each with its own reason', () => {
    const authz = certificateAuthorizer(storeHolding(clusterWith({ removedNodes: ['gone'] })));
    expect(refusal(() => authz.require(caller('gone', 'worker'), ['worker'])).message).toContain(
      'has been removed from the cluster',
    );
    expect(refusal(() => authz.require(caller('w1', 'worker', 'other'), ['worker'])).message).toContain(
      'is for cluster other',
    );
    const wrongRole = refusal(() => authz.require(caller('a1', 'admin'), ['manager']));
    expect(wrongRole.code).toBe('PERMISSION_DENIED');
    expect(wrongRole.message).toContain('this call is for manager nodes only');
    const anonymous = refusal(() => authz.require({ getAuthContext: () => ({}) }, ['admin']));
    expect(anonymous.code).toBe('UNAUTHENTICATED');
  });
});
