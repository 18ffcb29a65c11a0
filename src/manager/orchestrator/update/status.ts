// The rollout's state on the service, as Docker shows it (`UpdateStatus`): the writes that start,
// pause, complete and roll back a rollout, and the manual rollback the control API offers
// (`docker service rollback`). Messages are SwarmKit's. Each write names the service version the
// decision read, so a spec the user changed meanwhile is never overwritten.

import type { Service, ServiceSpec, UpdateState, UpdateStatus } from '../../../api/index.js';
import type { ObjectInput } from '../../store/index.js';
import { isJobMode, modeOf } from '../service-mode.js';
import type { StoredService, WriteUnit } from '../types.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The service with the given rollout fields; a field given as null is left out. */
function serviceWith(
  service: StoredService,
  changes: { spec?: ServiceSpec; previousSpec?: ServiceSpec | null; updateStatus: UpdateStatus },
): ObjectInput<Service> {
  const { previousSpec, updateStatus: _old, ...rest } = service;
  const next = { ...rest, spec: changes.spec ?? service.spec, updateStatus: changes.updateStatus };
  const previous = changes.previousSpec === undefined ? previousSpec : changes.previousSpec;
  return previous === null || previous === undefined ? next : { ...next, previousSpec: previous };
}

function writeService(service: StoredService, object: ObjectInput<Service>, reason: string): WriteUnit {
  return {
    reason: `${service.spec.name}: ${reason}`,
    ops: [{ op: 'update', kind: 'service', object, expectedVersion: service.meta.version.index }],
  };
}

/** SwarmKit's startUpdate: a rollout begins when tasks are found on an older spec. */
export function startRollout(service: StoredService, now: number): WriteUnit {
  const updateStatus: UpdateStatus = {
    state: 'updating',
    startedAt: iso(now),
    message: 'update in progress',
  };
  return writeService(service, serviceWith(service, { updateStatus }), 'update started');
}

export function pauseRollout(service: StoredService, rollingBack: boolean, message: string): WriteUnit {
  const state: UpdateState = rollingBack ? 'rollback_paused' : 'paused';
  const updateStatus: UpdateStatus = { ...service.updateStatus, state, message };
  return writeService(service, serviceWith(service, { updateStatus }), message);
}

export function completeRollout(service: StoredService, rollingBack: boolean, now: number): WriteUnit {
  const updateStatus: UpdateStatus = {
    ...service.updateStatus,
    state: rollingBack ? 'rollback_completed' : 'completed',
    completedAt: iso(now),
    message: rollingBack ? 'rollback completed' : 'update completed',
  };
  return writeService(service, serviceWith(service, { updateStatus }), updateStatus.message);
}

/**
 * The failure action `rollback`: the previous spec becomes the spec again and the rollout starts
 * over with the rollback config. As SwarmKit, the failed spec is not kept as previousSpec (a
 * manual rollback afterwards has nothing to return to, rather than the spec that just failed).
 * Unlike SwarmKit, startedAt is the rollback's start: the rollout's tasks are told apart by it.
 */
export function rollBackRollout(service: StoredService, message: string, now: number): WriteUnit {
  const updateStatus: UpdateStatus = { state: 'rollback_started', startedAt: iso(now), message };
  const object = serviceWith(service, {
    spec: service.previousSpec as ServiceSpec,
    previousSpec: null,
    updateStatus,
  });
  return writeService(service, object, message);
}

export type ManualRollback = { ok: true; service: ObjectInput<Service> } | { ok: false; reason: string };

/**
 * A user's rollback (Docker's `UpdateService ?rollback=previous`, `docker service rollback`): the
 * previous spec and the current one swap, and the rollout runs with the restored spec's rollback
 * config, starting now. The control API writes `service` naming the version it read, or refuses
 * with FAILED_PRECONDITION and `reason`.
 */
export function manualRollback(service: StoredService, now: number): ManualRollback {
  if (isJobMode(modeOf(service)))
    return { ok: false, reason: `service ${service.id} is a job: jobs are not rolled back` };
  if (!service.previousSpec)
    return { ok: false, reason: `service ${service.id} does not have a previous spec` };
  const updateStatus: UpdateStatus = {
    state: 'rollback_started',
    startedAt: iso(now),
    message: 'manually requested rollback',
  };
  return {
    ok: true,
    service: serviceWith(service, {
      spec: service.previousSpec as ServiceSpec,
      previousSpec: service.spec as ServiceSpec,
      updateStatus,
    }),
  };
}
