// Who may call a manager's services. Mutual TLS has already proved that the caller's certificate
// chains to the cluster's root and is within its validity; this adds what TLS cannot know: the
// certificate is for this cluster, its role may use the service, and the node has not been
// removed (a removed node's certificate stays cryptographically valid until it expires, so the
// cluster keeps a deny-list: Cluster.removedNodes), and an admin certificate has not been revoked
// (its record in Cluster.adminCertificates says so). Deny-lists rather than "has a Node object"
// or "has a record": a manager that has just joined has not yet received the log that holds them.

import {
  PeerAuthError,
  peerIdentity,
  type CallWithAuthContext,
  type CertificateIdentity,
  type CertificateRole,
} from '../ca/index.js';
import type { ApiStore } from './control/index.js';

export interface Authorizer {
  /**
   * The caller's identity if it may proceed as one of `roles`; throws PeerAuthError otherwise.
   * Null when the channel itself is trusted (the local admin socket).
   */
  require(call: CallWithAuthContext, roles: readonly CertificateRole[]): CertificateIdentity | null;
}

export function certificateAuthorizer(store: ApiStore): Authorizer {
  return {
    require(call, roles) {
      const identity = peerIdentity(call);
      if (identity === null)
        throw new PeerAuthError(
          'UNAUTHENTICATED',
          'this call needs a client certificate issued by the cluster (mutual TLS)',
        );
      const [cluster] = store.list('cluster');
      if (cluster !== undefined && identity.clusterId !== cluster.id)
        throw new PeerAuthError(
          'PERMISSION_DENIED',
          `the caller's certificate is for cluster ${identity.clusterId}, not this one`,
          identity,
        );
      if (!roles.includes(identity.role))
        throw new PeerAuthError(
          'PERMISSION_DENIED',
          `node ${identity.nodeId} is a ${identity.role}; this call is for ${roles.join(' or ')} nodes only`,
          identity,
        );
      if (cluster?.removedNodes?.includes(identity.nodeId))
        throw new PeerAuthError(
          'PERMISSION_DENIED',
          `node ${identity.nodeId} has been removed from the cluster; join it again with a join token`,
          identity,
        );
      const revoked =
        identity.role === 'admin'
          ? cluster?.adminCertificates?.find((c) => c.id === identity.nodeId && c.revokedAt !== undefined)
          : undefined;
      if (revoked)
        throw new PeerAuthError(
          'PERMISSION_DENIED',
          `admin certificate ${revoked.id}${revoked.name === '' ? '' : ` (${revoked.name})`} was revoked at ${revoked.revokedAt}; ask an operator for a new one`,
          identity,
        );
      return identity;
    },
  };
}
