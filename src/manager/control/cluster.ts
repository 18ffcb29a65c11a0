// The cluster object through the control API: one object (SwarmKit's `docker swarm
// inspect|update`), read whole and updated with the version it was read at.

import {
  ValidationError,
  validateClusterSpec,
  withClusterDefaults,
  type Cluster,
  type ClusterSpec,
} from '../../api/index.js';
import type { GetRequest__Output } from '../../generated/flotilla/control/v1/GetRequest.js';
import type { ObjectResponse } from '../../generated/flotilla/control/v1/ObjectResponse.js';
import type { UpdateRequest__Output } from '../../generated/flotilla/control/v1/UpdateRequest.js';
import type { WriteResponse } from '../../generated/flotilla/control/v1/WriteResponse.js';
import type { RotateJoinTokensRequest__Output } from '../../generated/flotilla/control/v1/RotateJoinTokensRequest.js';
import type { UnlockKeyResponse } from '../../generated/flotilla/control/v1/UnlockKeyResponse.js';
import { newJoinToken } from '../../ca/index.js';
import { newUnlockKey } from '../keys/index.js';
import { startRotation } from '../root-rotation.js';
import { VersionConflictError, type ObjectInput } from '../store/index.js';
import { requireVersion, type ControlContext, type Stored } from './context.js';
import { FailedPreconditionError } from './errors.js';
import { objectJson, parseJsonField } from './json.js';
import { writeResponse } from './reads.js';

export function clusterHandlers(ctx: ControlContext) {
  return {
    GetCluster: async (request: GetRequest__Output): Promise<ObjectResponse> => {
      await ctx.readBarrier(request.linearizable);
      const cluster = theCluster(ctx, request.id);
      return { objectJson: objectJson('cluster', cluster), storeVersion: ctx.store.version };
    },
    UpdateCluster: (request: UpdateRequest__Output) => updateCluster(ctx, request),
    RotateJoinTokens: (request: RotateJoinTokensRequest__Output) => rotateJoinTokens(ctx, request),
    GetUnlockKey: async (): Promise<UnlockKeyResponse> => {
      await ctx.readBarrier(true);
      const cluster = theCluster(ctx, '');
      return { unlockKey: cluster.unlockKey ?? '', version: cluster.meta.version.index };
    },
    RotateUnlockKey: () => rotateUnlockKey(ctx),
    RotateRootCA: () => rotateRootCA(ctx),
  };
}

/** Starts a root rotation (see root-rotation.ts); one at a time. */
async function rotateRootCA(ctx: ControlContext): Promise<WriteResponse> {
  await ctx.readBarrier(true);
  const current = theCluster(ctx, '');
  if (!current.rootCA) throw new FailedPreconditionError('this cluster has no certificate authority');
  if (current.rootCA.rotation)
    throw new FailedPreconditionError(
      'a root CA rotation is already under way; it finishes once every node has moved',
    );
  const object = await startRotation(current);
  const { version, objects } = await ctx.write([
    { op: 'update', kind: 'cluster', object, expectedVersion: current.meta.version.index },
  ]);
  ctx.log.info('started a root CA rotation');
  return writeResponse('cluster', objects[0]!, version);
}

/** A new unlock key for an autolocked cluster; every manager re-wraps its data key with it. */
async function rotateUnlockKey(ctx: ControlContext): Promise<UnlockKeyResponse> {
  let unlockKey = '';
  const { version } = (await changeCluster(ctx, (current) => {
    if (!current.spec.encryptionConfig?.autoLockManagers)
      throw new FailedPreconditionError('the cluster is not autolocked: there is no unlock key to rotate');
    unlockKey = newUnlockKey();
    return { ...current, unlockKey };
  }))!;
  ctx.log.info('rotated the unlock key');
  return { unlockKey, version };
}

/**
 * The unlock key follows autolock: turning it on makes one (read it with GetUnlockKey, as
 * `docker swarm update --autolock` prints it), turning it off drops it.
 */
function unlockKeyFor(spec: ClusterSpec, current: Stored<'cluster'>): { unlockKey?: string } {
  const on = spec.encryptionConfig?.autoLockManagers ?? false;
  if (!on) return {};
  return { unlockKey: current.unlockKey ?? newUnlockKey() };
}

/**
 * Replaces the join tokens asked for with fresh ones for the current root. The CA reads the
 * tokens behind a ReadIndex barrier, so an old token is refused from the commit on. A concurrent
 * change of the cluster object conflicts; the rotation then reads it again.
 */
async function rotateJoinTokens(
  ctx: ControlContext,
  request: RotateJoinTokensRequest__Output,
): Promise<WriteResponse> {
  if (!request.worker && !request.manager)
    throw new ValidationError('worker', 'name at least one of worker and manager to rotate');
  const { version, object } = (await changeCluster(ctx, (current) => {
    if (!current.rootCA) throw new FailedPreconditionError('this cluster has no certificate authority');
    const joinTokens = {
      worker: request.worker ? newJoinToken(current.rootCA.caCert) : current.joinTokens.worker,
      manager: request.manager ? newJoinToken(current.rootCA.caCert) : current.joinTokens.manager,
    };
    return { ...current, joinTokens };
  }))!;
  ctx.log.info('rotated join tokens', { worker: request.worker, manager: request.manager });
  return writeResponse('cluster', object, version);
}

/** A write of the cluster object that lost a race with another is read again this many times. */
const CLUSTER_WRITE_ATTEMPTS = 5;

/**
 * Writes what `change` makes of the current cluster object, conditional on the version read, and
 * returns the write; `change` returning null writes nothing (null). A concurrent change of the
 * cluster object conflicts: it is then read, and `change` called, again.
 */
export async function changeCluster(
  ctx: ControlContext,
  change: (current: Stored<'cluster'>) => ObjectInput<Cluster> | null,
): Promise<{ version: number; object: Stored<'cluster'> } | null> {
  for (let attempt = 1; ; attempt++) {
    const current = theCluster(ctx, '');
    const object = change(current);
    if (object === null) return null;
    try {
      const { version, objects } = await ctx.write([
        { op: 'update', kind: 'cluster', object, expectedVersion: current.meta.version.index },
      ]);
      return { version, object: objects[0] as Stored<'cluster'> };
    } catch (err) {
      if (!(err instanceof VersionConflictError) || attempt >= CLUSTER_WRITE_ATTEMPTS) throw err;
    }
  }
}

async function updateCluster(ctx: ControlContext, request: UpdateRequest__Output): Promise<WriteResponse> {
  const expectedVersion = requireVersion(request.version);
  const spec: ClusterSpec = withClusterDefaults(
    validateClusterSpec(parseJsonField(request.specJson, 'spec')),
  );
  const known = theCluster(ctx, request.id);
  const current = await ctx.resolveAt('cluster', known.id, expectedVersion);
  const { unlockKey: _previous, ...rest } = current;
  const object: ObjectInput<Cluster> = {
    ...rest,
    spec: keepSigningKey(spec, current.spec),
    ...unlockKeyFor(spec, current),
  };
  const { version, objects } = await ctx.write([{ op: 'update', kind: 'cluster', object, expectedVersion }]);
  return writeResponse('cluster', objects[0]!, version);
}

/** The cluster `id` names, or the only one there is when `id` is empty. */
export function theCluster(ctx: ControlContext, id: string): Stored<'cluster'> {
  if (id !== '') return ctx.resolve('cluster', id);
  const [cluster] = ctx.store.list('cluster');
  if (!cluster) throw new FailedPreconditionError('the cluster is not initialised yet (no cluster object)');
  return cluster;
}

/**
 * Reads never return the CA signing key, so a spec read, changed and sent back lacks it: keep
 * the stored key as long as the certificate it belongs to is unchanged (as SwarmKit does).
 */
function keepSigningKey(spec: ClusterSpec, current: Stored<'cluster'>['spec']): ClusterSpec {
  const key = current.caConfig?.signingCAKey;
  const ca = spec.caConfig;
  if (key === undefined || ca === undefined || ca.signingCAKey !== undefined) return spec;
  if (ca.signingCACert !== current.caConfig?.signingCACert) return spec;
  return { ...spec, caConfig: { ...ca, signingCAKey: key } };
}
