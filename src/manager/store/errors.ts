// Typed errors of the store, each with a stable `code`. Transaction outcomes are produced on every
// manager by the deterministic apply, so they travel as data (`TransactionErrorData`); the
// proposer turns them into these classes with errorFromData.

import type { Kind } from './types.js';

export abstract class StoreError extends Error {
  abstract readonly code: string;
}

export class NotFoundError extends StoreError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly kind: Kind,
    readonly id: string,
    /** Which operation of the transaction failed. */
    readonly opIndex?: number,
  ) {
    super(`${kind} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

/** An object with this id exists, or (when `name` is set) another object of the kind has the name. */
export class AlreadyExistsError extends StoreError {
  readonly code = 'ALREADY_EXISTS';
  constructor(
    readonly kind: Kind,
    readonly id: string,
    /** Set when the conflict is on the name (unique per kind), not the id. */
    readonly objectName?: string,
    /** The id of the object that holds the name. */
    readonly existingId?: string,
    readonly opIndex?: number,
  ) {
    super(
      objectName === undefined
        ? `${kind} ${id} already exists`
        : `a ${kind} named "${objectName}" already exists (${existingId ?? 'unknown id'})`,
    );
    this.name = 'AlreadyExistsError';
  }
}

/** The write named a version that is no longer the object's current one: re-read and retry. */
export class VersionConflictError extends StoreError {
  readonly code = 'VERSION_CONFLICT';
  constructor(
    readonly kind: Kind,
    readonly id: string,
    readonly expected: number,
    readonly current: number,
    readonly opIndex?: number,
  ) {
    super(`${kind} ${id}: version ${expected} is out of date (current version is ${current})`);
    this.name = 'VersionConflictError';
  }
}

/** A watch asked for changes the store no longer retains: re-list, then watch from the list's version. */
export class CompactedError extends StoreError {
  readonly code = 'COMPACTED';
  constructor(
    readonly requested: number,
    /** The oldest version a watch can resume from now. */
    readonly oldest: number,
  ) {
    super(
      `changes after version ${requested} were compacted (the oldest version to watch from is ${oldest}); re-list and watch again`,
    );
    this.name = 'CompactedError';
  }
}

/** A watcher read too slowly and changes it had not read were discarded: re-list and watch again. */
export class WatchOverflowError extends StoreError {
  readonly code = 'WATCH_OVERFLOW';
  constructor(
    /** The version of the last event the watcher received (0 if none). */
    readonly lastVersion: number,
    readonly limit: number,
  ) {
    super(
      `watcher fell more than ${limit} events behind after version ${lastVersion}; re-list and watch again`,
    );
    this.name = 'WatchOverflowError';
  }
}

/** A malformed transaction (bad shape from the wire, or an operation the store cannot perform). */
export class InvalidTransactionError extends StoreError {
  readonly code = 'INVALID_TRANSACTION';
  constructor(
    readonly reason: string,
    readonly opIndex?: number,
  ) {
    super(`invalid transaction${opIndex === undefined ? '' : ` (operation ${opIndex})`}: ${reason}`);
    this.name = 'InvalidTransactionError';
  }
}

export class InvalidSnapshotError extends StoreError {
  readonly code = 'INVALID_SNAPSHOT';
  constructor(readonly reason: string) {
    super(`invalid store snapshot: ${reason}`);
    this.name = 'InvalidSnapshotError';
  }
}

/** How the deterministic apply reports a refused transaction. */
export type TransactionErrorData =
  | { code: 'NOT_FOUND'; kind: Kind; id: string; opIndex: number }
  | { code: 'ALREADY_EXISTS'; kind: Kind; id: string; name?: string; existingId?: string; opIndex: number }
  | { code: 'VERSION_CONFLICT'; kind: Kind; id: string; expected: number; current: number; opIndex: number }
  | { code: 'INVALID_TRANSACTION'; reason: string; opIndex?: number };

export function errorFromData(data: TransactionErrorData): StoreError {
  switch (data.code) {
    case 'NOT_FOUND':
      return new NotFoundError(data.kind, data.id, data.opIndex);
    case 'ALREADY_EXISTS':
      return new AlreadyExistsError(data.kind, data.id, data.name, data.existingId, data.opIndex);
    case 'VERSION_CONFLICT':
      return new VersionConflictError(data.kind, data.id, data.expected, data.current, data.opIndex);
    case 'INVALID_TRANSACTION':
      return new InvalidTransactionError(data.reason, data.opIndex);
  }
}
