// `flotilla stack deploy|ls|services|ps|rm`, as docker's, over src/compose: a compose file is
// loaded, validated (every problem one line naming file, line and key) and deployed; the services
// it created or changed are then followed to convergence with the same view as `service create`,
// unless --detach.

import {
  ComposeError,
  deployStack,
  formatProblem,
  listStacks,
  loadProject,
  removeStack,
  StackDeployError,
  stackServices,
  type DeployEvent,
} from '../../compose/index.js';
import type { Command, Io } from '../command.js';
import { CliError } from '../errors.js';
import { renderList } from '../format.js';
import { convergeSettings, convergeWithView } from '../progress-view.js';
import { progressQuietFlag } from '../service-flags.js';
import { filterFlag, formatFlag, parseFilters, quietFlag, withConnection } from './shared.js';
import { printServices, printTasks } from './service.js';

/** What a deploy says as it goes, in docker's words. */
function describeStep(event: DeployEvent): string | null {
  switch (event.type) {
    case 'secret':
    case 'config':
      return event.action === 'created' ? `Creating ${event.type} ${event.name}` : null;
    case 'service':
      if (event.action === 'created') return `Creating service ${event.name}`;
      if (event.action === 'updated') return `Updating service ${event.name} (id: ${event.id})`;
      if (event.action === 'removed') return `Removing service ${event.name}`;
      return null;
    case 'waiting':
      return `Waiting for ${event.dependency} (${event.condition}) before ${event.service}`;
    case 'warning':
      return null; // printed to stderr
  }
}

const deploy: Command = {
  connects: true,
  def: {
    path: 'stack deploy',
    usage: '[OPTIONS] STACK',
    summary: 'Deploy a new stack or update an existing stack',
    flags: [
      {
        name: 'compose-file',
        short: 'c',
        kind: 'list',
        help: 'Path to a Compose file (repeat it to merge several, as docker does)',
      },
      { name: 'prune', kind: 'bool', help: 'Prune services that are no longer referenced' },
      {
        name: 'detach',
        short: 'd',
        kind: 'bool',
        help: 'Exit immediately instead of waiting for the stack services to converge',
      },
      progressQuietFlag,
    ],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const [stack] = args as [string];
    const files = flags.list('compose-file');
    if (files.length === 0) throw new CliError('Please specify a Compose file (with --compose-file)');
    let project;
    try {
      project = await loadProject(files, { environment: io.env });
    } catch (err) {
      return reportComposeError(io, err);
    }
    return withConnection(io, flags, async ({ client }) => {
      const quiet = flags.bool('quiet');
      let result;
      try {
        result = await deployStack(client, stack, project, {
          prune: flags.bool('prune'),
          signal: io.signal,
          onProgress: (event) => {
            if (event.type === 'warning') io.err(`warning: ${formatProblem(event.problem)}\n`);
            const step = describeStep(event);
            if (step !== null && !quiet) io.out(`${step}\n`);
          },
        });
      } catch (err) {
        if (err instanceof ComposeError) return reportComposeError(io, err);
        if (err instanceof StackDeployError) throw new CliError(err.message);
        throw err;
      }
      const changed = [...result.created, ...result.updated];
      if (flags.bool('detach') || changed.length === 0) return;
      for (const service of changed) {
        if (!quiet) io.out(`${service.serviceName}\n`);
        await convergeWithView(client, service.id, {
          ...convergeSettings(io.env),
          out: quiet ? null : { write: (s) => io.out(s), isTTY: io.stdoutIsTTY },
          signal: io.signal,
        });
      }
    });
  },
};

/** Every problem of a compose file on its own line (stderr), warnings too; exit code 1. */
function reportComposeError(io: Io, err: unknown): number {
  if (!(err instanceof ComposeError)) throw err;
  for (const problem of err.errors) io.err(`Error: ${formatProblem(problem)}\n`);
  for (const problem of err.warnings) io.err(`warning: ${formatProblem(problem)}\n`);
  return 1;
}

const ls: Command = {
  connects: true,
  def: {
    path: 'stack ls',
    usage: '[OPTIONS]',
    summary: 'List stacks',
    flags: [formatFlag],
    args: [0, 0],
  },
  async run(io, { flags }) {
    return withConnection(io, flags, async ({ client }) => {
      const stacks = await listStacks(client);
      io.out(
        renderList(
          stacks,
          {
            header: ['NAME', 'SERVICES'],
            cells: (s) => [s.name, String(s.services)],
            fields: (s) => ({ Name: s.name, Services: String(s.services) }),
            id: (s) => s.name,
          },
          { quiet: false, format: flags.str('format') },
        ),
      );
    });
  },
};

const services: Command = {
  connects: true,
  def: {
    path: 'stack services',
    usage: '[OPTIONS] STACK',
    summary: 'List the services in the stack',
    flags: [quietFlag, formatFlag, filterFlag],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const filters = parseFilters(flags, ['name', 'id']);
    return withConnection(io, flags, async ({ client }) => {
      let found = await stackServices(client, args[0]!);
      if (found.length === 0) throw new CliError(`Nothing found in stack: ${args[0]!}`);
      const names = filters.get('name');
      const ids = filters.get('id');
      if (names) found = found.filter((s) => names.includes(s.spec.name));
      if (ids) found = found.filter((s) => ids.some((id) => s.id.startsWith(id)));
      await printServices(io, flags, client, found);
    });
  },
};

const ps: Command = {
  connects: true,
  def: {
    path: 'stack ps',
    usage: '[OPTIONS] STACK',
    summary: 'List the tasks in the stack',
    flags: [
      quietFlag,
      formatFlag,
      filterFlag,
      { name: 'no-trunc', kind: 'bool', help: 'Do not truncate output' },
    ],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const filters = parseFilters(flags, ['desired-state', 'node', 'name', 'id']);
    return withConnection(io, flags, async ({ client }) => {
      const found = await stackServices(client, args[0]!);
      if (found.length === 0) throw new CliError(`Nothing found in stack: ${args[0]!}`);
      await printTasks(io, flags, client, found, filters);
    });
  },
};

const rm: Command = {
  connects: true,
  def: {
    path: 'stack rm',
    usage: 'STACK [STACK...]',
    summary: 'Remove one or more stacks',
    flags: [],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    return withConnection(io, flags, async ({ client }) => {
      let missing = 0;
      for (const stack of args) {
        const removed = await removeStack(client, stack);
        const total = removed.services.length + removed.secrets.length + removed.configs.length;
        if (total === 0) {
          io.err(`Nothing found in stack: ${stack}\n`);
          missing++;
          continue;
        }
        for (const name of removed.services) io.out(`Removing service ${name}\n`);
        for (const name of removed.secrets) io.out(`Removing secret ${name}\n`);
        for (const name of removed.configs) io.out(`Removing config ${name}\n`);
      }
      return missing > 0 ? 1 : 0;
    });
  },
};

export const stackCommands: Command[] = [deploy, ls, services, ps, rm];
