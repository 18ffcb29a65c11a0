// Secrets and configs through the control API (SwarmKit's controlapi/secret.go, config.go). Their
// data arrives in the request's `data` bytes (or base64 in the spec, as Docker's JSON has it) and
// only configs give it back: every response passes through json.ts, which drops a secret's
// data. One that a service still references is not removed.

import { ValidationError, validateConfigSpec, validateSecretSpec } from '../../api/index.js';
import type { CreateRequest__Output } from '../../generated/flotilla/control/v1/CreateRequest.js';
import type { WriteResponse } from '../../generated/flotilla/control/v1/WriteResponse.js';
import type { ControlContext } from './context.js';
import { FailedPreconditionError } from './errors.js';
import { parseJsonField } from './json.js';
import { getHandler, removeHandler, writeResponse } from './reads.js';

export function secretHandlers(ctx: ControlContext) {
  return {
    CreateSecret: async (request: CreateRequest__Output): Promise<WriteResponse> => {
      const spec = validateSecretSpec(withData(request));
      const { version, objects } = await ctx.write([{ op: 'create', kind: 'secret', object: { spec } }]);
      return writeResponse('secret', objects[0]!, version);
    },
    GetSecret: getHandler(ctx, 'secret'),
    RemoveSecret: removeHandler(ctx, 'secret', (secret) => checkUnused(ctx, 'secret', secret.id)),
  };
}

export function configHandlers(ctx: ControlContext) {
  return {
    CreateConfig: async (request: CreateRequest__Output): Promise<WriteResponse> => {
      const spec = validateConfigSpec(withData(request));
      const { version, objects } = await ctx.write([{ op: 'create', kind: 'config', object: { spec } }]);
      return writeResponse('config', objects[0]!, version);
    },
    GetConfig: getHandler(ctx, 'config'),
    RemoveConfig: removeHandler(ctx, 'config', (config) => checkUnused(ctx, 'config', config.id)),
  };
}

/** The spec from JSON with the request's data bytes put in as `data`; the validator does the rest. */
function withData(request: CreateRequest__Output): unknown {
  const spec = parseJsonField(request.specJson, 'spec');
  if (request.data.length === 0) return spec;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  const given = (spec as Record<string, unknown>).data;
  if (given !== undefined && given !== null)
    throw new ValidationError('spec.data', "given twice: in the spec and in the request's data field");
  return { ...spec, data: Uint8Array.from(request.data) };
}

function checkUnused(ctx: ControlContext, kind: 'secret' | 'config', id: string): void {
  const users = ctx.store
    .list('service')
    .filter((service) => {
      const { secrets = [], configs = [] } = service.spec.taskTemplate.containerSpec;
      return kind === 'secret'
        ? secrets.some((r) => r.secretId === id)
        : configs.some((r) => r.configId === id);
    })
    .map((service) => service.spec.name);
  if (users.length > 0)
    throw new FailedPreconditionError(
      `${kind} ${id} is in use by the following services: ${users.join(', ')}`,
    );
}
