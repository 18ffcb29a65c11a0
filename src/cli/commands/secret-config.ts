// `flotilla secret|config create|ls|inspect|rm`, as docker's: the data comes from a file or
// standard input (`-`); a secret's value is never shown again.

import type { Config, Secret } from '../../client/index.js';
import type { Command } from '../command.js';
import { ago, renderInspect, renderList, type ListOutput } from '../format.js';
import { labelsFrom } from '../service-options.js';
import {
  filterFlag,
  forEachName,
  formatFlag,
  parseFilters,
  quietFlag,
  readInput,
  withConnection,
} from './shared.js';

type Kind = 'secret' | 'config';

export function secretListOutput(nowMs: number): ListOutput<Secret> {
  const row = (s: Secret): Record<string, string> => ({
    ID: s.id,
    Name: s.spec.name,
    Driver: s.spec.driver?.name ?? '',
    CreatedAt: ago(s.meta.createdAt, nowMs),
    UpdatedAt: ago(s.meta.updatedAt, nowMs),
  });
  return {
    header: ['ID', 'NAME', 'DRIVER', 'CREATED', 'UPDATED'],
    cells: (s) => Object.values(row(s)),
    fields: row,
    id: (s) => s.id,
  };
}

export function configListOutput(nowMs: number): ListOutput<Config> {
  const row = (c: Config): Record<string, string> => ({
    ID: c.id,
    Name: c.spec.name,
    CreatedAt: ago(c.meta.createdAt, nowMs),
    UpdatedAt: ago(c.meta.updatedAt, nowMs),
  });
  return {
    header: ['ID', 'NAME', 'CREATED', 'UPDATED'],
    cells: (c) => Object.values(row(c)),
    fields: row,
    id: (c) => c.id,
  };
}

function commands(kind: Kind): Command[] {
  const Kind = kind === 'secret' ? 'Secret' : 'Config';
  const create: Command = {
    connects: true,
    def: {
      path: `${kind} create`,
      usage: `[OPTIONS] ${kind.toUpperCase()} file|-`,
      summary: `Create a ${kind} from a file or STDIN as content`,
      flags: [{ name: 'label', short: 'l', kind: 'list', help: `${Kind} labels` }],
      args: [2, 2],
    },
    async run(io, { flags, args }) {
      const [name, file] = args as [string, string];
      const labels = labelsFrom(flags.list('label'), 'label');
      const data = await readInput(io, file);
      return withConnection(io, flags, async ({ client }) => {
        const spec = {
          name,
          data: new Uint8Array(data),
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
        };
        const { id } = kind === 'secret' ? await client.createSecret(spec) : await client.createConfig(spec);
        io.out(`${id}\n`);
      });
    },
  };
  const ls: Command = {
    connects: true,
    def: {
      path: `${kind} ls`,
      usage: '[OPTIONS]',
      summary: `List ${kind}s`,
      flags: [quietFlag, formatFlag, filterFlag],
      args: [0, 0],
    },
    async run(io, { flags }) {
      const filters = parseFilters(flags, ['name', 'id', 'label']);
      const filter = {
        ...(filters.has('name') ? { names: filters.get('name')! } : {}),
        ...(filters.has('id') ? { idPrefixes: filters.get('id')! } : {}),
        ...(filters.has('label')
          ? {
              labels: Object.fromEntries(
                filters.get('label')!.map((l) => {
                  const eq = l.indexOf('=');
                  return eq < 0 ? [l, null] : [l.slice(0, eq), l.slice(eq + 1)];
                }),
              ),
            }
          : {}),
      };
      return withConnection(io, flags, async ({ client }) => {
        const options = { quiet: flags.bool('quiet'), format: flags.str('format') };
        if (kind === 'secret') {
          const items = (await client.listSecrets(filter)).sort((a, b) =>
            a.spec.name.localeCompare(b.spec.name),
          );
          io.out(renderList(items, secretListOutput(io.now()), options));
        } else {
          const items = (await client.listConfigs(filter)).sort((a, b) =>
            a.spec.name.localeCompare(b.spec.name),
          );
          io.out(renderList(items, configListOutput(io.now()), options));
        }
      });
    },
  };
  const inspect: Command = {
    connects: true,
    def: {
      path: `${kind} inspect`,
      usage: `[OPTIONS] ${kind.toUpperCase()} [${kind.toUpperCase()}...]`,
      summary: `Display detailed information on one or more ${kind}s`,
      flags: [formatFlag],
      args: [1, Infinity],
    },
    async run(io, { flags, args }) {
      return withConnection(io, flags, async ({ client }) => {
        const found: unknown[] = [];
        for (const name of args)
          found.push(kind === 'secret' ? await client.getSecret(name) : await client.getConfig(name));
        io.out(renderInspect(found, flags.str('format')));
      });
    },
  };
  const rm: Command = {
    connects: true,
    def: {
      path: `${kind} rm`,
      usage: `${kind.toUpperCase()} [${kind.toUpperCase()}...]`,
      summary: `Remove one or more ${kind}s`,
      flags: [],
      args: [1, Infinity],
    },
    async run(io, { flags, args }) {
      return withConnection(io, flags, ({ client }) =>
        forEachName(io, args, async (name) => {
          if (kind === 'secret') await client.removeSecret(name);
          else await client.removeConfig(name);
        }),
      );
    },
  };
  return [create, ls, inspect, rm];
}

export const secretCommands = commands('secret');
export const configCommands = commands('config');
