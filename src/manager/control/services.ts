// Services through the control API (SwarmKit's controlapi/service.go): a spec is validated,
// completed with SwarmKit's defaults and checked against the cluster (the secrets and configs it
// references exist) before anything is proposed; an update names the version it read, keeps the
// spec it replaces as `previousSpec` and may not rename a service or change its kind of mode.

import {
  ValidationError,
  validateServiceSpec,
  withServiceDefaults,
  type Service,
  type ServiceSpec,
} from '../../api/index.js';
import type { CreateRequest__Output } from '../../generated/flotilla/control/v1/CreateRequest.js';
import type { UpdateRequest__Output } from '../../generated/flotilla/control/v1/UpdateRequest.js';
import type { WriteResponse } from '../../generated/flotilla/control/v1/WriteResponse.js';
import { checkPortConflicts } from '../allocator/index.js';
import { manualRollback } from '../orchestrator/index.js';
import type { NewObjectInput, ObjectInput } from '../store/index.js';
import { requireVersion, type ControlContext, type Stored } from './context.js';
import { FailedPreconditionError } from './errors.js';
import { parseJsonField } from './json.js';
import { getHandler, removeHandler, writeResponse } from './reads.js';

export function serviceHandlers(ctx: ControlContext) {
  return {
    CreateService: (request: CreateRequest__Output) => createService(ctx, request),
    GetService: getHandler(ctx, 'service'),
    UpdateService: (request: UpdateRequest__Output) => updateService(ctx, request),
    RemoveService: removeHandler(ctx, 'service'),
  };
}

async function createService(ctx: ControlContext, request: CreateRequest__Output): Promise<WriteResponse> {
  if (request.data.length > 0) throw new ValidationError('data', 'only secrets and configs carry data');
  const spec = readSpec(ctx, request.specJson);
  // A published port taken by another service is refused here, not discovered by the allocator.
  checkPortConflicts(spec.endpointSpec, undefined, ctx.store.list('service'));
  const object: NewObjectInput<Service> = isJob(spec)
    ? { spec, jobStatus: { jobIteration: { index: 0 }, lastExecution: ctx.now().toISOString() } }
    : { spec };
  // The store keeps names unique: a duplicate is refused with AlreadyExistsError.
  const { version, objects } = await ctx.write([{ op: 'create', kind: 'service', object }]);
  return writeResponse('service', objects[0]!, version);
}

async function updateService(ctx: ControlContext, request: UpdateRequest__Output): Promise<WriteResponse> {
  const expectedVersion = requireVersion(request.version);
  if (request.rollback) return rollbackService(ctx, request, expectedVersion);
  const spec = readSpec(ctx, request.specJson);
  const current = await ctx.resolveAt('service', request.id, expectedVersion);
  if (spec.name !== current.spec.name)
    throw new ValidationError('spec.name', `cannot be changed (the service is named "${current.spec.name}")`);
  const [from, to] = [modeName(current.spec), modeName(spec)];
  if (from !== to) throw new ValidationError('spec.mode', `cannot change from ${from} to ${to}`);
  checkPortConflicts(spec.endpointSpec, current.id, ctx.store.list('service'));

  const object: ObjectInput<Service> = {
    ...current,
    spec,
    previousSpec: current.spec,
    // SwarmKit forgets the last rollout's outcome when a new spec arrives.
    updateStatus: undefined,
    // A job runs again on every update: tasks of the previous iteration become history.
    jobStatus: isJob(spec) ? nextJobIteration(ctx, current) : current.jobStatus,
  };
  const { version, objects } = await ctx.write([
    { op: 'update', kind: 'service', object: dropUndefined(object), expectedVersion },
  ]);
  return writeResponse('service', objects[0]!, version);
}

/**
 * `docker service rollback`: the previous spec becomes the spec again, rolled out with the
 * rollback config by the rolling updater (which sees updateStatus rollback_started).
 */
async function rollbackService(
  ctx: ControlContext,
  request: UpdateRequest__Output,
  expectedVersion: number,
): Promise<WriteResponse> {
  const current = await ctx.resolveAt('service', request.id, expectedVersion);
  const rollback = manualRollback(current, ctx.now().getTime());
  if (!rollback.ok) throw new FailedPreconditionError(rollback.reason);
  const { version, objects } = await ctx.write([
    { op: 'update', kind: 'service', object: rollback.service, expectedVersion },
  ]);
  return writeResponse('service', objects[0]!, version);
}

/** A validated spec with SwarmKit's defaults, whose secret and config references exist. */
function readSpec(ctx: ControlContext, specJson: Uint8Array): ServiceSpec {
  const spec = withServiceDefaults(validateServiceSpec(parseJsonField(specJson, 'spec')));
  checkReferences(ctx, spec);
  return spec;
}

/** SwarmKit's checkSecretExistence / checkConfigExistence: by id, and the name must match. */
function checkReferences(ctx: ControlContext, spec: ServiceSpec): void {
  const path = 'spec.taskTemplate.containerSpec';
  const { secrets = [], configs = [] } = spec.taskTemplate.containerSpec;
  secrets.forEach((ref, i) => {
    const secret = ctx.store.get('secret', ref.secretId);
    if (!secret) throw new ValidationError(`${path}.secrets[${i}].secretId`, 'no secret has this id');
    if (secret.spec.name !== ref.secretName)
      throw new ValidationError(
        `${path}.secrets[${i}].secretName`,
        `must be "${secret.spec.name}", the secret's name`,
      );
  });
  configs.forEach((ref, i) => {
    const config = ctx.store.get('config', ref.configId);
    if (!config) throw new ValidationError(`${path}.configs[${i}].configId`, 'no config has this id');
    if (config.spec.name !== ref.configName)
      throw new ValidationError(
        `${path}.configs[${i}].configName`,
        `must be "${config.spec.name}", the config's name`,
      );
  });
}

type ModeName = 'replicated' | 'global' | 'replicatedJob' | 'globalJob';

function modeName(spec: {
  readonly mode?: ServiceSpec['mode'] | Stored<'service'>['spec']['mode'];
}): ModeName {
  const mode = spec.mode;
  if (mode === undefined || 'replicated' in mode) return 'replicated';
  if ('global' in mode) return 'global';
  return 'replicatedJob' in mode ? 'replicatedJob' : 'globalJob';
}

function isJob(spec: ServiceSpec): boolean {
  const mode = modeName(spec);
  return mode === 'replicatedJob' || mode === 'globalJob';
}

function nextJobIteration(ctx: ControlContext, current: Stored<'service'>): Service['jobStatus'] {
  const iteration = current.jobStatus?.jobIteration.index ?? 0;
  return { jobIteration: { index: iteration + 1 }, lastExecution: ctx.now().toISOString() };
}

/** The store keeps fields as given: an explicit undefined would travel as a null-ish hole. */
function dropUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
