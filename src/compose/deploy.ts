// `stack deploy`: creates the stack's secrets and configs, then creates the services that are
// missing and updates those whose spec changed, in depends_on order — a service whose
// dependencies have a `service_started`/`service_healthy`/`service_completed_successfully`
// condition is created only once they are there (beyond Swarm, which ignores depends_on).
// Nothing is removed unless `prune` asks for it.

import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { withServiceDefaults, type Service, type ServiceSpec } from '../api/index.js';
import {
  planStack,
  SECRET_DIGEST_LABEL,
  STACK_IMAGE_LABEL,
  STACK_NAMESPACE_LABEL,
  type PlanOptions,
  type PlannedService,
  type StackPlan,
} from './convert.js';
import type { ComposeProblem } from './problems.js';
import type { ComposeProject } from './project.js';
import { dependencySatisfied, serviceProgress, type ServiceProgress } from './readiness.js';
import type { StackClient } from './stack-client.js';
import { sleep } from './sleep.js';

export type DeployEvent =
  | { type: 'secret' | 'config'; name: string; action: 'created' | 'unchanged' | 'external' }
  | { type: 'service'; name: string; id: string; action: 'created' | 'updated' | 'unchanged' | 'removed' }
  | { type: 'waiting'; service: string; dependency: string; condition: string; progress: ServiceProgress }
  | { type: 'warning'; problem: ComposeProblem };

export interface DeployOptions extends PlanOptions {
  /** Remove the stack's services that the file no longer has (`docker stack deploy --prune`). */
  prune?: boolean;
  /** How long to wait for a dependency's condition; default 5 minutes. */
  dependencyTimeoutMs?: number;
  /** Between two looks at a dependency's tasks; default 500 ms. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Each step as it happens, for a progress view. */
  onProgress?: (event: DeployEvent) => void;
}

export interface DeployedService {
  /** Compose name. */
  name: string;
  /** `<stack>_<name>`. */
  serviceName: string;
  id: string;
  /** The service's version after the deploy (unchanged services keep theirs). */
  version: number;
}

export interface DeployResult {
  stack: string;
  created: DeployedService[];
  updated: DeployedService[];
  unchanged: DeployedService[];
  /** Service names removed by `prune`. */
  removed: string[];
  secrets: { created: string[]; unchanged: string[] };
  configs: { created: string[]; unchanged: string[] };
  warnings: ComposeProblem[];
}

/** A stack's object whose state blocks the deploy (data changed, external one missing, a timeout). */
export class StackDeployError extends Error {
  readonly code = 'STACK_DEPLOY';
  constructor(message: string) {
    super(message);
    this.name = 'StackDeployError';
  }
}

const DEFAULT_DEPENDENCY_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_POLL_MS = 500;

/** Plans the project as stack `stack` and deploys it; throws ComposeError for a bad file. */
export async function deployStack(
  client: StackClient,
  stack: string,
  project: ComposeProject,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const plan = await planStack(project, stack, options);
  return deployPlan(client, plan, options);
}

export async function deployPlan(
  client: StackClient,
  plan: StackPlan,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const emit = options.onProgress ?? (() => {});
  for (const problem of plan.warnings) emit({ type: 'warning', problem });
  const result: DeployResult = {
    stack: plan.stack,
    created: [],
    updated: [],
    unchanged: [],
    removed: [],
    secrets: { created: [], unchanged: [] },
    configs: { created: [], unchanged: [] },
    warnings: [...plan.warnings],
  };
  const secretIds = await deploySecrets(client, plan, result, emit);
  const configIds = await deployConfigs(client, plan, result, emit);

  const existing = new Map<string, Service>();
  for (const service of await client.listServices({ labels: { [STACK_NAMESPACE_LABEL]: plan.stack } })) {
    existing.set(service.spec.name, service);
  }
  const deployedIds = new Map<string, string>();
  for (const planned of plan.services) {
    await waitForDependencies(client, planned, deployedIds, options, emit);
    const spec = resolveReferences(planned.spec, secretIds, configIds);
    const current = existing.get(spec.name);
    if (current === undefined) {
      const { id, version } = await client.createService(spec);
      result.created.push({ name: planned.name, serviceName: spec.name, id, version });
      deployedIds.set(planned.name, id);
      emit({ type: 'service', name: spec.name, id, action: 'created' });
      continue;
    }
    deployedIds.set(planned.name, current.id);
    const next = preserveUnmanaged(spec, current.spec);
    // The manager stores specs with SwarmKit's defaults filled in: compare like with like.
    if (sameJson(withServiceDefaults(next), withServiceDefaults(current.spec))) {
      result.unchanged.push({
        name: planned.name,
        serviceName: spec.name,
        id: current.id,
        version: current.meta.version.index,
      });
      emit({ type: 'service', name: spec.name, id: current.id, action: 'unchanged' });
      continue;
    }
    const { version } = await client.updateService(current.id, current.meta.version.index, next);
    result.updated.push({ name: planned.name, serviceName: spec.name, id: current.id, version });
    emit({ type: 'service', name: spec.name, id: current.id, action: 'updated' });
  }

  if (options.prune === true) {
    const wanted = new Set(plan.services.map((s) => s.spec.name));
    for (const [name, service] of existing) {
      if (wanted.has(name)) continue;
      await client.removeService(service.id);
      result.removed.push(name);
      emit({ type: 'service', name, id: service.id, action: 'removed' });
    }
  }
  return result;
}

/**
 * What docker/cli carries over from the running service on update: the force-update counter
 * (stack deploy has no --force), and the image when the file still names the same one (the
 * running spec may hold the digest it was resolved to).
 */
function preserveUnmanaged(spec: ServiceSpec, current: ServiceSpec): ServiceSpec {
  const next: ServiceSpec = {
    ...spec,
    taskTemplate: { ...spec.taskTemplate, containerSpec: { ...spec.taskTemplate.containerSpec } },
  };
  if (current.taskTemplate.forceUpdate !== undefined)
    next.taskTemplate.forceUpdate = current.taskTemplate.forceUpdate;
  if (current.labels?.[STACK_IMAGE_LABEL] === spec.taskTemplate.containerSpec.image) {
    next.taskTemplate.containerSpec.image = current.taskTemplate.containerSpec.image;
  }
  return next;
}

// ---- secrets and configs -------------------------------------------------------------------

async function deploySecrets(
  client: StackClient,
  plan: StackPlan,
  result: DeployResult,
  emit: (event: DeployEvent) => void,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const names = [...plan.secrets.map((s) => s.spec.name), ...plan.externalSecrets];
  const found = names.length === 0 ? [] : await client.listSecrets({ names });
  const byName = new Map(found.map((s) => [s.spec.name, s]));
  for (const name of plan.externalSecrets) {
    const secret = byName.get(name);
    if (secret === undefined)
      throw new StackDeployError(`secret ${name} is declared external but does not exist: create it first`);
    ids.set(name, secret.id);
    emit({ type: 'secret', name, action: 'external' });
  }
  for (const { spec } of plan.secrets) {
    const current = byName.get(spec.name);
    if (current !== undefined) {
      const digest = current.spec.labels?.[SECRET_DIGEST_LABEL];
      if (spec.data !== undefined && digest !== undefined && !digestMatches(digest, spec.data)) {
        throw new StackDeployError(
          `failed to update secret ${spec.name}: a secret's data cannot change (only its labels could): remove the services using it and the secret, or give the new data another name`,
        );
      }
      if (digest === undefined && spec.data !== undefined) {
        warn(
          result,
          emit,
          'secrets',
          `secret ${spec.name} exists and was not created by a stack deploy: its data cannot be compared and it is used as it is`,
        );
      }
      warnIfLabelsDiffer(result, emit, 'secret', spec.name, spec.labels, current.spec.labels);
      ids.set(spec.name, current.id);
      result.secrets.unchanged.push(spec.name);
      emit({ type: 'secret', name: spec.name, action: 'unchanged' });
      continue;
    }
    const labels = {
      ...spec.labels,
      ...(spec.data === undefined ? {} : { [SECRET_DIGEST_LABEL]: digestOf(spec.data) }),
    };
    const { id } = await client.createSecret({ ...spec, labels });
    ids.set(spec.name, id);
    result.secrets.created.push(spec.name);
    emit({ type: 'secret', name: spec.name, action: 'created' });
  }
  return ids;
}

async function deployConfigs(
  client: StackClient,
  plan: StackPlan,
  result: DeployResult,
  emit: (event: DeployEvent) => void,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const names = [...plan.configs.map((c) => c.spec.name), ...plan.externalConfigs];
  const found = names.length === 0 ? [] : await client.listConfigs({ names });
  const byName = new Map(found.map((c) => [c.spec.name, c]));
  for (const name of plan.externalConfigs) {
    const config = byName.get(name);
    if (config === undefined)
      throw new StackDeployError(`config ${name} is declared external but does not exist: create it first`);
    ids.set(name, config.id);
    emit({ type: 'config', name, action: 'external' });
  }
  for (const { spec } of plan.configs) {
    const current = byName.get(spec.name);
    if (current !== undefined) {
      if (!Buffer.from(current.spec.data).equals(Buffer.from(spec.data))) {
        throw new StackDeployError(
          `failed to update config ${spec.name}: a config's data cannot change (only its labels could): remove the services using it and the config, or give the new data another name`,
        );
      }
      warnIfLabelsDiffer(result, emit, 'config', spec.name, spec.labels, current.spec.labels);
      ids.set(spec.name, current.id);
      result.configs.unchanged.push(spec.name);
      emit({ type: 'config', name: spec.name, action: 'unchanged' });
      continue;
    }
    const { id } = await client.createConfig(spec);
    ids.set(spec.name, id);
    result.configs.created.push(spec.name);
    emit({ type: 'config', name: spec.name, action: 'created' });
  }
  return ids;
}

function warn(result: DeployResult, emit: (event: DeployEvent) => void, path: string, message: string): void {
  const problem: ComposeProblem = { severity: 'warning', path, message };
  result.warnings.push(problem);
  emit({ type: 'warning', problem });
}

/** Swarm would update the labels; Flotilla's API has no update for secrets and configs yet. */
function warnIfLabelsDiffer(
  result: DeployResult,
  emit: (event: DeployEvent) => void,
  kind: 'secret' | 'config',
  name: string,
  wanted: Record<string, string> | undefined,
  current: Record<string, string> | undefined,
): void {
  const { [SECRET_DIGEST_LABEL]: _digest, ...have } = current ?? {};
  if (!sameJson(wanted ?? {}, have)) {
    warn(
      result,
      emit,
      `${kind}s`,
      `the labels of ${kind} ${name} differ from the file's and are kept: Flotilla cannot update a ${kind}'s labels`,
    );
  }
}

/**
 * The API never returns a secret's data, so a stack secret carries a salted scrypt digest of it
 * in a label: enough to tell a changed file on redeploy, slow to guess a weak secret from.
 */
export function digestOf(data: Uint8Array, salt: Buffer = randomBytes(16)): string {
  return `scrypt:${salt.toString('base64')}:${scryptSync(data, salt, 32).toString('base64')}`;
}

function digestMatches(digest: string, data: Uint8Array): boolean {
  const [scheme, salt, hash] = digest.split(':');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(data, Buffer.from(salt, 'base64'), 32);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function resolveReferences(
  spec: ServiceSpec,
  secretIds: Map<string, string>,
  configIds: Map<string, string>,
): ServiceSpec {
  const container = spec.taskTemplate.containerSpec;
  const missing = (kind: string, name: string): never => {
    throw new StackDeployError(`service ${spec.name}: ${kind} ${name} was neither created nor found`);
  };
  return {
    ...spec,
    taskTemplate: {
      ...spec.taskTemplate,
      containerSpec: {
        ...container,
        ...(container.secrets === undefined
          ? {}
          : {
              secrets: container.secrets.map((r) => ({
                ...r,
                secretId: secretIds.get(r.secretName) ?? missing('secret', r.secretName),
              })),
            }),
        ...(container.configs === undefined
          ? {}
          : {
              configs: container.configs.map((r) => ({
                ...r,
                configId: configIds.get(r.configName) ?? missing('config', r.configName),
              })),
            }),
      },
    },
  };
}

// ---- depends_on ----------------------------------------------------------------------------

async function waitForDependencies(
  client: StackClient,
  planned: PlannedService,
  deployedIds: Map<string, string>,
  options: DeployOptions,
  emit: (event: DeployEvent) => void,
): Promise<void> {
  const timeoutMs = options.dependencyTimeoutMs ?? DEFAULT_DEPENDENCY_TIMEOUT_MS;
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  for (const dependency of planned.dependsOn) {
    if (dependency.condition === 'created') continue;
    const id = deployedIds.get(dependency.service);
    // Ordering put every dependency first; one missing failed to deploy, which threw already.
    if (id === undefined)
      throw new StackDeployError(
        `service ${planned.name}: dependency ${dependency.service} was not deployed`,
      );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      options.signal?.throwIfAborted();
      const [service] = await client.listServices({ idPrefixes: id });
      if (service === undefined)
        throw new StackDeployError(`service ${planned.name}: dependency ${dependency.service} disappeared`);
      const progress = serviceProgress(service, await client.listTasks({ services: id }));
      if (dependencySatisfied(dependency.condition, progress)) break;
      emit({
        type: 'waiting',
        service: planned.name,
        dependency: dependency.service,
        condition: dependency.condition,
        progress,
      });
      if (Date.now() >= deadline) {
        throw new StackDeployError(
          `service ${planned.name} waits for ${dependency.service} (${dependency.condition}): ${progress.running}/${progress.desired} tasks running after ${timeoutMs} ms${progress.lastError === undefined ? '' : `; last error: ${progress.lastError}`}`,
        );
      }
      await sleep(pollMs, options.signal);
    }
  }
}

/** Deep equality of two JSON-shaped values, object keys in any order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameJson(ra[k], rb[k]))
  );
}
