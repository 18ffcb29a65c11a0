// The cluster's record of the admin client certificates it issued (Cluster.adminCertificates), as
// pure functions over the records: admin-certificates.ts writes them through Raft, and authz.ts
// refuses a certificate whose record says revoked.
//
// A record for every certificate issued, not a deny-list of revoked ones: `admin-cert ls` must
// show the certificates that can still be used, and to be revoked by name a certificate must be
// known by it. A record is dropped at the first write after its certificate has expired (TLS
// refuses it by itself then), so the list does not grow beyond the certificates still valid.
//
// Only a record marked revoked refuses; a certificate without a record is let in. A manager that
// has not yet applied the entry recording a certificate must not refuse it, and certificates
// issued before the cluster kept records go on working until they expire (rotating the root CA
// ends those).

import { ValidationError, type AdminCertificate } from '../../api/index.js';
import { CERT_BACKDATE_MS } from '../../ca/index.js';
import { ControlError } from './errors.js';

type Records = ReadonlyArray<Readonly<AdminCertificate>>;

/**
 * How long past its expiry a record is kept: a manager whose clock is behind the one that prunes
 * still takes the certificate as valid for that long, and must still find it revoked. The CA
 * already allows this much skew when it backdates certificates.
 */
export const KEEP_AFTER_EXPIRY_MS = CERT_BACKDATE_MS;

/** Names are labels for people: as secret names, 1-64 letters, digits, '.', '-' or '_'. */
const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/** The name to record ('' for none); ValidationError naming `name` when it breaks the rule. */
export function checkAdminCertificateName(name: string): string {
  if (name === '' || NAME_PATTERN.test(name)) return name;
  throw new ValidationError(
    'name',
    'must be 1 to 64 letters, digits, ".", "-" or "_", starting and ending with a letter or digit',
  );
}

/** The records without those whose certificates expired more than KEEP_AFTER_EXPIRY_MS ago. */
export function withoutExpired(records: Records, now: Date): Records {
  return records.filter((r) => Date.parse(r.expiresAt) + KEEP_AFTER_EXPIRY_MS > now.getTime());
}

/** The records with a newly issued certificate's, expired ones dropped. */
export function withIssued(records: Records, issued: Readonly<AdminCertificate>, now: Date): Records {
  return [...withoutExpired(records, now), issued];
}

/**
 * Revokes the certificate `idOrName` names (see findAdminCertificate) at `now`: the record as
 * revoked, and the records to write (expired ones dropped), or null when it was revoked already.
 */
export function revoke(
  records: Records,
  idOrName: string,
  now: Date,
): { revoked: Readonly<AdminCertificate>; records: Records | null } {
  const target = findAdminCertificate(records, idOrName);
  if (target.revokedAt !== undefined) return { revoked: target, records: null };
  const revoked = { ...target, revokedAt: now.toISOString() };
  return { revoked, records: withoutExpired(records, now).map((r) => (r.id === target.id ? revoked : r)) };
}

/**
 * The record `idOrName` names: an id, else a name only one certificate has, else a prefix of
 * exactly one id (as the other objects are named in the API). NOT_FOUND names what was asked for.
 */
export function findAdminCertificate(records: Records, idOrName: string): Readonly<AdminCertificate> {
  if (idOrName === '') throw new ValidationError('id', 'required: an admin certificate id or name');
  const byId = records.find((r) => r.id === idOrName);
  if (byId) return byId;
  const byName = records.filter((r) => r.name === idOrName);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1)
    throw new ValidationError(
      'id',
      `${byName.length} admin certificates are named "${idOrName}" (ids ${byName.map((r) => r.id).join(', ')}): name one by its id`,
    );
  const byPrefix = records.filter((r) => r.id.startsWith(idOrName));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1)
    throw new ValidationError(
      'id',
      `ambiguous: ${byPrefix.length} admin certificates have ids starting with "${idOrName}"`,
    );
  throw new ControlError(
    'NOT_FOUND',
    `no admin certificate has the id or name "${idOrName}" (expired ones are forgotten)`,
  );
}
