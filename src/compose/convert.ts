// A compose project to the objects `docker stack deploy` creates (docker/cli cli/compose/convert):
// services named `<stack>_<service>`, secrets and configs named `<stack>_<name>`, everything
// labelled `com.docker.stack.namespace=<stack>`. Files (secrets, configs, env files) are read
// first; the mapping itself is pure. Whatever Flotilla's model cannot express is a warning.

import { readFile as fsReadFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { validateConfigSpec, validateSecretSpec, type ConfigSpec, type SecretSpec } from '../api/index.js';
import {
  envFiles,
  isExternal,
  labelsOf,
  mapStrings,
  MapContext,
  withStackLabel,
  type FileContents,
} from './map-context.js';
import { mapService } from './map-service.js';
import type { PlanOptions, PlannedConfig, PlannedSecret, PlannedService, StackPlan } from './plan.js';
import { ProblemSink } from './problems.js';
import type { ComposeProject, FileObjectShape } from './project.js';

export * from './plan.js';

const STACK_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_-]*[a-zA-Z0-9])?$/;

/** Maps a loaded project to the stack's objects; throws ComposeError listing every error. */
export async function planStack(
  project: ComposeProject,
  stack: string,
  options: PlanOptions = {},
): Promise<StackPlan> {
  const sink = new ProblemSink((path) => project.positionOf(path), [], [...project.warnings]);
  if (!STACK_NAME.test(stack)) {
    sink.error('', `invalid stack name ${JSON.stringify(stack)}: letters and digits, joined by - or _`);
    sink.throwIfErrors();
  }
  const read = options.readFile ?? ((path: string) => fsReadFile(path));
  const files = await readFiles(project, read);
  const plan = mapStack(new MapContext(project, stack, sink, files));
  sink.throwIfErrors();
  return { ...plan, warnings: sink.warnings };
}

/** The I/O edge: every file the mapping needs, read up front (missing ones kept as errors). */
async function readFiles(
  project: ComposeProject,
  read: (path: string) => Promise<Uint8Array>,
): Promise<FileContents> {
  const paths = new Set<string>();
  for (const objects of [project.model.secrets, project.model.configs]) {
    for (const object of Object.values(objects)) {
      if (object.file !== undefined && !isExternal(object))
        paths.add(resolvePath(project.workingDir, object.file));
    }
  }
  for (const service of Object.values(project.model.services)) {
    for (const entry of envFiles(service)) paths.add(resolvePath(project.workingDir, entry.path));
  }
  const contents: FileContents = new Map();
  await Promise.all(
    [...paths].map(async (path) => {
      try {
        contents.set(path, await read(path));
      } catch (err) {
        contents.set(path, err as NodeJS.ErrnoException);
      }
    }),
  );
  return contents;
}

function mapStack(ctx: MapContext): Omit<StackPlan, 'warnings'> {
  const { model } = ctx.project;
  const secrets: PlannedSecret[] = [];
  const configs: PlannedConfig[] = [];
  const externalSecrets: string[] = [];
  const externalConfigs: string[] = [];
  for (const [key, object] of Object.entries(model.secrets)) {
    if (isExternal(object)) externalSecrets.push(ctx.objectName(key, object));
    else {
      const spec = mapSecret(ctx, key, object);
      if (spec !== undefined) secrets.push({ key, spec });
    }
  }
  for (const [key, object] of Object.entries(model.configs)) {
    if (isExternal(object)) externalConfigs.push(ctx.objectName(key, object));
    else {
      const spec = mapConfig(ctx, key, object);
      if (spec !== undefined) configs.push({ key, spec });
    }
  }
  const services: PlannedService[] = [];
  for (const [name, service] of Object.entries(model.services)) {
    const planned = mapService(ctx, name, service);
    if (planned !== undefined) services.push(planned);
  }
  const networks = new Set(
    services.flatMap((s) => (s.spec.taskTemplate.networks ?? []).map((n) => n.target)),
  );
  if (networks.size > 0) {
    ctx.sink.warn(
      'networks',
      `Flotilla does not create networks: the services record their attachments (${[...networks].sort().join(', ')}) but their tasks use each engine's default network`,
    );
  }
  return {
    stack: ctx.stack,
    services: order(services, ctx.sink),
    secrets,
    configs,
    externalSecrets,
    externalConfigs,
  };
}

// ---- secrets and configs (convert.Secrets, convert.Configs) --------------------------------

function objectData(
  ctx: MapContext,
  kind: 'secrets' | 'configs',
  key: string,
  object: FileObjectShape,
): Uint8Array | undefined {
  const path = `${kind}.${key}`;
  if (object.file !== undefined) return ctx.file(`${path}.file`, object.file, 'file');
  if (object.content !== undefined) return Buffer.from(object.content, 'utf8');
  if (object.environment !== undefined) {
    const value = ctx.project.lookup(object.environment);
    if (value === undefined) {
      ctx.sink.error(`${path}.environment`, `variable ${object.environment} is not set`);
      return undefined;
    }
    return Buffer.from(value, 'utf8');
  }
  ctx.sink.error(
    path,
    `needs one of file, ${kind === 'configs' ? 'content, ' : ''}environment${kind === 'secrets' ? ', driver' : ''} or external`,
  );
  return undefined;
}

function mapSecret(ctx: MapContext, key: string, object: FileObjectShape): SecretSpec | undefined {
  const path = `secrets.${key}`;
  const labels = withStackLabel(ctx.stack, labelsOf(object.labels));
  const spec: SecretSpec = { name: ctx.objectName(key, object), labels };
  if (object.driver !== undefined) {
    if (object.file !== undefined)
      ctx.sink.error(`${path}.driver`, 'driver and file conflict: use only driver');
    spec.driver = { name: object.driver, options: mapStrings(object.driver_opts) };
  } else {
    const data = objectData(ctx, 'secrets', key, object);
    if (data === undefined) return undefined;
    spec.data = data;
  }
  if (object.template_driver !== undefined) spec.templating = { name: object.template_driver };
  return ctx.checked(path, () => validateSecretSpec(spec));
}

function mapConfig(ctx: MapContext, key: string, object: FileObjectShape): ConfigSpec | undefined {
  const path = `configs.${key}`;
  const data = objectData(ctx, 'configs', key, object);
  if (data === undefined) return undefined;
  const spec: ConfigSpec = {
    name: ctx.objectName(key, object),
    labels: withStackLabel(ctx.stack, labelsOf(object.labels)),
    data,
  };
  if (object.template_driver !== undefined) spec.templating = { name: object.template_driver };
  return ctx.checked(path, () => validateConfigSpec(spec));
}

/** Dependencies first, otherwise the file's order; a cycle is an error naming it. */
function order(services: PlannedService[], sink: ProblemSink): PlannedService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const out: PlannedService[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: PlannedService, chain: string[]): void => {
    const seen = state.get(s.name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      sink.error(`services.${s.name}.depends_on`, `dependency cycle: ${[...chain, s.name].join(' -> ')}`);
      return;
    }
    state.set(s.name, 'visiting');
    for (const dep of s.dependsOn) {
      const target = byName.get(dep.service);
      if (target !== undefined) visit(target, [...chain, s.name]);
    }
    state.set(s.name, 'done');
    out.push(s);
  };
  for (const s of services) visit(s, []);
  return out;
}
