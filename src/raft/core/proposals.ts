// The leader's admission of proposals: why it cannot take entries now (a leadership transfer runs,
// a membership change is pending or invalid), and its memory of the forwarded proposals it took,
// so that a duplicated Prop gets the same answer instead of a second copy of the entries.

import { checkConfChange, decodeConfChange } from './conf-change.js';
import { EntryType, type ConfChange, type ConfState, type ProposeResponse } from './messages.js';

export type ProposalRefusal = 'transferring' | 'a membership change is pending' | 'conf-change-invalid';

/** What the leader's state says about proposals right now. */
export interface AdmissionState {
  /** A leadership transfer is running. */
  transferring: boolean;
  /** A membership change in the log has not committed yet. */
  confChangePending: boolean;
  /** The membership as of the commit index. */
  conf: ConfState;
}

/** Why the leader cannot take these entries now, or undefined. */
export function refusalFor(
  items: Array<{ type: EntryType; data: Uint8Array }>,
  state: AdmissionState,
): ProposalRefusal | undefined {
  if (state.transferring) return 'transferring';
  const confChanges = items.filter((e) => e.type === EntryType.ConfChange);
  if (confChanges.length === 0) return undefined;
  if (confChanges.length > 1 || state.confChangePending) return 'a membership change is pending';
  return invalidConfReason(items, state.conf) === '' ? undefined : 'conf-change-invalid';
}

/** Why a membership change among `items` cannot apply to `conf`, or '' when all can. */
export function invalidConfReason(
  items: Array<{ type: EntryType; data: Uint8Array }>,
  conf: ConfState,
): string {
  for (const e of items) {
    if (e.type !== EntryType.ConfChange) continue;
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch (err) {
      return (err as Error).message;
    }
    const reason = checkConfChange(conf, cc);
    if (reason) return reason;
  }
  return '';
}

/** The refusal as a forwarding follower hears it in a PropResp. */
export function rejectReasonFor(refusal: ProposalRefusal): ProposeResponse['rejectReason'] {
  return refusal === 'transferring'
    ? 'transferring'
    : refusal === 'conf-change-invalid'
      ? 'invalid-conf-change'
      : 'conf-change-pending';
}

/**
 * Forwarded proposals this leader already appended, by their first context: a duplicated Prop
 * message (a retried RPC, a network that duplicates) gets the same answer, not a second copy of
 * the entries. Bounded: past `capacity` the oldest is forgotten.
 */
export class ForwardedProposals {
  private readonly byContext = new Map<string, { index: number; term: number }>();

  constructor(private readonly capacity = 65536) {}

  get(context: string): { index: number; term: number } | undefined {
    return this.byContext.get(context);
  }

  remember(context: string, index: number, term: number): void {
    if (this.byContext.size >= this.capacity) this.byContext.delete(this.byContext.keys().next().value!);
    this.byContext.set(context, { index, term });
  }

  clear(): void {
    this.byContext.clear();
  }
}
