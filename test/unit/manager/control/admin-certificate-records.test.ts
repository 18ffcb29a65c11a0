// The cluster's record of the admin certificates it issued (control/admin-certificate-records.ts):
// recording an issue, revoking by id, name or id prefix, and forgetting certificates once they
// have expired (with the clock-skew allowance), as pure functions of the records and the time.

import { describe, expect, it } from 'vitest';
import { ValidationError, type AdminCertificate } from '../../../../src/api/index.js';
import { ControlError } from '../../../../src/manager/control/index.js';
import {
  checkAdminCertificateName,
  findAdminCertificate,
  KEEP_AFTER_EXPIRY_MS,
  revoke,
  withIssued,
  withoutExpired,
} from '../../../../src/manager/control/admin-certificate-records.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2025-03-01T12:00:00.000Z');
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();

const record = (id: string, fields: Partial<AdminCertificate> = {}): AdminCertificate => ({
  id,
  name: '',
  serial: id.length.toString(16),
  issuedAt: at(-10 * DAY),
  expiresAt: at(80 * DAY),
  ...fields,
});

describe('admin certificate records', () => {
  it('appends an issued certificate and drops those expired beyond the allowance', () => {
    const expiredLongAgo = record('old1', { expiresAt: at(-KEEP_AFTER_EXPIRY_MS - 1) });
    const expiredJustNow = record('old2', { expiresAt: at(-KEEP_AFTER_EXPIRY_MS + 1000) });
    const valid = record('valid');
    const issued = record('new', { name: 'alice-laptop', issuedAt: NOW.toISOString() });
    expect(withIssued([expiredLongAgo, expiredJustNow, valid], issued, NOW).map((r) => r.id)).toEqual([
      'old2',
      'valid',
      'new',
    ]);
  });

  it('forgets a revoked certificate too once it has expired beyond the allowance, never before', () => {
    const revoked = record('rev', { revokedAt: at(-DAY), expiresAt: at(-KEEP_AFTER_EXPIRY_MS + 1000) });
    expect(withoutExpired([revoked], NOW)).toEqual([revoked]);
    expect(withoutExpired([revoked], new Date(NOW.getTime() + 1000))).toEqual([]);
  });

  it('revokes by id, by a name only one certificate has, or by a unique id prefix, stamping the time', () => {
    const records = [record('abc123', { name: 'alice-laptop' }), record('abd456', { name: 'ci' })];
    for (const idOrName of ['abc123', 'alice-laptop', 'abc']) {
      const { revoked, records: written } = revoke(records, idOrName, NOW);
      expect(revoked).toEqual({ ...records[0], revokedAt: NOW.toISOString() });
      expect(written).toEqual([revoked, records[1]]);
    }
  });

  it('leaves a revoked certificate as it was when revoked again: nothing to write', () => {
    const earlier = record('abc123', { revokedAt: at(-DAY) });
    expect(revoke([earlier], 'abc123', NOW)).toEqual({ revoked: earlier, records: null });
  });

  it('refuses an unknown id as NOT_FOUND naming it', () => {
    const err = (() => {
      try {
        revoke([record('abc123')], 'nope', NOW);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ControlError);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toContain('"nope"');
  });

  it('refuses a name several certificates share, listing their ids, and an ambiguous id prefix', () => {
    const records = [record('abc123', { name: 'laptop' }), record('abd456', { name: 'laptop' })];
    expect(() => findAdminCertificate(records, 'laptop')).toThrow(
      new ValidationError(
        'id',
        '2 admin certificates are named "laptop" (ids abc123, abd456): name one by its id',
      ),
    );
    expect(() => findAdminCertificate(records, 'ab')).toThrow(/ambiguous: 2 admin certificates/);
    expect(() => findAdminCertificate(records, '')).toThrow(ValidationError);
  });

  it('takes an empty name or one of letters, digits, ".", "-" and "_", and refuses others', () => {
    expect(checkAdminCertificateName('')).toBe('');
    expect(checkAdminCertificateName('alice-laptop.2')).toBe('alice-laptop.2');
    for (const bad of ['-x', 'has space', 'x'.repeat(65), 'semi;colon'])
      expect(() => checkAdminCertificateName(bad), bad).toThrow(ValidationError);
  });
});
