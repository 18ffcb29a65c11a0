// `flotilla admin-cert create|ls|revoke`: admin client certificates for reaching managers with
// --host from another machine, the list of those the cluster issued, and revoking one (every
// manager refuses it from then on; the others keep working).

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCsr, generateNodeKey } from '../../ca/index.js';
import type { AdminCertificate } from '../../client/index.js';
import type { Command } from '../command.js';
import { ago, humanDuration, renderList, type ListOutput } from '../format.js';
import { forEachName, formatFlag, quietFlag, withConnection } from './shared.js';

const create: Command = {
  connects: true,
  def: {
    path: 'admin-cert create',
    usage: '[OPTIONS] DIR',
    summary:
      'Issue an admin client certificate into DIR (ca.pem, cert.pem, key.pem), for --host from another machine (FLOTILLA_CERT_PATH=DIR)',
    flags: [
      {
        name: 'name',
        kind: 'string',
        help: "What to call the certificate in 'admin-cert ls' (e.g. alice-laptop)",
      },
    ],
    args: [1, 1],
  },
  async run(io, { flags, args }) {
    const dir = args[0]!;
    return withConnection(io, flags, async ({ client }) => {
      const keyPem = await generateNodeKey();
      const issued = await client.issueAdminCertificate(await createCsr(keyPem), {
        name: flags.str('name') ?? '',
      });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(join(dir, 'ca.pem'), issued.rootCa);
      await writeFile(join(dir, 'cert.pem'), issued.certificateChain);
      await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
      await chmod(join(dir, 'key.pem'), 0o600);
      io.out(`${issued.id}\n`);
    });
  },
};

/** Revoked wins over expired: a revoked certificate was cut off before its end. */
function status(certificate: AdminCertificate, nowMs: number): 'Revoked' | 'Expired' | 'Active' {
  if (certificate.revokedAt !== undefined) return 'Revoked';
  return Date.parse(certificate.expiresAt) <= nowMs ? 'Expired' : 'Active';
}

/** "in 89 days" for a time to come, "3 hours ago" for one past. */
function fromNow(timestamp: string, nowMs: number): string {
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return '';
  return at > nowMs ? `in ${humanDuration(at - nowMs)}` : ago(timestamp, nowMs);
}

export function adminCertListOutput(nowMs: number): ListOutput<AdminCertificate> {
  const fields = (c: AdminCertificate): Record<string, string> => ({
    ID: c.id,
    Name: c.name,
    Status: status(c, nowMs),
    Serial: c.serial,
    IssuedAt: c.issuedAt,
    ExpiresAt: c.expiresAt,
    RevokedAt: c.revokedAt ?? '',
  });
  return {
    header: ['ID', 'NAME', 'STATUS', 'ISSUED', 'EXPIRES'],
    cells: (c) => [c.id, c.name, status(c, nowMs), ago(c.issuedAt, nowMs), fromNow(c.expiresAt, nowMs)],
    fields,
    id: (c) => c.id,
  };
}

const ls: Command = {
  connects: true,
  def: {
    path: 'admin-cert ls',
    usage: '[OPTIONS]',
    summary: 'List the admin client certificates the cluster issued (until they expire)',
    flags: [quietFlag, formatFlag],
    args: [0, 0],
  },
  async run(io, { flags }) {
    return withConnection(io, flags, async ({ client }) => {
      const certificates = await client.listAdminCertificates();
      io.out(
        renderList(certificates, adminCertListOutput(io.now()), {
          quiet: flags.bool('quiet'),
          format: flags.str('format'),
        }),
      );
    });
  },
};

const revoke: Command = {
  connects: true,
  def: {
    path: 'admin-cert revoke',
    usage: 'CERTIFICATE [CERTIFICATE...]',
    summary:
      'Revoke one or more admin client certificates (by id, or by a name only one has): every manager refuses them from then on',
    flags: [],
    args: [1, Infinity],
  },
  async run(io, { flags, args }) {
    return withConnection(io, flags, ({ client }) =>
      forEachName(io, args, async (idOrName) => {
        await client.revokeAdminCertificate(idOrName);
      }),
    );
  },
};

export const adminCertCommands: Command[] = [create, ls, revoke];
