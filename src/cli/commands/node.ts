// `flotilla node ls|inspect|update|promote|demote|rm`, as docker's. `self` names the local node
// when the CLI talks to this host's manager.

import type { Node, NodeAvailability, NodeRole, NodeSpec, TaskState } from '../../client/index.js';
import { taskListOutput, taskRows } from '../service-view.js';
import type { Command } from '../command.js';
import type { Connection } from '../connect.js';
import { CliError, errorLine, UsageError } from '../errors.js';
import { capitalize, renderInspect, renderList, type ListOutput } from '../format.js';
import { prettyNode } from '../pretty.js';
import { labelsFrom, splitKeyValue } from '../service-options.js';
import { filterFlag, forEachName, formatFlag, parseFilters, quietFlag, withConnection } from './shared.js';

function resolve(name: string, connection: Connection): string {
  if (name !== 'self') return name;
  if (connection.localNodeId === undefined)
    throw new CliError(
      "'self' names the local node, which is only known through --data-dir on a node's host",
    );
  return connection.localNodeId;
}

export function managerStatusColumn(node: Node): string {
  if (node.spec.role !== 'manager' && node.managerStatus === undefined) return '';
  if (node.managerStatus?.leader) return 'Leader';
  return capitalize(node.managerStatus?.reachability ?? 'unknown');
}

export function nodeListOutput(localNodeId: string | undefined): ListOutput<Node> {
  const row = (n: Node): Record<string, unknown> => ({
    ID: n.id,
    Self: n.id === localNodeId,
    Hostname: n.description?.hostname ?? '',
    Status: capitalize(n.status.state),
    Availability: capitalize(n.spec.availability),
    ManagerStatus: managerStatusColumn(n),
    EngineVersion: n.description?.engine.engineVersion ?? '',
  });
  return {
    header: ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'],
    cells: (n) => {
      const r = row(n);
      return [
        `${n.id}${r.Self ? ' *' : ''}`,
        r.Hostname as string,
        r.Status as string,
        r.Availability as string,
        r.ManagerStatus as string,
        r.EngineVersion as string,
      ];
    },
    fields: row,
    id: (n) => n.id,
  };
}

const ls: Command = {
  connects: true,
  def: {
    path: 'node ls',
    usage: '[OPTIONS]',
    summary: 'List nodes in the cluster',
    flags: [quietFlag, formatFlag, filterFlag],
    args: [0, 0],
  },
  async run(io, { flags }) {
    const filters = parseFilters(flags, ['id', 'name', 'role', 'label']);
    return withConnection(io, flags, async (connection) => {
      let nodes = await connection.client.listNodes(
        filters.has('id') ? { idPrefixes: filters.get('id')! } : {},
      );
      const roles = filters.get('role');
      if (roles) nodes = nodes.filter((n) => roles.includes(n.spec.role));
      const names = filters.get('name');
      if (names)
        nodes = nodes.filter(
          (n) => names.includes(n.spec.name ?? '') || names.includes(n.description?.hostname ?? ''),
        );
      const labels = filters.get('label');
      if (labels)
        nodes = nodes.filter((n) =>
          labels.every((l) => {
            const [k, v] = splitKeyValue(l);
            return n.spec.labels?.[k] !== undefined && (!l.includes('=') || n.spec.labels[k] === v);
          }),
        );
      nodes.sort((a, b) => (a.description?.hostname ?? a.id).localeCompare(b.description?.hostname ?? b.id));
      io.out(
        renderList(nodes, nodeListOutput(connection.localNodeId), {
          quiet: flags.bool('quiet'),
          format: flags.str('format'),
        }),
      );
    });
  },
};

const inspect: Command = {
  connects: true,
  def: {
    path: 'node inspect',
    usage: '[OPTIONS] self|NODE [NODE...]',
    summary: 'Display detailed information on one or more nodes',
    flags: [
      formatFlag,
      { name: 'pretty', kind: 'bool', help: 'Print the information in a human friendly format' },
    ],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    return withConnection(io, flags, async (connection) => {
      const found: Node[] = [];
      for (const name of args) found.push(await connection.client.getNode(resolve(name, connection)));
      io.out(
        flags.bool('pretty') ? found.map(prettyNode).join('\n') : renderInspect(found, flags.str('format')),
      );
    });
  },
};

/** Reads the node, changes its spec, writes it from the version read. */
async function updateSpec(
  connection: Connection,
  name: string,
  change: (spec: NodeSpec) => NodeSpec,
): Promise<{ before: Node }> {
  const before = await connection.client.getNode(resolve(name, connection));
  await connection.client.updateNode(
    before.id,
    before.meta.version.index,
    change(structuredClone(before.spec)),
  );
  return { before };
}

const AVAILABILITIES: readonly NodeAvailability[] = ['active', 'pause', 'drain'];
const ROLES: readonly NodeRole[] = ['worker', 'manager'];

const update: Command = {
  connects: true,
  def: {
    path: 'node update',
    usage: '[OPTIONS] NODE',
    summary: 'Update a node',
    flags: [
      { name: 'availability', kind: 'string', help: 'Availability of the node ("active", "pause", "drain")' },
      { name: 'label-add', kind: 'list', help: 'Add or update a node label (key=value)' },
      { name: 'label-rm', kind: 'list', help: 'Remove a node label if exists' },
      { name: 'role', kind: 'string', help: 'Role of the node ("worker", "manager")' },
    ],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const availability = flags.str('availability');
    if (availability !== undefined && !(AVAILABILITIES as readonly string[]).includes(availability))
      throw new UsageError(
        `invalid argument "${availability}" for "--availability" flag: must be one of active, pause, drain`,
        'node update',
      );
    const role = flags.str('role');
    if (role !== undefined && !(ROLES as readonly string[]).includes(role))
      throw new UsageError(
        `invalid argument "${role}" for "--role" flag: must be worker or manager`,
        'node update',
      );
    const added = labelsFrom(flags.list('label-add'), 'label-add');
    return withConnection(io, flags, async (connection) => {
      await updateSpec(connection, args[0]!, (spec) => {
        if (availability !== undefined) spec.availability = availability as NodeAvailability;
        if (role !== undefined) spec.role = role as NodeRole;
        if (flags.has('label-add') || flags.has('label-rm')) {
          const labels = { ...spec.labels };
          for (const key of flags.list('label-rm')) {
            if (!(key in labels)) throw new CliError(`key ${key} doesn't exist in node's labels`);
            delete labels[key];
          }
          spec.labels = { ...labels, ...added };
        }
        return spec;
      });
      io.out(`${args[0]}\n`);
    });
  },
};

function roleChange(role: NodeRole): Command {
  const verb = role === 'manager' ? 'promote' : 'demote';
  return {
    connects: true,
    def: {
      path: `node ${verb}`,
      usage: 'NODE [NODE...]',
      summary:
        role === 'manager'
          ? 'Promote one or more nodes to manager in the cluster'
          : 'Demote one or more nodes from manager in the cluster',
      flags: [],
      args: [1, Infinity],
    },
    async run(io, { flags, args }) {
      return withConnection(io, flags, async (connection) => {
        let failed = 0;
        for (const name of args) {
          try {
            const node = await connection.client.getNode(resolve(name, connection));
            if (node.spec.role === role) {
              io.out(
                role === 'manager'
                  ? `Node ${name} is already a manager.\n`
                  : `Node ${name} is already a worker.\n`,
              );
              continue;
            }
            await connection.client.updateNode(node.id, node.meta.version.index, { ...node.spec, role });
            io.out(
              role === 'manager'
                ? `Node ${name} promoted to a manager in the cluster.\n`
                : `Manager ${name} demoted in the cluster.\n`,
            );
          } catch (err) {
            failed++;
            io.err(`${errorLine(err)}\n`);
          }
        }
        return failed > 0 ? 1 : 0;
      });
    },
  };
}

const rm: Command = {
  connects: true,
  def: {
    path: 'node rm',
    usage: '[OPTIONS] NODE [NODE...]',
    summary: 'Remove one or more nodes from the cluster',
    flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force remove a node from the cluster' }],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    return withConnection(io, flags, (connection) =>
      forEachName(io, args, async (name) => {
        await connection.client.removeNode(resolve(name, connection), { force: flags.bool('force') });
      }),
    );
  },
};

const ps: Command = {
  connects: true,
  def: {
    path: 'node ps',
    usage: '[OPTIONS] [NODE...]',
    summary: 'List tasks running on one or more nodes, defaults to current node',
    flags: [
      quietFlag,
      formatFlag,
      filterFlag,
      { name: 'no-trunc', kind: 'bool', help: 'Do not truncate output' },
    ],
    args: [0, Infinity],
  },
  async run(io, { flags, args }) {
    const filters = parseFilters(flags, ['desired-state', 'name', 'id']);
    return withConnection(io, flags, async (connection) => {
      const { client } = connection;
      const nodeIds: string[] = [];
      for (const name of args.length > 0 ? args : ['self'])
        nodeIds.push((await client.getNode(resolve(name, connection))).id);
      const nodes = new Map((await client.listNodes()).map((n) => [n.id, n]));
      const services = new Map((await client.listServices()).map((s) => [s.id, s]));
      const desired = filters.get('desired-state');
      const tasks = await client.listTasks({
        nodes: nodeIds,
        ...(desired ? { desiredStates: desired as TaskState[] } : {}),
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
    });
  },
};

export const nodeCommands: Command[] = [
  ls,
  inspect,
  ps,
  update,
  roleChange('manager'),
  roleChange('worker'),
  rm,
];
