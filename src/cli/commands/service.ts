// `flotilla service create|ls|ps|inspect|update|rollback|scale|rm|logs`, as docker's.

import {
  formatLogLine,
  NotFoundError,
  type FlotillaClient,
  type Node,
  type Service,
  type Task,
  type TaskState,
} from '../../client/index.js';
import { parseDuration, type ParsedFlags } from '../args.js';
import type { Command, Io } from '../command.js';

import { CliError, errorLine, UsageError } from '../errors.js';
import { renderInspect, renderList } from '../format.js';
import { prettyService } from '../pretty.js';
import { convergeSettings, convergeWithView } from '../progress-view.js';
import {
  ANY_REFERENCE,
  applyServiceUpdate,
  buildServiceSpec,
  checkUpdateFlags,
  generatedName,
  referencedNames,
  withReplicas,
  type ReferenceIds,
} from '../service-spec.js';
import {
  progressQuietFlag,
  serviceCreateFlags,
  serviceDetachFlag,
  serviceUpdateFlags,
} from '../service-flags.js';
import { serviceListOutput, taskListOutput, taskRows } from '../service-view.js';
import { filterFlag, forEachName, formatFlag, parseFilters, quietFlag, withConnection } from './shared.js';

async function lookUpReferences(client: FlotillaClient, flags: ParsedFlags): Promise<ReferenceIds> {
  const names = referencedNames(flags);
  const secrets = new Map<string, string>();
  const configs = new Map<string, string>();
  for (const name of names.secrets) secrets.set(name, (await client.getSecret(name)).id);
  for (const name of names.configs) configs.set(name, (await client.getConfig(name)).id);
  return { secrets, configs };
}

/** Waits for convergence with docker's view, unless --detach; -q waits without drawing. */
async function converge(
  io: Io,
  client: FlotillaClient,
  service: string,
  flags: ParsedFlags,
  options: { rollback?: boolean } = {},
): Promise<void> {
  if (flags.bool('detach')) return;
  await convergeWithView(client, service, {
    ...convergeSettings(io.env),
    out: flags.bool('quiet') ? null : { write: (s) => io.out(s), isTTY: io.stdoutIsTTY },
    signal: io.signal,
    ...(options.rollback ? { rollback: true } : {}),
  });
}

const create: Command = {
  connects: true,
  def: {
    path: 'service create',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    summary: 'Create a new service',
    flags: serviceCreateFlags,
    args: [1, Infinity],
    stopAtFirstPositional: true,
  },
  async run(io, { flags, args }) {
    const [image, ...commandLine] = args as [string, ...string[]];
    // Every flag's syntax first: a typo is a usage error before anything reaches a manager.
    buildServiceSpec(image, commandLine, flags, ANY_REFERENCE);
    return withConnection(io, flags, async ({ client }) => {
      const refs = await lookUpReferences(client, flags);
      const spec = buildServiceSpec(image, commandLine, flags, refs, generatedName(image));
      const { id } = await client.createService(spec);
      io.out(`${id}\n`);
      await converge(io, client, id, flags);
    });
  },
};

const update: Command = {
  connects: true,
  def: {
    path: 'service update',
    usage: '[OPTIONS] SERVICE',
    summary: 'Update a service',
    flags: serviceUpdateFlags,
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const name = args[0]!;
    checkUpdateFlags(flags);
    return withConnection(io, flags, async ({ client }) => {
      const service = await client.getService(name);
      if (flags.bool('rollback')) {
        await client.rollbackService(service.id, service.meta.version.index);
        io.out(`${name}\n`);
        await converge(io, client, service.id, flags, { rollback: true });
        return;
      }
      const refs = await lookUpReferences(client, flags);
      const spec = applyServiceUpdate(service.spec, flags, refs);
      await client.updateService(service.id, service.meta.version.index, spec);
      io.out(`${name}\n`);
      await converge(io, client, service.id, flags);
    });
  },
};

const rollback: Command = {
  connects: true,
  def: {
    path: 'service rollback',
    usage: '[OPTIONS] SERVICE',
    summary: "Revert changes to a service's configuration",
    flags: [serviceDetachFlag, progressQuietFlag],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const name = args[0]!;
    return withConnection(io, flags, async ({ client }) => {
      const service = await client.getService(name);
      if (service.previousSpec === undefined)
        throw new CliError(`service ${name} has no previous spec to roll back to`);
      await client.rollbackService(service.id, service.meta.version.index);
      io.out(`${name}\n`);
      await converge(io, client, service.id, flags, { rollback: true });
    });
  },
};

const scale: Command = {
  connects: true,
  def: {
    path: 'service scale',
    usage: 'SERVICE=REPLICAS [SERVICE=REPLICAS...]',
    summary: 'Scale one or multiple replicated services',
    flags: [serviceDetachFlag],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    const wanted = args.map((a) => {
      const m = /^(.+)=(\d+)$/.exec(a);
      if (!m)
        throw new UsageError(`invalid scale specifier '${a}': expected SERVICE=REPLICAS`, 'service scale');
      return { name: m[1]!, replicas: Number(m[2]) };
    });
    return withConnection(io, flags, async ({ client }) => {
      let failed = 0;
      const scaled: string[] = [];
      for (const { name, replicas } of wanted) {
        try {
          const service = await client.getService(name);
          let mode;
          try {
            mode = withReplicas(service.spec.mode, replicas);
          } catch {
            throw new CliError(
              `scale can only be used with replicated or replicated-job mode (service ${name})`,
            );
          }
          await client.updateService(service.id, service.meta.version.index, { ...service.spec, mode });
          io.out(`${name} scaled to ${replicas}\n`);
          scaled.push(service.id);
        } catch (err) {
          failed++;
          io.err(`${errorLine(err)}\n`);
        }
      }
      for (const id of scaled) await converge(io, client, id, flags);
      return failed > 0 ? 1 : 0;
    });
  },
};

const ls: Command = {
  connects: true,
  def: {
    path: 'service ls',
    usage: '[OPTIONS]',
    summary: 'List services',
    flags: [quietFlag, formatFlag, filterFlag],
    args: [0, 0],
  },
  async run(io, { flags }) {
    const filters = parseFilters(flags, ['name', 'id', 'label', 'mode']);
    return withConnection(io, flags, async ({ client }) => {
      let services = await client.listServices({
        ...(filters.has('name') ? { names: filters.get('name')! } : {}),
        ...(filters.has('id') ? { idPrefixes: filters.get('id')! } : {}),
        ...(filters.has('label') ? { labels: labelFilter(filters.get('label')!) } : {}),
      });
      const modes = filters.get('mode');
      if (modes)
        services = services.filter((s) => modes.includes(serviceListOutput([]).fields(s).Mode as string));
      await printServices(io, flags, client, services);
    });
  },
};

/** `service ls`'s table (or -q, --format) of `services`, sorted by name. */
export async function printServices(
  io: Io,
  flags: ParsedFlags,
  client: FlotillaClient,
  services: Service[],
): Promise<void> {
  const output = serviceListOutput(flags.bool('quiet') ? [] : await client.listTasks());
  services.sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  io.out(renderList(services, output, { quiet: flags.bool('quiet'), format: flags.str('format') }));
}

function labelFilter(values: string[]): Record<string, string | null> {
  return Object.fromEntries(
    values.map((v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? [v, null] : [v.slice(0, eq), v.slice(eq + 1)];
    }),
  );
}

const ps: Command = {
  connects: true,
  def: {
    path: 'service ps',
    usage: '[OPTIONS] SERVICE [SERVICE...]',
    summary: 'List the tasks of one or more services',
    flags: [
      quietFlag,
      formatFlag,
      filterFlag,
      { name: 'no-trunc', kind: 'bool', help: 'Do not truncate output' },
    ],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    const filters = parseFilters(flags, ['desired-state', 'node', 'name', 'id']);
    return withConnection(io, flags, async ({ client }) => {
      const services: Service[] = [];
      for (const name of args) services.push(await client.getService(name));
      await printTasks(io, flags, client, services, filters);
    });
  },
};

/** `service ps`'s table (or -q, --format) of the tasks of `services`, filtered as it is. */
export async function printTasks(
  io: Io,
  flags: ParsedFlags,
  client: FlotillaClient,
  serviceList: readonly Service[],
  filters: Map<string, string[]>,
): Promise<void> {
  const services = new Map<string, Service>(serviceList.map((s) => [s.id, s]));
  const nodes = new Map<string, Node>((await client.listNodes()).map((n) => [n.id, n]));
  const tasks: Task[] =
    services.size === 0
      ? []
      : await client.listTasks({
          services: [...services.keys()],
          ...(filters.has('desired-state')
            ? { desiredStates: desiredStates(filters.get('desired-state')!) }
            : {}),
          ...(filters.has('node') ? { nodes: filters.get('node')! } : {}),
          ...(filters.has('id') ? { idPrefixes: filters.get('id')! } : {}),
        });
  let rows = taskRows(tasks, services, nodes);
  const names = filters.get('name');
  if (names) rows = rows.filter((r) => names.includes(r.name.replace(' \\_ ', '')));
  io.out(
    renderList(rows, taskListOutput(io.now(), flags.bool('no-trunc')), {
      quiet: flags.bool('quiet'),
      format: flags.str('format'),
    }),
  );
}

function desiredStates(values: string[]): TaskState[] {
  const allowed = ['running', 'shutdown', 'accepted', 'complete', 'ready'];
  for (const v of values)
    if (!allowed.includes(v))
      throw new CliError(`invalid filter 'desired-state=${v}': expected one of ${allowed.join(', ')}`);
  return values as TaskState[];
}

const inspect: Command = {
  connects: true,
  def: {
    path: 'service inspect',
    usage: '[OPTIONS] SERVICE [SERVICE...]',
    summary: 'Display detailed information on one or more services',
    flags: [
      formatFlag,
      { name: 'pretty', kind: 'bool', help: 'Print the information in a human friendly format' },
    ],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    return withConnection(io, flags, async ({ client }) => {
      const found: Service[] = [];
      for (const name of args) found.push(await client.getService(name));
      io.out(
        flags.bool('pretty')
          ? found.map(prettyService).join('\n')
          : renderInspect(found, flags.str('format')),
      );
    });
  },
};

const rm: Command = {
  connects: true,
  def: {
    path: 'service rm',
    usage: 'SERVICE [SERVICE...]',
    summary: 'Remove one or more services',
    flags: [],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    return withConnection(io, flags, ({ client }) =>
      forEachName(io, args, async (name) => {
        await client.removeService(name);
      }),
    );
  },
};

const logs: Command = {
  connects: true,
  def: {
    path: 'service logs',
    usage: '[OPTIONS] SERVICE|TASK',
    summary: 'Fetch the logs of a service or task',
    flags: [
      { name: 'follow', short: 'f', kind: 'bool', help: 'Follow log output' },
      {
        name: 'tail',
        short: 'n',
        kind: 'string',
        help: 'Number of lines to show from the end of the logs (default "all")',
      },
      {
        name: 'since',
        kind: 'string',
        help: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m")',
      },
      { name: 'timestamps', short: 't', kind: 'bool', help: 'Show timestamps' },
      { name: 'no-trunc', kind: 'bool', help: 'Do not truncate output' },
      { name: 'raw', kind: 'bool', help: 'Do not neatly format logs' },
    ],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const tail = parseTail(flags.str('tail'));
    const sinceMs = parseSince(flags.str('since'), io.now());
    const name = args[0]!;
    return withConnection(io, flags, async ({ client }) => {
      let target: string | { taskIds: string[] } = name;
      try {
        target = (await client.getService(name)).id;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // Not a service: a task id, as docker accepts.
        try {
          target = { taskIds: [(await client.getTask(name)).id] };
        } catch (taskErr) {
          if (taskErr instanceof NotFoundError) throw err;
          throw taskErr;
        }
      }
      const stream = client.serviceLogs(target, {
        follow: flags.bool('follow'),
        ...(tail === undefined ? {} : { tail }),
        ...(sinceMs === undefined ? {} : { sinceMs }),
        signal: io.signal,
        onWarning: (w) => io.err(`warning: ${w.nodeId === '' ? '' : `node ${w.nodeId}: `}${w.message}\n`),
      });
      for await (const line of stream) {
        const text = flags.bool('raw')
          ? (flags.bool('timestamps') ? `${new Date(line.timeMs).toISOString()} ` : '') + line.line
          : formatLogLine(line, { timestamps: flags.bool('timestamps'), noTrunc: flags.bool('no-trunc') });
        if (line.stream === 'stderr') io.err(`${text}\n`);
        else io.out(`${text}\n`);
      }
    });
  },
};

/** docker's --tail: a number of lines (0: none, so `-f` shows only what comes next) or "all". */
export function parseTail(text: string | undefined): number | undefined {
  if (text === undefined || text === 'all') return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError(
      `invalid argument "${text}" for "--tail" flag: a number of lines or "all"`,
      'service logs',
    );
  return Number(text);
}

/** docker's --since: an RFC 3339 time, a unix timestamp, or a duration back from now (`42m`). */
export function parseSince(text: string | undefined, nowMs: number): number | undefined {
  if (text === undefined) return undefined;
  const duration = parseDuration(text);
  if (duration !== null) return nowMs - Math.floor(duration / 1e6);
  if (/^\d+(\.\d+)?$/.test(text)) return Math.floor(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new UsageError(
      `invalid argument "${text}" for "--since" flag: a timestamp, unix time or duration such as 42m`,
      'service logs',
    );
  return at;
}

export const serviceCommands: Command[] = [create, ls, ps, inspect, update, rollback, scale, rm, logs];
