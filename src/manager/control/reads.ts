// The handlers every kind shares: get (by id, name or id prefix) from this manager's store, or
// behind a ReadIndex barrier when the caller asks for a linearizable read; removal by id with an
// optional version; and the responses that carry objects as JSON. Lists are in lists.ts.

import type { GetRequest__Output } from '../../generated/flotilla/control/v1/GetRequest.js';
import type { ObjectResponse } from '../../generated/flotilla/control/v1/ObjectResponse.js';
import type { RemoveRequest__Output } from '../../generated/flotilla/control/v1/RemoveRequest.js';
import type { WriteResponse } from '../../generated/flotilla/control/v1/WriteResponse.js';
import type { Kind } from '../store/index.js';
import type { ControlContext, Stored } from './context.js';
import { objectJson } from './json.js';

/** Tasks are only read through the API: the orchestrator, scheduler and dispatcher write them. */
export function taskHandlers(ctx: ControlContext) {
  return { GetTask: getHandler(ctx, 'task') };
}

export function getHandler(ctx: ControlContext, kind: Kind) {
  return async (request: GetRequest__Output): Promise<ObjectResponse> => {
    await ctx.readBarrier(request.linearizable);
    const object = ctx.resolve(kind, request.id);
    return { objectJson: objectJson(kind, object), storeVersion: ctx.store.version };
  };
}

/**
 * Removes the object `request.id` names, refused with ABORTED if `request.version` is set and
 * stale. `check` refuses removals the cluster's state forbids (throws).
 */
export function removeHandler<K extends Kind>(
  ctx: ControlContext,
  kind: K,
  check: (object: Stored<K>, request: RemoveRequest__Output) => void = () => {},
) {
  return async (request: RemoveRequest__Output): Promise<WriteResponse> => {
    const object = ctx.resolve(kind, request.id);
    check(object, request);
    const expectedVersion = request.version > 0 ? request.version : undefined;
    const { version } = await ctx.write([{ op: 'delete', kind, id: object.id, expectedVersion }]);
    return writeResponse(kind, object, version);
  };
}

export function writeResponse(kind: Kind, object: { id: string }, version: number): WriteResponse {
  return { id: object.id, version, objectJson: objectJson(kind, object) };
}
