// Swarm's service templates: the Go-template placeholders (`{{.Task.Slot}}`, `{{index
// .Service.Labels "tier"}}`) that Docker expands in a task's env values, hostname and mount
// sources. Pure: the validators use parseTemplate to refuse a bad template at create/update, the
// worker expands with the task's context (SwarmKit template/context.go and expand.go).

import type { Task } from './objects.js';

/** What a template may name: SwarmKit's template.Context, in Go's field names. */
export interface TemplateContext {
  service: { id: string; name: string; labels: Readonly<Record<string, string>> };
  node: { id: string; hostname: string; platform: { os: string; architecture: string } };
  task: { id: string; name: string; slot: string };
}

/** A template that does not parse, or names something the context does not have. */
export class TemplateError extends Error {
  readonly code = 'INVALID_TEMPLATE';
  constructor(
    readonly template: string,
    readonly reason: string,
  ) {
    super(`invalid template ${JSON.stringify(template)}: ${reason}`);
    this.name = 'TemplateError';
  }
}

type FieldName =
  | 'Service.ID'
  | 'Service.Name'
  | 'Service.Labels'
  | 'Task.ID'
  | 'Task.Name'
  | 'Task.Slot'
  | 'Node.ID'
  | 'Node.Hostname'
  | 'Node.Platform.OS'
  | 'Node.Platform.Architecture';

const FIELDS: Readonly<Record<FieldName, (ctx: TemplateContext) => string>> = {
  'Service.ID': (ctx) => ctx.service.id,
  'Service.Name': (ctx) => ctx.service.name,
  'Service.Labels': (ctx) => goMap(ctx.service.labels),
  'Task.ID': (ctx) => ctx.task.id,
  'Task.Name': (ctx) => ctx.task.name,
  'Task.Slot': (ctx) => ctx.task.slot,
  'Node.ID': (ctx) => ctx.node.id,
  'Node.Hostname': (ctx) => ctx.node.hostname,
  'Node.Platform.OS': (ctx) => ctx.node.platform.os,
  'Node.Platform.Architecture': (ctx) => ctx.node.platform.architecture,
};

/** The maps `index` may look into. */
const MAPS = { 'Service.Labels': (ctx: TemplateContext) => ctx.service.labels } as const;
type MapName = keyof typeof MAPS;

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'field'; field: FieldName }
  | { kind: 'index'; map: MapName; key: string };

/** A parsed template: literal text and the placeholders between it. */
export type Template = readonly TemplatePart[];

/** Parses `source`; throws TemplateError for an unclosed `{{`, an unknown field or function. */
export function parseTemplate(source: string): Template {
  const parts: TemplatePart[] = [];
  let text = '';
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('{{', at);
    if (open === -1) {
      text += source.slice(at);
      break;
    }
    const close = source.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(source, `unclosed action at offset ${open}`);
    let before = source.slice(at, open);
    let action = source.slice(open + 2, close);
    at = close + 2;
    // Go's trim markers: `{{- ` eats the whitespace before the action, ` -}}` the whitespace after.
    if (/^-\s/.test(action)) {
      before = before.trimEnd();
      action = action.slice(1);
    }
    if (/\s-$/.test(action)) {
      action = action.slice(0, -1);
      const rest = source.slice(at);
      at += rest.length - rest.trimStart().length;
    }
    text += before;
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
    parts.push(parseAction(source, action));
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return parts;
}

/** Whether `source` holds a placeholder at all (plain strings skip expansion). */
export function hasTemplate(source: string): boolean {
  return source.includes('{{');
}

/** Expands a template (a source string or one parsed already) in the task's context. */
export function expandTemplate(template: string | Template, ctx: TemplateContext): string {
  if (typeof template === 'string' && !hasTemplate(template)) return template;
  const parts = typeof template === 'string' ? parseTemplate(template) : template;
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') out += part.text;
    else if (part.kind === 'field') out += FIELDS[part.field](ctx);
    // Go's index on a map yields the zero value ("") for a missing key.
    else out += Object.hasOwn(MAPS[part.map](ctx), part.key) ? (MAPS[part.map](ctx)[part.key] ?? '') : '';
  }
  return out;
}

/** Expands only the value of a `KEY=VALUE` env entry, as SwarmKit's expandEnv does. */
export function expandEnvEntry(entry: string, ctx: TemplateContext): string {
  const eq = entry.indexOf('=');
  if (eq === -1) return entry;
  return `${entry.slice(0, eq + 1)}${expandTemplate(entry.slice(eq + 1), ctx)}`;
}

/**
 * A task's full name as Docker shows it: `<service>.<slot>.<task id>` (replicated) or
 * `<service>.<node id>.<task id>` (global). Task.name holds the stable `<service>.<slot>` part
 * (orchestrator/task-factory.ts), so the id is appended to it when present.
 */
export function fullTaskName(
  task: Pick<Task, 'id' | 'name' | 'slot' | 'nodeId'>,
  serviceName: string,
): string {
  if (task.name !== undefined && task.name !== '') return `${task.name}.${task.id}`;
  return `${serviceName}.${slotOrNode(task)}.${task.id}`;
}

/** SwarmKit: `.Task.Slot` falls back to the node id for tasks without a slot (global mode). */
function slotOrNode(task: Pick<Task, 'slot' | 'nodeId'>): string {
  return task.slot !== undefined && task.slot !== 0 ? String(task.slot) : (task.nodeId ?? '');
}

export interface TemplateContextInput {
  task: Pick<Task, 'id' | 'name' | 'slot' | 'nodeId' | 'serviceId'>;
  service: { id: string; name: string; labels: Readonly<Record<string, string>> };
  node: { id: string; hostname: string; platform: { os: string; architecture: string } };
}

export function templateContext(input: TemplateContextInput): TemplateContext {
  return {
    service: { id: input.service.id, name: input.service.name, labels: input.service.labels },
    node: {
      id: input.node.id,
      hostname: input.node.hostname,
      platform: { os: input.node.platform.os, architecture: input.node.platform.architecture },
    },
    task: {
      id: input.task.id,
      name: fullTaskName(input.task, input.service.name),
      slot: slotOrNode({ slot: input.task.slot, nodeId: input.task.nodeId ?? input.node.id }),
    },
  };
}

// ---- parsing one action --------------------------------------------------------------------

function parseAction(source: string, action: string): TemplatePart {
  const words = tokenize(source, action);
  const [first, ...rest] = words;
  if (first === undefined) throw new TemplateError(source, 'missing value for command');
  if (first.kind === 'field') {
    if (rest.length > 0)
      throw new TemplateError(source, `unexpected ${describe(rest[0])} after .${first.path}`);
    return { kind: 'field', field: leafField(source, first.path) };
  }
  if (first.kind === 'string') throw new TemplateError(source, 'a constant string is not a placeholder');
  if (first.name !== 'index')
    throw new TemplateError(source, `function ${JSON.stringify(first.name)} not defined`);
  const [map, key, ...extra] = rest;
  if (map?.kind !== 'field' || key?.kind !== 'string' || extra.length > 0) {
    throw new TemplateError(source, 'index takes a map and one quoted key: {{index .Service.Labels "key"}}');
  }
  if (!Object.hasOwn(MAPS, map.path)) {
    throw new TemplateError(source, `cannot index .${map.path}: only .Service.Labels is a map`);
  }
  return { kind: 'index', map: map.path as MapName, key: key.value };
}

function leafField(source: string, path: string): FieldName {
  if (Object.hasOwn(FIELDS, path)) return path as FieldName;
  const isPrefix = Object.keys(FIELDS).some((field) => field.startsWith(`${path}.`));
  if (isPrefix) throw new TemplateError(source, `.${path} is not a value; name one of its fields`);
  throw new TemplateError(source, `unknown field .${path}`);
}

type Token =
  { kind: 'field'; path: string } | { kind: 'ident'; name: string } | { kind: 'string'; value: string };

function describe(token: Token | undefined): string {
  if (token === undefined) return 'end';
  if (token.kind === 'field') return `.${token.path}`;
  return token.kind === 'ident' ? token.name : JSON.stringify(token.value);
}

function tokenize(source: string, action: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < action.length) {
    const rest = action.slice(i);
    const space = /^\s+/.exec(rest);
    if (space !== null) {
      i += space[0].length;
      continue;
    }
    const field = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(rest);
    if (field !== null) {
      tokens.push({ kind: 'field', path: field[0].slice(1) });
      i += field[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident !== null) {
      tokens.push({ kind: 'ident', name: ident[0] });
      i += ident[0].length;
      continue;
    }
    if (rest.startsWith('`')) {
      const end = rest.indexOf('`', 1);
      if (end === -1) throw new TemplateError(source, 'unterminated raw quoted string');
      tokens.push({ kind: 'string', value: rest.slice(1, end) });
      i += end + 1;
      continue;
    }
    if (rest.startsWith('"')) {
      const quoted = /^"(?:[^"\\\n]|\\.)*"/.exec(rest);
      if (quoted === null) throw new TemplateError(source, 'unterminated quoted string');
      tokens.push({ kind: 'string', value: unquote(source, quoted[0]) });
      i += quoted[0].length;
      continue;
    }
    throw new TemplateError(source, `unexpected ${JSON.stringify(rest[0])} in action`);
  }
  return tokens;
}

/** Go's interpreted string literal; JSON's escapes are the common subset users write. */
function unquote(source: string, quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new TemplateError(source, `invalid quoted string ${quoted}`);
  }
}

/** Go's fmt of a map[string]string: `map[a:1 b:2]`, keys sorted. */
function goMap(map: Readonly<Record<string, string>>): string {
  const keys = Object.keys(map).sort();
  return `map[${keys.map((key) => `${key}:${map[key] ?? ''}`).join(' ')}]`;
}
