// List and watch filters from the wire to the store's: each value checked (a task state that
// does not exist, an unknown kind, an empty label key are refused naming the field), services and
// nodes named by id or name resolved to ids.

import { isTaskState, TASK_STATES, ValidationError } from '../../api/index.js';
import type { LabelMatch__Output } from '../../generated/flotilla/control/v1/LabelMatch.js';
import type { ListFilter__Output } from '../../generated/flotilla/control/v1/ListFilter.js';
import type { WatchRequest__Output } from '../../generated/flotilla/control/v1/WatchRequest.js';
import {
  isKind,
  KINDS,
  type EventType,
  type Kind,
  type LabelSelector,
  type ListFilter,
  type WatchFilter,
} from '../store/index.js';
import type { ControlContext } from './context.js';

const EVENT_TYPES: readonly EventType[] = ['create', 'update', 'delete'];

export function listFilter(ctx: ControlContext, kind: Kind, wire: ListFilter__Output | null): ListFilter {
  const filter: ListFilter = {};
  if (!wire) return filter;
  if (wire.names.length > 0) filter.names = wire.names;
  if (wire.idPrefixes.length > 0) filter.ids = wire.idPrefixes;
  if (wire.labels.length > 0) filter.labels = labelSelector(wire.labels, 'filter.labels');
  const taskOnly = wire.serviceIds.length + wire.nodeIds.length + wire.desiredStates.length > 0;
  if (taskOnly && kind !== 'task') {
    const field =
      wire.serviceIds.length > 0 ? 'serviceIds' : wire.nodeIds.length > 0 ? 'nodeIds' : 'desiredStates';
    throw new ValidationError(`filter.${field}`, 'only tasks can be filtered by it');
  }
  if (wire.serviceIds.length > 0) filter.serviceId = wire.serviceIds.map((s) => idOf(ctx, 'service', s));
  if (wire.nodeIds.length > 0) filter.nodeId = wire.nodeIds.map((n) => idOf(ctx, 'node', n));
  if (wire.desiredStates.length > 0) {
    wire.desiredStates.forEach((state, i) => {
      if (!isTaskState(state))
        throw new ValidationError(`filter.desiredStates[${i}]`, `must be one of ${TASK_STATES.join(', ')}`);
    });
    filter.desiredState = wire.desiredStates;
  }
  return filter;
}

/**
 * An id, or the id of the object with that name. Anything else is kept as it is: it matches no
 * task, which is what a filter naming nothing known should return.
 */
function idOf(ctx: ControlContext, kind: 'service' | 'node', idOrName: string): string {
  if (ctx.store.get(kind, idOrName)) return idOrName;
  return ctx.store.getByName(kind, idOrName)?.id ?? idOrName;
}

export function watchFilter(wire: WatchRequest__Output): WatchFilter {
  const filter: WatchFilter = {};
  if (wire.kinds.length > 0) {
    filter.kinds = wire.kinds.map((kind, i): Kind => {
      if (!isKind(kind)) throw new ValidationError(`kinds[${i}]`, `must be one of ${KINDS.join(', ')}`);
      return kind;
    });
  }
  if (wire.types.length > 0) {
    filter.types = wire.types.map((type, i): EventType => {
      const known = EVENT_TYPES.find((t) => t === type);
      if (known === undefined)
        throw new ValidationError(`types[${i}]`, `must be one of ${EVENT_TYPES.join(', ')}`);
      return known;
    });
  }
  if (wire.ids.length > 0) filter.ids = wire.ids;
  if (wire.labels.length > 0) filter.labels = labelSelector(wire.labels, 'labels');
  return filter;
}

function labelSelector(matches: LabelMatch__Output[], path: string): LabelSelector {
  // No prototype: a label key such as `__proto__` is an ordinary key here.
  const selector = Object.create(null) as Record<string, string | null>;
  matches.forEach((match, i) => {
    if (match.key === '') throw new ValidationError(`${path}[${i}].key`, 'required');
    // Two conditions on one key could both be meant; keeping one would silently drop the other.
    if (Object.hasOwn(selector, match.key))
      throw new ValidationError(`${path}[${i}].key`, 'given more than once');
    selector[match.key] = match.value ?? null;
  });
  return selector;
}
