// The pure parts of a root CA rotation: what nodes trust, what the CA signs with, and when the
// rotation may finish.

import { describe, expect, it } from 'vitest';
import { createRootCA, newJoinToken, parseJoinToken, rootCADigest } from '../../../src/ca/index.js';
import type { Stored } from '../../../src/manager/control/context.js';
import {
  planRotationFinish,
  signingRoot,
  startRotation,
  trustBundle,
} from '../../../src/manager/root-rotation.js';

async function clusterWithCA(): Promise<Stored<'cluster'>> {
  const ca = await createRootCA();
  return {
    id: 'c1',
    meta: { version: { index: 7 }, createdAt: '', updatedAt: '' },
    spec: {},
    joinTokens: { worker: newJoinToken(ca.certPem), manager: newJoinToken(ca.certPem) },
    rootCA: { caCert: ca.certPem, caKey: ca.keyPem, caCertHash: rootCADigest(ca.certPem) },
    rootRotationInProgress: false,
    defaultAddrPool: [],
    subnetSize: 24,
    dataPathPort: 4789,
  };
}

const node = (id: string, state: 'ready' | 'down', rootHash?: string): Stored<'node'> => ({
  id,
  meta: { version: { index: 1 }, createdAt: '', updatedAt: '' },
  spec: { role: 'worker', availability: 'active' },
  status: { state, addr: '10.0.0.1' },
  ...(rootHash ? { certificate: { rootHash, serial: '1', notAfter: '' } } : {}),
});

describe('root rotation', () => {
  it('trusts both roots and signs with the new one while it runs', async () => {
    const cluster = await clusterWithCA();
    const rotating = await startRotation(cluster);
    expect(rotating.rootRotationInProgress).toBe(true);
    const bundle = trustBundle(rotating.rootCA!);
    expect(bundle).toContain(cluster.rootCA!.caCert.trim());
    expect(bundle).toContain(rotating.rootCA!.rotation!.caCert.trim());
    const signing = signingRoot(rotating.rootCA!);
    expect(signing.hash).toBe(rotating.rootCA!.rotation!.caCertHash);
    expect(signing.chainTail).toBe(rotating.rootCA!.rotation!.crossSignedCaCert);
    expect(trustBundle(cluster.rootCA!)).toBe(cluster.rootCA!.caCert);
  });

  it('finishes only when every node that is up holds a certificate of the new root', async () => {
    const rotating = (await startRotation(await clusterWithCA())) as Stored<'cluster'>;
    const next = rotating.rootCA!.rotation!.caCertHash;
    const old = rotating.rootCA!.caCertHash;
    expect(planRotationFinish(rotating, [node('a', 'ready', next), node('b', 'ready', old)])).toBeNull();
    expect(planRotationFinish(rotating, [node('a', 'ready', next), node('b', 'ready')])).toBeNull();
    const op = planRotationFinish(rotating, [node('a', 'ready', next), node('b', 'down', old)]);
    expect(op).toMatchObject({ op: 'update', kind: 'cluster', expectedVersion: 7 });
    const finished = (op as { object: Stored<'cluster'> }).object;
    expect(finished.rootCA).toEqual({
      caCert: rotating.rootCA!.rotation!.caCert,
      caKey: rotating.rootCA!.rotation!.caKey,
      caCertHash: next,
    });
    expect(finished.rootRotationInProgress).toBe(false);
    // The tokens keep their secrets and name the new root.
    for (const role of ['worker', 'manager'] as const) {
      const before = parseJoinToken(rotating.joinTokens[role]);
      const after = parseJoinToken(finished.joinTokens[role]);
      expect(after.secret).toBe(before.secret);
      expect(after.caDigest).toBe(next);
    }
  });
});
