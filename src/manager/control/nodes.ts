// Nodes through the control API (SwarmKit's controlapi/node.go). Nodes are created when they
// join; an operator changes their spec (availability, labels, role) and removes them. A node
// that is up is only removed with force, a manager never (demote it first: its Raft membership
// must go before its record does), and the last manager cannot be demoted. A removed node's id
// is deny-listed in the cluster object so its certificate stops working at once.

import { validateNodeSpec, type Node } from '../../api/index.js';
import type { UpdateRequest__Output } from '../../generated/flotilla/control/v1/UpdateRequest.js';
import type { WriteResponse } from '../../generated/flotilla/control/v1/WriteResponse.js';
import type { RemoveRequest__Output } from '../../generated/flotilla/control/v1/RemoveRequest.js';
import { VersionConflictError, type ObjectInput } from '../store/index.js';
import { requireVersion, type ApiOperation, type ControlContext, type Stored } from './context.js';
import { FailedPreconditionError } from './errors.js';
import { parseJsonField } from './json.js';
import { getHandler, writeResponse } from './reads.js';

export function nodeHandlers(ctx: ControlContext) {
  return {
    GetNode: getHandler(ctx, 'node'),
    UpdateNode: (request: UpdateRequest__Output) => updateNode(ctx, request),
    RemoveNode: (request: RemoveRequest__Output) => removeNode(ctx, request),
  };
}

/**
 * Deletes the Node and deny-lists its id in the cluster object, in one transaction: from the
 * commit on, every manager refuses the node's certificate (see authz.ts). A concurrent change of
 * the cluster object makes the transaction conflict; it is then read again and retried.
 */
async function removeNode(ctx: ControlContext, request: RemoveRequest__Output): Promise<WriteResponse> {
  for (let attempt = 1; ; attempt++) {
    const node = ctx.resolve('node', request.id);
    checkRemovable(node, request.force);
    const [cluster] = ctx.store.list('cluster');
    const ops: ApiOperation[] = [
      {
        op: 'delete',
        kind: 'node',
        id: node.id,
        ...(request.version > 0 ? { expectedVersion: request.version } : {}),
      },
    ];
    if (cluster && !cluster.removedNodes?.includes(node.id))
      ops.push({
        op: 'update',
        kind: 'cluster',
        object: { ...cluster, removedNodes: [...(cluster.removedNodes ?? []), node.id] },
        expectedVersion: cluster.meta.version.index,
      });
    try {
      const { version } = await ctx.write(ops);
      return writeResponse('node', node, version);
    } catch (err) {
      const clusterMoved = err instanceof VersionConflictError && err.kind === 'cluster';
      if (!clusterMoved || attempt >= 5) throw err;
    }
  }
}

async function updateNode(ctx: ControlContext, request: UpdateRequest__Output): Promise<WriteResponse> {
  const expectedVersion = requireVersion(request.version);
  const spec = validateNodeSpec(parseJsonField(request.specJson, 'spec'));
  const current = await ctx.resolveAt('node', request.id, expectedVersion);
  if (current.spec.role === 'manager' && spec.role === 'worker') checkNotLastManager(ctx, current);
  const object: ObjectInput<Node> = { ...current, spec };
  const { version, objects } = await ctx.write([{ op: 'update', kind: 'node', object, expectedVersion }]);
  return writeResponse('node', objects[0]!, version);
}

function checkRemovable(node: Stored<'node'>, force: boolean): void {
  if (node.spec.role === 'manager' || node.managerStatus !== undefined)
    throw new FailedPreconditionError(
      `node ${node.id} is a manager and a member of the Raft cluster; demote it to a worker before removing it`,
    );
  if (node.status.state === 'ready' && !force)
    throw new FailedPreconditionError(
      `node ${node.id} is not down and can't be removed; stop it first, or remove it with force`,
    );
}

/** SwarmKit refuses to demote the last manager: the cluster would have nobody to run it. */
function checkNotLastManager(ctx: ControlContext, node: Stored<'node'>): void {
  const otherManagers = ctx.store
    .list('node')
    .filter((n) => n.id !== node.id && n.spec.role === 'manager').length;
  if (otherManagers === 0)
    throw new FailedPreconditionError(
      `node ${node.id} is the last manager of the cluster and can't be demoted`,
    );
}
