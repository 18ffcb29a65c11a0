// Typed errors of the Raft module: each has a stable `code` and the data a caller needs to act
// (retry elsewhere, wait, or give up).

import type { MemberId } from './messages.js';

export abstract class RaftError extends Error {
  abstract readonly code: string;
  /** Whether retrying the same operation later (possibly elsewhere) can succeed. */
  abstract readonly retryable: boolean;
}

/** This member is not the leader. `leaderId` is '' when no leader is known (an election runs). */
export class NotLeaderError extends RaftError {
  readonly code = 'NOT_LEADER';
  readonly retryable = true;
  constructor(
    readonly leaderId: MemberId,
    readonly leaderAddress: string,
  ) {
    super(
      leaderId === ''
        ? 'not the leader, and no leader is known (election in progress)'
        : `not the leader; the leader is ${leaderId} at ${leaderAddress || 'an unknown address'}`,
    );
    this.name = 'NotLeaderError';
  }
}

/** The leader refused the proposal for now (leadership transfer running, conf change pending). */
export class ProposalDroppedError extends RaftError {
  readonly code = 'PROPOSAL_DROPPED';
  readonly retryable = true;
  constructor(readonly reason: string) {
    super(`proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

/** The entry was appended but a later leader overwrote it: it was not committed. */
export class TermChangedError extends RaftError {
  readonly code = 'TERM_CHANGED';
  readonly retryable = true;
  constructor(
    readonly index: number,
    readonly term: number,
  ) {
    super(`proposal at index ${index} (term ${term}) was overwritten by a newer leader and not committed`);
    this.name = 'TermChangedError';
  }
}

export class ProposalTooLargeError extends RaftError {
  readonly code = 'PROPOSAL_TOO_LARGE';
  readonly retryable = false;
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`proposal of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.name = 'ProposalTooLargeError';
  }
}

export class StoppedError extends RaftError {
  readonly code = 'STOPPED';
  readonly retryable = false;
  constructor() {
    super('the raft node is stopped');
    this.name = 'StoppedError';
  }
}

/**
 * A proposal was forwarded to a leader that lost its leadership (or died) before saying where it
 * appended it: the entry may still commit, or not. Retry if the operation is idempotent.
 */
export class LeaderChangedError extends RaftError {
  readonly code = 'LEADER_CHANGED';
  readonly retryable = true;
  constructor(readonly previousLeader: MemberId) {
    super(
      `the leader ${previousLeader} changed before answering a forwarded proposal; the outcome is unknown`,
    );
    this.name = 'LeaderChangedError';
  }
}

/** No answer in time; the outcome is unknown (the entry may still commit). */
export class TimeoutError extends RaftError {
  readonly code = 'TIMEOUT';
  readonly retryable = true;
  constructor(what: string) {
    super(`${what} timed out; the outcome is unknown`);
    this.name = 'TimeoutError';
  }
}

export class InvalidConfChangeError extends RaftError {
  readonly code = 'INVALID_CONF_CHANGE';
  readonly retryable = false;
  constructor(reason: string) {
    super(`invalid membership change: ${reason}`);
    this.name = 'InvalidConfChangeError';
  }
}

/**
 * forceNewCluster was asked of a member whose storage holds neither a log nor a snapshot: there is
 * no state to recover a cluster from (an empty data directory, or the wrong one).
 */
export class NothingToRecoverError extends RaftError {
  readonly code = 'NOTHING_TO_RECOVER';
  readonly retryable = false;
  constructor(readonly member: MemberId) {
    super(
      `forceNewCluster: the storage of ${member} holds no log and no snapshot, so there is nothing ` +
        'to recover; start it on the data directory of a surviving member, or found a new cluster ' +
        'with bootstrap (without forceNewCluster)',
    );
    this.name = 'NothingToRecoverError';
  }
}
