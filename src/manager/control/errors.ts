// Errors of the control API and their gRPC statuses, both ways: `toStatus` is the one place the
// server turns a typed error into a status, `errorFromStatus` the one place the client turns a
// status back into the same typed error. The status carries the error's data in metadata
// (`flotilla-error-code`, `flotilla-path`, `flotilla-rule`, `flotilla-current-version`, …) so the
// client rebuilds the class with its fields, not just a message.

import * as grpc from '@grpc/grpc-js';
import { ValidationError } from '../../api/index.js';
import {
  NotLeaderError,
  ProposalDroppedError,
  ProposalTooLargeError,
  StoppedError,
  TermChangedError,
  TimeoutError,
  LeaderChangedError,
} from '../../raft/index.js';
import type { Logger } from '../../util/logger.js';
import {
  AlreadyExistsError,
  CompactedError,
  isKind,
  NotFoundError,
  VersionConflictError,
  WatchOverflowError,
} from '../store/index.js';

/** A control API failure without a more specific class; `code` is the gRPC status name. */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export type UnavailableReason =
  /** An election is running: no manager can accept writes yet. */
  | 'no-leader'
  /** Leadership moved while the write was on its way; it was not applied. */
  | 'leader-changed'
  /** The write took longer than the bound; it may or may not have been applied. */
  | 'timeout'
  | 'stopping'
  /** This manager does not serve the call, the leader does: `leaderAddr` says where it is. */
  | 'not-leader'
  /** The manager could not be reached (reported by the client side). */
  | 'unreachable';

/** Retryable: the same request may succeed shortly (possibly at another manager). */
export class UnavailableError extends ControlError {
  readonly retryable = true;
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    /** With reason not-leader: host:port of the leader, when one is known. */
    readonly leaderAddr?: string,
  ) {
    super('UNAVAILABLE', message);
    this.name = 'UnavailableError';
  }
}

/** The request is valid but the cluster's state forbids it (removing a node that is up, …). */
export class FailedPreconditionError extends ControlError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
    this.name = 'FailedPreconditionError';
  }
}

/** A request larger than the control API accepts (grpc itself refuses larger ones the same way). */
export class RequestTooLargeError extends ControlError {
  constructor(detail: string) {
    super('RESOURCE_EXHAUSTED', `request too large: ${detail}`);
    this.name = 'RequestTooLargeError';
  }
}

export const NO_LEADER_MESSAGE = 'no leader elected yet; retry';

const MD = {
  code: 'flotilla-error-code',
  reason: 'flotilla-reason',
  path: 'flotilla-path',
  rule: 'flotilla-rule',
  kind: 'flotilla-kind',
  id: 'flotilla-id',
  name: 'flotilla-name',
  existingId: 'flotilla-existing-id',
  expected: 'flotilla-expected-version',
  current: 'flotilla-current-version',
  oldest: 'flotilla-oldest-version',
  last: 'flotilla-last-version',
  size: 'flotilla-size',
  limit: 'flotilla-limit',
  leaderAddr: 'flotilla-leader-addr',
} as const;
type Field = keyof typeof MD;

/** A status for the client. Unknown errors become INTERNAL and are logged (their text stays here). */
export function toStatus(
  err: unknown,
  log: Logger,
  context: Record<string, unknown> = {},
): grpc.StatusObject {
  const status = (
    code: grpc.status,
    errorCode: string,
    details: string,
    fields: Partial<Record<Field, string | number | undefined>> = {},
  ): grpc.StatusObject => {
    const metadata = new grpc.Metadata();
    metadata.set(MD.code, errorCode);
    // Metadata values must be printable ASCII: paths may hold any label key, so they are escaped.
    for (const [field, value] of Object.entries(fields))
      if (value !== undefined) metadata.set(MD[field as Field], clip(String(value), MAX_FIELD_BYTES, true));
    return { code, details: clip(details, MAX_DETAILS_BYTES, false), metadata };
  };
  const S = grpc.status;
  if (err instanceof ValidationError)
    return status(S.INVALID_ARGUMENT, err.code, err.message, { path: err.path, rule: err.rule });
  if (err instanceof NotFoundError)
    return status(S.NOT_FOUND, err.code, err.message, { kind: err.kind, id: err.id });
  if (err instanceof AlreadyExistsError)
    return status(S.ALREADY_EXISTS, err.code, err.message, {
      kind: err.kind,
      id: err.id,
      name: err.objectName,
      existingId: err.existingId,
    });
  if (err instanceof VersionConflictError)
    return status(S.ABORTED, err.code, err.message, {
      kind: err.kind,
      id: err.id,
      expected: err.expected,
      current: err.current,
    });
  if (err instanceof CompactedError)
    return status(S.OUT_OF_RANGE, err.code, err.message, { expected: err.requested, oldest: err.oldest });
  if (err instanceof WatchOverflowError)
    return status(S.RESOURCE_EXHAUSTED, err.code, err.message, { last: err.lastVersion, limit: err.limit });
  if (err instanceof ProposalTooLargeError)
    return status(S.RESOURCE_EXHAUSTED, err.code, err.message, { size: err.size, limit: err.limit });
  if (err instanceof FailedPreconditionError) return status(S.FAILED_PRECONDITION, err.code, err.message);
  const unavailable = asUnavailable(err);
  if (unavailable)
    return status(S.UNAVAILABLE, unavailable.code, unavailable.message, {
      reason: unavailable.reason,
      leaderAddr: unavailable.leaderAddr,
    });
  if (err instanceof ControlError) {
    const code = (grpc.status as unknown as Record<string, grpc.status | undefined>)[err.code];
    if (code !== undefined) return status(code, err.code, err.message);
  }
  // Errors that know their status (the CA's PeerAuthError: UNAUTHENTICATED / PERMISSION_DENIED).
  if (err instanceof Error && typeof (err as { grpcCode?: unknown }).grpcCode === 'number') {
    const { grpcCode, code } = err as Error & { grpcCode: grpc.status; code?: unknown };
    return status(grpcCode, typeof code === 'string' ? code : grpc.status[grpcCode], err.message);
  }
  log.error('control request failed unexpectedly', { ...context, err });
  return status(S.INTERNAL, 'INTERNAL', 'internal error in the manager (logged there)');
}

/**
 * Trailers travel in HTTP/2 headers, which peers cap (8 KiB by default): a status that does not
 * fit breaks the call and can wedge the connection. Paths and messages echo user input (a label
 * key may be any length), so they are cut to a budget measured as they will be encoded.
 */
const MAX_DETAILS_BYTES = 2048;
const MAX_FIELD_BYTES = 512;

function clip(text: string, budget: number, escape: boolean): string {
  // Both kinds travel percent-encoded: metadata by us, the message by grpc-js (grpc-message).
  const wireSize = (s: string): number => encodeURIComponent(s).length;
  const clean = wellFormed(text);
  let result = clean;
  if (wireSize(clean) > budget) {
    result = '';
    let used = wireSize('…');
    for (const char of clean) {
      used += wireSize(char);
      if (used > budget) break;
      result += char;
    }
    result += '…';
  }
  return escape ? encodeURIComponent(result) : result;
}

/** Lone surrogates (JSON can carry them) replaced: encodeURIComponent refuses them. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** The Raft module's retryable failures as the API reports them. */
function asUnavailable(err: unknown): UnavailableError | undefined {
  if (err instanceof UnavailableError) return err;
  if (err instanceof NotLeaderError)
    return err.leaderId === ''
      ? new UnavailableError('no-leader', NO_LEADER_MESSAGE)
      : new UnavailableError('leader-changed', `${err.message}; retry`);
  if (
    err instanceof ProposalDroppedError ||
    err instanceof TermChangedError ||
    err instanceof LeaderChangedError
  )
    return new UnavailableError('leader-changed', `${err.message}; retry`);
  if (err instanceof TimeoutError) return new UnavailableError('timeout', err.message);
  if (err instanceof StoppedError) return new UnavailableError('stopping', 'the manager is stopping; retry');
  return undefined;
}

/** The typed error a status stands for, as the server threw it (client side). */
export function errorFromStatus(status: {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}): Error {
  const read = (field: Field): string | undefined => {
    const value = status.metadata?.get(MD[field])[0];
    if (typeof value !== 'string') return undefined;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  const num = (field: Field): number => Number(read(field) ?? NaN);
  const kind = read('kind');
  const id = read('id') ?? '';
  const errorCode = read('code');
  switch (errorCode) {
    case 'INVALID_ARGUMENT':
      return new ValidationError(read('path') ?? '', read('rule') ?? status.details);
    case 'NOT_FOUND':
      if (isKind(kind)) return new NotFoundError(kind, id);
      break;
    case 'ALREADY_EXISTS':
      if (isKind(kind)) return new AlreadyExistsError(kind, id, read('name'), read('existingId'));
      break;
    case 'VERSION_CONFLICT':
      if (isKind(kind)) return new VersionConflictError(kind, id, num('expected'), num('current'));
      break;
    case 'COMPACTED':
      return new CompactedError(num('expected'), num('oldest'));
    case 'WATCH_OVERFLOW':
      return new WatchOverflowError(num('last'), num('limit'));
    case 'PROPOSAL_TOO_LARGE':
      return new ProposalTooLargeError(num('size'), num('limit'));
    case 'FAILED_PRECONDITION':
      return new FailedPreconditionError(status.details);
    case 'UNAVAILABLE':
      return new UnavailableError(unavailableReason(read('reason')), status.details, read('leaderAddr'));
    default:
      break;
  }
  // Not from our handlers: grpc itself (unreachable manager, deadline, message too large).
  if (status.code === grpc.status.UNAVAILABLE) return new UnavailableError('unreachable', status.details);
  return new ControlError(grpc.status[status.code] ?? String(status.code), status.details);
}

const UNAVAILABLE_REASONS: readonly UnavailableReason[] = [
  'no-leader',
  'leader-changed',
  'timeout',
  'stopping',
  'not-leader',
  'unreachable',
];

function unavailableReason(value: string | undefined): UnavailableReason {
  return UNAVAILABLE_REASONS.find((r) => r === value) ?? 'unreachable';
}
