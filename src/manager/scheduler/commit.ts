// Writing a controller's decisions in few Raft entries: updates are sent in chunks of up to a
// thousand operations, each naming the version it read. A transaction is all-or-nothing, so an
// operation the store refuses (the object changed or is gone) is taken out and the rest of its
// chunk sent again; the caller retries the refused ones on a later pass. A chunk too large for
// one Raft entry is split in halves.

import type { ApiObjectTypes, ApiOperation, ApiStore } from '../control/context.js';
import {
  CONTROLLER_OPS_PER_TRANSACTION,
  NotFoundError,
  VersionConflictError,
  type DeepReadonly,
  type Kind,
} from '../store/index.js';

export const DEFAULT_MAX_OPS_PER_TRANSACTION = CONTROLLER_OPS_PER_TRANSACTION;

export interface CommitResult<I> {
  /** The objects as written, with the item each came from. */
  written: Array<{ item: I; object: DeepReadonly<ApiObjectTypes[Kind]> }>;
  /** Items whose operation was refused (version conflict, gone, or too large alone). */
  refused: Array<{ item: I; error: Error }>;
  /** Transactions that committed. */
  transactions: number;
}

/**
 * Proposes one update per item, at most `maxOps` per transaction. Errors other than a refused
 * operation (no leader, a timeout: the outcome is unknown) are thrown; what committed before
 * them is lost to the caller, which rebuilds its state from the store.
 */
export async function commitInChunks<I>(
  store: ApiStore,
  items: readonly I[],
  toOperation: (item: I) => ApiOperation,
  maxOps = DEFAULT_MAX_OPS_PER_TRANSACTION,
): Promise<CommitResult<I>> {
  const result: CommitResult<I> = { written: [], refused: [], transactions: 0 };
  const size = Math.max(1, maxOps);
  // Chunks still to send, first one last (a stack, so a split chunk's halves go in order).
  const work: I[][] = [];
  for (let start = Math.floor((items.length - 1) / size) * size; start >= 0; start -= size)
    work.push(items.slice(start, start + size));
  while (work.length > 0) {
    let chunk = work.pop()!;
    // Each refusal takes one operation out, so this ends within chunk.length attempts.
    while (chunk.length > 0) {
      try {
        const { objects } = await store.update(chunk.map(toOperation));
        result.transactions++;
        chunk.forEach((item, i) => result.written.push({ item, object: objects[i]! }));
        break;
      } catch (err) {
        const refusedAt = refusedOperation(err);
        if (refusedAt !== undefined && refusedAt < chunk.length) {
          result.refused.push({ item: chunk[refusedAt]!, error: err as Error });
          chunk = chunk.filter((_, i) => i !== refusedAt);
          continue;
        }
        if (isTooLarge(err)) {
          if (chunk.length === 1) {
            result.refused.push({ item: chunk[0]!, error: err as Error });
            break;
          }
          const half = Math.ceil(chunk.length / 2);
          work.push(chunk.slice(half), chunk.slice(0, half));
          break;
        }
        throw err;
      }
    }
  }
  return result;
}

function refusedOperation(err: unknown): number | undefined {
  if (err instanceof VersionConflictError || err instanceof NotFoundError) return err.opIndex;
  return undefined;
}

/** The Raft node's ProposalTooLargeError, recognized by its stable code. */
function isTooLarge(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'PROPOSAL_TOO_LARGE';
}
