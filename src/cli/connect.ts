// How the CLI reaches a manager, as docker reaches its daemon: `--host`/FLOTILLA_HOST (a
// manager's host:port, over mutual TLS with an admin client certificate from --tlscacert,
// --tlscert, --tlskey or the directory FLOTILLA_CERT_PATH with ca.pem, cert.pem, key.pem), or
// else the local admin socket DATA_DIR/control.sock of a manager on this host.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { channelCredentials } from '../ca/index.js';
import { FlotillaClient, UnavailableError } from '../client/index.js';
import type { FlagDef, ParsedFlags } from './args.js';
import { CliError } from './errors.js';

/** docker keeps its state in /var/lib/docker; Flotilla's node does the same by default. */
export const DEFAULT_DATA_DIR = '/var/lib/flotilla';
export const CONTROL_SOCKET = 'control.sock';

/** Flags every command that talks to a manager takes. */
export const connectionFlags: FlagDef[] = [
  {
    name: 'host',
    short: 'H',
    kind: 'string',
    help: 'Manager address host:port (env FLOTILLA_HOST), over mutual TLS',
  },
  {
    name: 'data-dir',
    kind: 'string',
    help: `Data directory of the local node (env FLOTILLA_DATA_DIR, default ${DEFAULT_DATA_DIR})`,
  },
  { name: 'tlscacert', kind: 'string', help: 'Trust certs signed only by this CA (with --host)' },
  { name: 'tlscert', kind: 'string', help: 'Path to the admin client certificate (with --host)' },
  { name: 'tlskey', kind: 'string', help: 'Path to the admin client key (with --host)' },
];

export type Env = Record<string, string | undefined>;

export interface Connection {
  client: FlotillaClient;
  /** The local node's id, when the CLI talks to this host's node (its `*` in node ls). */
  localNodeId?: string;
  /** The data directory, when connected through its admin socket. */
  dataDir?: string;
  /** What the CLI connected to, for messages. */
  target: string;
}

export function dataDirOf(flags: ParsedFlags, env: Env): string {
  return flags.str('data-dir') ?? nonEmpty(env.FLOTILLA_DATA_DIR) ?? DEFAULT_DATA_DIR;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Where the TLS files for --host come from: the flags, else FLOTILLA_CERT_PATH, else ~/.flotilla. */
export function certFiles(flags: ParsedFlags, env: Env): { ca: string; cert: string; key: string } {
  const dir = nonEmpty(env.FLOTILLA_CERT_PATH) ?? join(homedir(), '.flotilla');
  return {
    ca: flags.str('tlscacert') ?? join(dir, 'ca.pem'),
    cert: flags.str('tlscert') ?? join(dir, 'cert.pem'),
    key: flags.str('tlskey') ?? join(dir, 'key.pem'),
  };
}

/** Opens a client on the manager the flags and environment name. */
export function connect(flags: ParsedFlags, env: Env): Connection {
  const host = flags.str('host') ?? nonEmpty(env.FLOTILLA_HOST);
  if (host !== undefined && !host.startsWith('unix://')) {
    const files = certFiles(flags, env);
    const read = (path: string, what: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        throw new CliError(
          `cannot read the ${what} for --host ${host} at ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}): give --tlscacert/--tlscert/--tlskey or FLOTILLA_CERT_PATH (make them with 'flotilla admin-cert create DIR' on a manager)`,
        );
      }
    };
    const identity = {
      rootsPem: read(files.ca, 'CA certificate'),
      certChainPem: read(files.cert, 'client certificate'),
      keyPem: read(files.key, 'client key'),
    };
    return {
      client: retrying(new FlotillaClient({ address: host, credentials: channelCredentials(identity) })),
      target: host,
    };
  }
  const socket =
    host !== undefined ? host.slice('unix://'.length) : join(dataDirOf(flags, env), CONTROL_SOCKET);
  if (!existsSync(socket))
    throw new CliError(
      `cannot reach a manager: ${socket} does not exist; is a manager running here? use --data-dir, or --host HOST:PORT with an admin certificate`,
    );
  const dataDir = host !== undefined ? undefined : dataDirOf(flags, env);
  const localNodeId = dataDir === undefined ? undefined : readLocalNodeId(dataDir);
  return {
    client: retrying(new FlotillaClient({ address: `unix:${socket}` })),
    target: socket,
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(localNodeId === undefined ? {} : { localNodeId }),
  };
}

/** The id of the node whose data directory this is (node.json for a manager, worker.json for a worker). */
export function readLocalNodeId(dataDir: string): string | undefined {
  for (const [file, key] of [
    ['node.json', 'id'],
    ['worker.json', 'nodeId'],
  ] as const) {
    try {
      const value = (JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as Record<string, unknown>)[key];
      if (typeof value === 'string') return value;
    } catch {
      // Absent or unreadable: the local node is simply not known (no `*` in node ls).
    }
  }
  return undefined;
}

/** Unavailable reasons after which the same request is safe to send again: it was not applied. */
const RETRYABLE: ReadonlySet<string> = new Set(['no-leader', 'leader-changed']);

/**
 * The client, with its promise-returning calls retried for up to `budgetMs` while the cluster
 * elects a leader (an election, or leadership moving while a write was on its way: the write was
 * not applied). A write that timed out may have been applied, so it is not retried. Streams
 * (logs, watch) are passed through.
 */
export function retrying(client: FlotillaClient, budgetMs = 15_000): FlotillaClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const first: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(first instanceof Promise)) return first;
        const deadline = Date.now() + budgetMs;
        const again = async (attempt: Promise<unknown>, delayMs: number): Promise<unknown> => {
          try {
            return await attempt;
          } catch (err) {
            if (
              !(err instanceof UnavailableError) ||
              !RETRYABLE.has(err.reason) ||
              Date.now() + delayMs > deadline
            )
              throw err;
            await new Promise((r) => setTimeout(r, delayMs));
            return again(
              (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
              Math.min(delayMs * 2, 2_000),
            );
          }
        };
        return again(first, 100);
      };
    },
  });
}
