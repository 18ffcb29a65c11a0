// Root CA rotation (`docker swarm ca --rotate`), in three steps that never leave two working
// nodes unable to talk:
// 1. start: a new root is made and cross-signed by the old one; every node now trusts both, and
//    the CA signs with the new root, sending the cross-signed certificate after each new leaf (so
//    a node still trusting only the old root verifies it);
// 2. every node renews (managers see the rotation in the store and renew at once);
// 3. finish (the leader): once every node that is up holds a certificate of the new root, the new
//    root replaces the old one, nodes drop the old root, and the join tokens name the new digest.

import type { Cluster, Node, RootCA } from '../api/index.js';
import { createRootCA, crossSignRoot, joinTokenForRoot, rootCADigest, type SigningCA } from '../ca/index.js';
import type { ApiOperation, Stored } from './control/context.js';

type StoredRootCA = Stored<'cluster'>['rootCA'] & object;

/** The roots nodes must trust now: the current one, and the new one during a rotation. */
export function trustBundle(rootCA: StoredRootCA | RootCA): string {
  return rootCA.rotation ? `${rootCA.caCert.trimEnd()}\n${rootCA.rotation.caCert}` : rootCA.caCert;
}

/** What the CA signs with now, and what it sends after each leaf. */
export function signingRoot(rootCA: StoredRootCA | RootCA): {
  ca: SigningCA;
  hash: string;
  chainTail: string;
} {
  if (rootCA.rotation)
    return {
      ca: { certPem: rootCA.rotation.caCert, keyPem: rootCA.rotation.caKey },
      hash: rootCA.rotation.caCertHash,
      chainTail: rootCA.rotation.crossSignedCaCert,
    };
  return { ca: { certPem: rootCA.caCert, keyPem: rootCA.caKey }, hash: rootCA.caCertHash, chainTail: '' };
}

/** The cluster object with a rotation started: a new root, cross-signed by the current one. */
export async function startRotation(cluster: Stored<'cluster'>): Promise<Cluster> {
  const rootCA = cluster.rootCA;
  if (!rootCA) throw new Error('the cluster has no certificate authority');
  const next = await createRootCA();
  const crossSignedCaCert = await crossSignRoot(
    { certPem: rootCA.caCert, keyPem: rootCA.caKey },
    next.certPem,
  );
  return {
    ...(cluster as Cluster),
    rootCA: {
      ...(rootCA as RootCA),
      rotation: {
        caCert: next.certPem,
        caKey: next.keyPem,
        caCertHash: rootCADigest(next.certPem),
        crossSignedCaCert,
      },
    },
    rootRotationInProgress: true,
  };
}

/**
 * The write that finishes a rotation, or null while a node that is up still holds a certificate
 * of the old root. Nodes that are down do not hold it up; when they come back their certificate
 * is from a root nobody trusts any more, and they join again (as in Swarm).
 */
export function planRotationFinish(
  cluster: Stored<'cluster'>,
  nodes: ReadonlyArray<Stored<'node'>>,
): ApiOperation | null {
  const rotation = cluster.rootCA?.rotation;
  if (!rotation) return null;
  const waiting = nodes.filter(
    (n) => n.status.state !== 'down' && n.certificate?.rootHash !== rotation.caCertHash,
  );
  if (waiting.length > 0) return null;
  const object: Cluster = {
    ...(cluster as Cluster),
    rootCA: { caCert: rotation.caCert, caKey: rotation.caKey, caCertHash: rotation.caCertHash },
    rootRotationInProgress: false,
    joinTokens: {
      worker: joinTokenForRoot(cluster.joinTokens.worker, rotation.caCert),
      manager: joinTokenForRoot(cluster.joinTokens.manager, rotation.caCert),
    },
  };
  return { op: 'update', kind: 'cluster', object, expectedVersion: cluster.meta.version.index };
}

/** Nodes still holding a certificate of the old root (for status messages). */
export function nodesAwaitingRotation(
  cluster: Stored<'cluster'>,
  nodes: ReadonlyArray<Stored<'node'>>,
): Node['id'][] {
  const rotation = cluster.rootCA?.rotation;
  if (!rotation) return [];
  return nodes
    .filter((n) => n.status.state !== 'down' && n.certificate?.rootHash !== rotation.caCertHash)
    .map((n) => n.id);
}
