// Writing a pass's decisions in few Raft entries. Write units are packed into transactions of at
// most `maxOps` operations; a unit is never split, so its operations commit together or not at
// all. When the store refuses an operation (the task changed since the pass read it, or is gone),
// the unit holding it is dropped and the rest of the transaction is sent again: the dropped
// decision is remade by the next pass from the newer state ("a conflict means reconcile again").

import {
  AlreadyExistsError,
  CONTROLLER_OPS_PER_TRANSACTION,
  InvalidTransactionError,
  NotFoundError,
  VersionConflictError,
} from '../store/index.js';
import type { ApiStore } from '../control/index.js';
import type { Logger } from '../../util/logger.js';
import type { WriteUnit } from './types.js';

export const DEFAULT_MAX_OPS_PER_TRANSACTION = CONTROLLER_OPS_PER_TRANSACTION;

export interface CommitOptions {
  maxOps?: number;
  /** Checked before each transaction: a loop that lost leadership stops writing. */
  signal?: AbortSignal;
  log?: Logger;
}

export interface CommitOutcome {
  /** Units written. */
  committed: number;
  /** Units the store refused (or too large for one Raft entry even alone). */
  refused: number;
  transactions: number;
}

/**
 * Commits the units in order. Errors other than a refused operation (no leader, a timeout: the
 * outcome is unknown) are thrown; the caller's next pass starts again from the store.
 */
export async function commitUnits(
  store: ApiStore,
  units: readonly WriteUnit[],
  options: CommitOptions = {},
): Promise<CommitOutcome> {
  const maxOps = Math.max(1, options.maxOps ?? DEFAULT_MAX_OPS_PER_TRANSACTION);
  const outcome: CommitOutcome = { committed: 0, refused: 0, transactions: 0 };
  const pending = packUnits(units, maxOps);
  while (pending.length > 0) {
    if (options.signal?.aborted) return outcome;
    let group = pending.shift()!;
    while (group.length > 0) {
      try {
        await store.update(group.flatMap((unit) => unit.ops));
        outcome.transactions++;
        outcome.committed += group.length;
        break;
      } catch (err) {
        const at = refusedOperation(err);
        if (at !== undefined) {
          const refused = unitAt(group, at);
          options.log?.debug('write refused; the next pass decides again', {
            reason: group[refused]!.reason,
            err,
          });
          if (err instanceof InvalidTransactionError)
            options.log?.error('the store refused an orchestrator write as malformed', { err });
          outcome.refused++;
          group = group.filter((_, i) => i !== refused);
          continue;
        }
        if (isTooLarge(err)) {
          if (group.length === 1) {
            options.log?.error('a write unit is too large for one Raft entry', { reason: group[0]!.reason });
            outcome.refused++;
            break;
          }
          const half = Math.ceil(group.length / 2);
          pending.unshift(group.slice(half));
          group = group.slice(0, half);
          continue;
        }
        throw err;
      }
    }
  }
  return outcome;
}

/** Consecutive units into groups of at most maxOps operations (a larger unit goes alone). */
function packUnits(units: readonly WriteUnit[], maxOps: number): WriteUnit[][] {
  const groups: WriteUnit[][] = [];
  let current: WriteUnit[] = [];
  let ops = 0;
  for (const unit of units) {
    if (unit.ops.length === 0) continue;
    if (current.length > 0 && ops + unit.ops.length > maxOps) {
      groups.push(current);
      current = [];
      ops = 0;
    }
    current.push(unit);
    ops += unit.ops.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The index of the unit holding the group's operation number `opIndex`. */
function unitAt(group: readonly WriteUnit[], opIndex: number): number {
  let first = 0;
  for (const [i, unit] of group.entries()) {
    if (opIndex < first + unit.ops.length) return i;
    first += unit.ops.length;
  }
  return group.length - 1;
}

function refusedOperation(err: unknown): number | undefined {
  if (
    err instanceof VersionConflictError ||
    err instanceof NotFoundError ||
    err instanceof AlreadyExistsError ||
    err instanceof InvalidTransactionError
  )
    return err.opIndex;
  return undefined;
}

/** The Raft node's ProposalTooLargeError, recognised by its stable code. */
function isTooLarge(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'PROPOSAL_TOO_LARGE';
}
