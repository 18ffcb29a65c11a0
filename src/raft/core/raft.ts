// The Raft consensus algorithm as a pure, deterministic state machine in the shape of etcd's
// raft: no clock, timers, sockets or files. The driver calls tick() on a timer and step() for
// every message; ready() hands back what to persist, send and apply, advance() confirms it.
// Words follow the paper (term, vote, commit index, matchIndex/nextIndex, AppendEntries).

import { copyConfState, decodeConfChange, encodeConfChange, isMember } from './conf-change.js';
import type { InitialState, RaftConfig } from './config.js';
import { InvalidConfChangeError, NotLeaderError, ProposalDroppedError } from './errors.js';
import { RaftLog } from './log.js';
import { Membership } from './membership.js';
import {
  EntryType,
  hardStateEqual,
  type AppendRequest,
  type AppendResponse,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type MemberId,
  type Message,
  type ProposeRequest,
  type ProposeResponse,
  type Snapshot,
  type SnapshotChunk,
  type SnapshotResponse,
  type VoteRequest,
} from './messages.js';
import { Progress } from './progress.js';
import {
  ForwardedProposals,
  invalidConfReason,
  rejectReasonFor,
  refusalFor,
  type ProposalRefusal,
} from './proposals.js';
import { hasQuorum, majorityCommitted, voteResult } from './quorum.js';
import { ReadIndexQueue } from './read-index.js';
import type {
  ForwardedProposalResult,
  ProgressStatus,
  RaftStatus,
  ReadState,
  Ready,
  Role,
  SoftState,
} from './ready.js';
import { SnapshotReceiver, type SnapshotChunkReply } from './snapshot-receiver.js';
import { nextSnapshotChunks } from './snapshot-sender.js';

export { bootstrapEntries, defaultRaftConfig, type InitialState, type RaftConfig } from './config.js';
export type {
  ForwardedProposalResult,
  ProgressStatus,
  RaftStatus,
  ReadState,
  Ready,
  Role,
  SoftState,
} from './ready.js';

export class Raft {
  readonly id: MemberId;
  private readonly cfg: RaftConfig;
  term: number;
  vote: MemberId;
  role: Role = 'follower';
  leader: MemberId = '';
  readonly log: RaftLog;

  /** Membership as of the commit index, and the memberships at earlier committed changes. */
  private readonly membership: Membership;
  private confChanged = false;
  /** Latest local snapshot (its data is what the leader streams to followers that fell behind). */
  private snapshot: Snapshot | null;

  private progress = new Map<MemberId, Progress>();
  private votes = new Map<MemberId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: MemberId = '';
  /** Index of the latest membership change in the log; a new one waits until it commits. */
  private pendingConfIndex = 0;

  private readonly readQueue = new ReadIndexQueue();
  /** Reads that arrived before this leader committed an entry of its term (§6.4 step 1). */
  private readsAwaitingTermCommit: Array<{ context: string; from: MemberId }> = [];

  /** Forwarded proposals this leader appended; cleared when the term or role changes. */
  private readonly forwardedInTerm = new ForwardedProposals();

  private msgs: Message[] = [];
  /** Followers owed an AppendEntries, sent in one batch when the driver asks for ready(). */
  private appendsDue = new Map<MemberId, boolean>();
  private readStates: ReadState[] = [];
  private failedReads: string[] = [];
  private proposalResults: ForwardedProposalResult[] = [];
  private readonly snapshotReceiver = new SnapshotReceiver();
  private snapshotToInstall: Snapshot | null = null;
  private prevHardState: HardState;
  private prevSoftState: SoftState = { leader: '', role: 'follower' };

  constructor(config: RaftConfig, initial: InitialState) {
    if (config.id === '') throw new Error('raft: member id must not be empty');
    if (config.heartbeatTick <= 0 || config.electionTick <= config.heartbeatTick) {
      throw new Error('raft: electionTick must be greater than heartbeatTick, both positive');
    }
    for (const key of [
      'maxSizePerMsg',
      'maxInflightMsgs',
      'maxCommittedPerReady',
      'snapshotChunkBytes',
      'maxSnapshotChunksInFlight',
    ] as const) {
      if (!Number.isInteger(config[key]) || config[key] < 1)
        throw new Error(`raft: ${key} must be a positive integer`);
    }
    this.id = config.id;
    this.cfg = config;
    const snap = initial.snapshot;
    this.snapshot = snap;
    this.log = new RaftLog(
      snap?.metadata.index ?? 0,
      snap?.metadata.term ?? 0,
      initial.entries,
      initial.hardState.commit,
    );
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    this.prevHardState = { ...initial.hardState };
    this.membership = new Membership(snap?.metadata.confState ?? null);
    this.applyCommittedConfChanges(this.log.snapshotIndex, this.log.committed);
    this.confChanged = true;
    this.resetRandomizedElectionTimeout();
  }

  // ---- Inputs -------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /**
   * The transport lost its connection to `id`. When that is our leader, we campaign as soon as
   * the other members' leases can have expired (one election timeout after the last heartbeat)
   * instead of after a random 1–2 timeouts: failover takes one timeout, not up to two. The
   * followers that noticed take turns by their rank among the voters, a few ticks apart, so
   * they do not split the vote. Safe whatever the hint's accuracy: if the leader is in fact
   * alive, the others are within its lease and refuse our pre-vote.
   */
  reportUnreachable(id: MemberId): void {
    if (this.role !== 'follower' || id !== this.leader || !this.promotable()) return;
    const candidates = this.membership.voters.filter((v) => v !== id).sort();
    const rank = Math.max(0, candidates.indexOf(this.id));
    const spacing = Math.max(1, Math.floor(this.cfg.electionTick / 8));
    const jitter = Math.floor(this.cfg.random() * Math.max(1, Math.floor(spacing / 4)));
    const timeout = this.cfg.electionTick + 1 + rank * spacing + jitter;
    this.randomizedElectionTimeout = Math.min(this.randomizedElectionTimeout, timeout);
  }

  /** Starts an election now (used by tests and by a single member that wants to lead at once). */
  campaignNow(): void {
    if (this.role !== 'leader') this.campaign(this.cfg.preVote ? 'pre-election' : 'election');
  }

  /**
   * Appends entries as leader; returns the index and term of the first one. Throws
   * NotLeaderError on a non-leader and ProposalDroppedError while the leader cannot accept.
   */
  propose(items: Array<{ type: EntryType; data: Uint8Array }>): { index: number; term: number } {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader, this.addressOf(this.leader));
    const refusal = this.refusalFor(items);
    if (refusal) {
      if (refusal === 'conf-change-invalid')
        throw new InvalidConfChangeError(invalidConfReason(items, this.membership.conf));
      throw new ProposalDroppedError(refusal);
    }
    return this.appendAsLeader(items);
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.propose([{ type: EntryType.ConfChange, data: encodeConfChange(cc) }]);
  }

  /** Sends proposals to the leader; its answer arrives in ready().proposalResults. */
  forwardProposal(items: Array<{ type: EntryType; data: Uint8Array }>, contexts: string[]): void {
    if (this.role === 'leader' || this.leader === '')
      throw new NotLeaderError(this.leader, this.addressOf(this.leader));
    this.send({ type: 'Prop', from: this.id, to: this.leader, term: 0, entries: items, contexts });
  }

  /**
   * Asks for a linearizable read index; the answer arrives in ready().readStates under
   * `context` (or failedReads). Throws NotLeaderError when no leader is known.
   */
  readIndex(context: string): void {
    if (this.role === 'leader') {
      this.leaderReadIndex(context, this.id);
      return;
    }
    if (this.leader === '') throw new NotLeaderError('', '');
    this.send({ type: 'ReadIndex', from: this.id, to: this.leader, term: 0, context });
  }

  /** Hands leadership to `to` (etcd's MsgTransferLeader); proposals are refused meanwhile. */
  transferLeadership(to: MemberId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader, this.addressOf(this.leader));
    if (to === this.id) return;
    if (!this.membership.voters.includes(to))
      throw new InvalidConfChangeError(`${to} is not a voter and cannot lead`);
    // Asking again for the same member must not extend the first request's deadline.
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer is abandoned if it does not finish within an election timeout.
    this.electionElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.markAppendDue(to, true);
  }

  /**
   * The application captured its state up to `index` in `data`. Returns the snapshot to persist
   * and compacts the log behind it, keeping the last `retainEntries` entries so that a follower
   * that is only slightly behind catches up from the log rather than a whole snapshot.
   */
  compact(index: number, data: Uint8Array, retainEntries = 0): Snapshot {
    const current = this.snapshot?.metadata.index ?? 0;
    if (index <= current) throw new Error(`raft: snapshot at ${index} is not newer than ${current}`);
    if (index > this.log.applied) {
      throw new Error(`raft: snapshot at ${index} is beyond the applied index ${this.log.applied}`);
    }
    const snapshot: Snapshot = {
      metadata: {
        index,
        term: this.log.term(index)!,
        confState: copyConfState(this.membership.confAt(index)),
      },
      data,
    };
    this.log.compact(Math.max(this.log.snapshotIndex, index - retainEntries));
    this.membership.compact(index);
    this.snapshot = snapshot;
    return snapshot;
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term === 0) {
      this.stepTermless(m);
      return;
    }
    if (m.term > this.term) {
      if (m.type === 'Vote' || m.type === 'PreVote') {
        // §4.2.3 / CheckQuorum lease: while we hear from a leader, refuse to be disrupted.
        const inLease =
          this.cfg.checkQuorum && this.leader !== '' && this.electionElapsed < this.cfg.electionTick;
        if (inLease && !m.transfer) return;
      }
      if (m.type === 'PreVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'PreVoteResp' && !m.reject) {
        // Granted for the term we would campaign in; our term moves only when we campaign.
      } else {
        const leader = m.type === 'App' || m.type === 'Heartbeat' || m.type === 'Snap' ? m.from : '';
        // §5.2: a follower restarts its election timer when it hears from a leader or grants a
        // vote, not merely because a candidate has a higher term: a candidate whose log is
        // behind must not postpone the election that a more up-to-date member is about to win.
        this.becomeFollower(m.term, leader, m.type === 'Vote');
      }
    } else if (m.term < this.term) {
      if (
        (this.cfg.checkQuorum || this.cfg.preVote) &&
        (m.type === 'App' || m.type === 'Heartbeat' || m.type === 'Snap')
      ) {
        // A stale leader (e.g. back from a partition) learns our term and steps down; without
        // this it could stay stuck, since with PreVote we never raise its term by campaigning.
        this.send({
          type: 'AppResp',
          from: this.id,
          to: m.from,
          term: this.term,
          reject: false,
          index: 0,
          hintIndex: 0,
          hintTerm: 0,
        });
      } else if (m.type === 'PreVote') {
        this.send({ type: 'PreVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'Vote' || m.type === 'PreVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  // ---- Outputs ------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.appendsDue.size > 0 ||
      this.msgs.length > 0 ||
      this.log.hasUnstable() ||
      this.log.hasNextCommitted() ||
      this.snapshotToInstall !== null ||
      this.readStates.length > 0 ||
      this.failedReads.length > 0 ||
      this.proposalResults.length > 0 ||
      this.confChanged ||
      !hardStateEqual(this.hardState(), this.prevHardState) ||
      this.prevSoftState.leader !== this.leader ||
      this.prevSoftState.role !== this.role
    );
  }

  /**
   * Collects the work for the driver. Committed entries count as applied from here on; call
   * advance() once the entries are persisted (the driver runs one ready at a time).
   */
  ready(): Ready {
    this.flushAppends();
    const hs = this.hardState();
    const rd: Ready = {
      softState:
        this.prevSoftState.leader !== this.leader || this.prevSoftState.role !== this.role
          ? { leader: this.leader, role: this.role }
          : null,
      hardState: hardStateEqual(hs, this.prevHardState) ? null : hs,
      entries: this.log.unstableEntries(),
      snapshot: this.snapshotToInstall,
      committedEntries: this.log.nextCommitted(this.cfg.maxCommittedPerReady),
      messages: this.msgs,
      readStates: this.readStates,
      failedReads: this.failedReads,
      proposalResults: this.proposalResults,
      confState: this.confChanged ? copyConfState(this.membership.conf) : null,
    };
    if (rd.softState) this.prevSoftState = rd.softState;
    if (rd.hardState) this.prevHardState = rd.hardState;
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) this.log.appliedTo(lastCommitted.index);
    this.snapshotToInstall = null;
    this.msgs = [];
    this.readStates = [];
    this.failedReads = [];
    this.proposalResults = [];
    this.confChanged = false;
    return rd;
  }

  /** The entries (and snapshot) of `rd` are on stable storage. */
  advance(rd: Ready): void {
    const last = rd.entries[rd.entries.length - 1];
    if (last) this.log.stableTo(last.index, last.term);
  }

  /** Whether a membership change would be refused now because an earlier one has not committed. */
  confChangePending(): boolean {
    return this.pendingConfIndex > this.log.committed;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  confState(): ConfState {
    return copyConfState(this.membership.conf);
  }

  addressOf(id: MemberId): string {
    return this.membership.addressOf(id);
  }

  status(): RaftStatus {
    const progress: Record<MemberId, ProgressStatus> = {};
    for (const [id, pr] of this.progress) {
      progress[id] = {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        isLearner: pr.isLearner,
        recentActive: pr.recentActive,
      };
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      snapshotIndex: this.log.snapshotIndex,
      role: this.role,
      leader: this.leader,
      conf: this.confState(),
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  // ---- Roles --------------------------------------------------------------------------------

  private promotable(): boolean {
    return this.membership.voters.includes(this.id);
  }

  private reset(term: number, keepElectionTimer = false): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = '';
    }
    this.leader = '';
    if (!keepElectionTimer) {
      this.electionElapsed = 0;
      this.resetRandomizedElectionTimeout();
    }
    this.heartbeatElapsed = 0;
    this.leadTransferee = '';
    this.votes.clear();
    this.progress.clear();
    this.appendsDue.clear();
    for (const read of this.readQueue.drain()) if (read.from === this.id) this.failedReads.push(read.context);
    for (const read of this.readsAwaitingTermCommit)
      if (read.from === this.id) this.failedReads.push(read.context);
    this.readsAwaitingTermCommit = [];
    this.forwardedInTerm.clear();
  }

  private becomeFollower(term: number, leader: MemberId, keepElectionTimer = false): void {
    this.reset(term, keepElectionTimer);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    // A pre-candidate keeps its term and vote: it only asks whether it *could* win.
    this.reset(this.term);
    this.role = 'pre-candidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    const last = this.log.lastIndex();
    const { voters, learners } = this.membership;
    for (const id of [...voters, ...learners]) {
      const pr = new Progress(last + 1, this.cfg.maxInflightMsgs, learners.includes(id));
      pr.recentActive = true;
      if (id === this.id) pr.match = last;
      this.progress.set(id, pr);
    }
    // §8: commit an entry of our own term at once; it also commits everything before it. Until
    // it commits, membership changes wait (the single-server-change safety rule).
    this.appendAsLeader([{ type: EntryType.Normal, data: new Uint8Array(0) }]);
    this.pendingConfIndex = this.log.lastIndex();
  }

  private campaign(kind: 'pre-election' | 'election' | 'transfer'): void {
    if (!this.promotable()) return;
    let term: number;
    if (kind === 'pre-election') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.membership.voters, this.votes) === 'won') {
      if (kind === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const type = kind === 'pre-election' ? 'PreVote' : 'Vote';
    for (const id of this.membership.voters) {
      if (id === this.id) continue;
      this.send({
        type,
        from: this.id,
        to: id,
        term,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        transfer: kind === 'transfer',
      });
    }
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.cfg.preVote ? 'pre-election' : 'election');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, '');
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      this.leadTransferee = '';
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readQueue.lastContext());
    }
  }

  /** CheckQuorum: whether a majority was heard from since the last check; resets the marks. */
  private quorumActive(): boolean {
    const active = hasQuorum(
      this.membership.voters,
      (id) => id === this.id || this.progress.get(id)?.recentActive === true,
    );
    for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
    return active;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout =
      this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
  }

  // ---- Votes --------------------------------------------------------------------------------

  private handleVoteRequest(m: VoteRequest): void {
    const respType = m.type === 'Vote' ? 'VoteResp' : 'PreVoteResp';
    // §5.2: one vote per term; a pre-vote for a future term commits us to nothing.
    const canVote =
      this.vote === m.from ||
      (this.vote === '' && this.leader === '') ||
      (m.type === 'PreVote' && m.term > this.term);
    // §5.4.1: only for a candidate whose log is at least as up to date as ours.
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'Vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'App':
      case 'Heartbeat':
      case 'Snap':
        // A leader of our term exists (we lost the election, or the pre-election was moot).
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        return;
      case 'VoteResp':
      case 'PreVoteResp': {
        if ((m.type === 'VoteResp') !== (this.role === 'candidate')) return;
        this.votes.set(m.from, !m.reject);
        const result = voteResult(this.membership.voters, this.votes);
        if (result === 'won') {
          if (this.role === 'pre-candidate') this.campaign('election');
          else this.becomeLeader();
        } else if (result === 'lost') {
          this.becomeFollower(this.term, '');
        }
        return;
      }
      default:
        return;
    }
  }

  // ---- Follower -----------------------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'App':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        return;
      case 'Heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        return;
      case 'Snap':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshotChunk(m);
        return;
      case 'TimeoutNow':
        // Our leader hands over: campaign at once, past the other members' leases.
        if (this.promotable()) this.campaign('transfer');
        return;
      default:
        return;
    }
  }

  private handleAppend(m: AppendRequest): void {
    const reply = (fields: Pick<AppendResponse, 'reject' | 'index' | 'hintIndex' | 'hintTerm'>): void =>
      this.send({ type: 'AppResp', from: this.id, to: m.from, term: this.term, ...fields });
    if (m.prevLogIndex < this.log.committed) {
      // Everything up to our commit index already matches; tell the leader where we are.
      reply({ reject: false, index: this.log.committed, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.entries);
    if (lastNew !== undefined) {
      this.commitTo(Math.min(m.commit, lastNew));
      reply({ reject: false, index: lastNew, hintIndex: 0, hintTerm: 0 });
      return;
    }
    // Fast backtracking: point the leader at the last entry that could possibly match.
    const hintIndex = this.log.findConflictByTerm(
      Math.min(m.prevLogIndex, this.log.lastIndex()),
      m.prevLogTerm,
    );
    reply({ reject: true, index: m.prevLogIndex, hintIndex, hintTerm: this.log.term(hintIndex) ?? 0 });
  }

  private handleHeartbeat(m: HeartbeatRequest): void {
    // The leader sends min(our matchIndex, its commit), so this never runs past our log.
    this.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'HeartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  private handleSnapshotChunk(m: SnapshotChunk): void {
    const reply = (fields: SnapshotChunkReply): void =>
      this.send({
        type: 'SnapResp',
        from: this.id,
        to: m.from,
        term: this.term,
        snapshotIndex: m.metadata.index,
        snapshotTerm: m.metadata.term,
        ...fields,
      });
    if (m.metadata.index <= this.log.committed) {
      // We already hold everything this snapshot covers.
      this.snapshotReceiver.abandon(m.metadata.index);
      reply({ received: m.totalSize, done: true, reject: false });
      return;
    }
    const { reply: answer, snapshot } = this.snapshotReceiver.receive(m);
    if (snapshot) this.installSnapshot(snapshot);
    reply(answer);
  }

  private installSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    if (index <= this.log.committed) return;
    if (this.log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry, so it holds everything before it.
      this.commitTo(index);
      return;
    }
    this.log.restore(snapshot);
    this.membership.restore(snapshot.metadata.confState);
    this.confChanged = true;
    this.snapshot = snapshot;
    this.snapshotToInstall = snapshot;
  }

  // ---- Leader -------------------------------------------------------------------------------

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    switch (m.type) {
      case 'AppResp':
        if (pr) this.handleAppendResponse(m, pr);
        return;
      case 'HeartbeatResp':
        if (pr) this.handleHeartbeatResponse(m, pr);
        return;
      case 'SnapResp':
        if (pr) this.handleSnapshotResponse(m, pr);
        return;
      default:
        return;
    }
  }

  /** Messages that carry no term: forwarded proposals and reads, and their answers. */
  private stepTermless(m: Message): void {
    switch (m.type) {
      case 'Prop':
        this.handleForwardedProposal(m);
        return;
      case 'PropResp':
        this.proposalResults.push({
          contexts: m.contexts,
          index: m.index,
          term: m.entryTerm,
          rejectReason: m.rejectReason,
        });
        return;
      case 'ReadIndex':
        if (this.role === 'leader') this.leaderReadIndex(m.context, m.from);
        else
          this.send({
            type: 'ReadIndexResp',
            from: this.id,
            to: m.from,
            term: 0,
            context: m.context,
            index: 0,
          });
        return;
      case 'ReadIndexResp':
        if (m.index > 0) this.readStates.push({ context: m.context, index: m.index });
        else this.failedReads.push(m.context);
        return;
      default:
        return;
    }
  }

  private handleForwardedProposal(m: ProposeRequest): void {
    const answer = (index: number, entryTerm: number, rejectReason: ProposeResponse['rejectReason']): void =>
      this.send({
        type: 'PropResp',
        from: this.id,
        to: m.from,
        term: 0,
        contexts: m.contexts,
        index,
        entryTerm,
        rejectReason,
      });
    if (this.role !== 'leader') {
      answer(0, 0, 'not-leader');
      return;
    }
    // A duplicate gets the first answer again, before any refusal: its entries may be the very
    // membership change that is now pending, or committed.
    const key = m.contexts[0];
    const earlier = key === undefined ? undefined : this.forwardedInTerm.get(key);
    if (earlier) {
      answer(earlier.index, earlier.term, '');
      return;
    }
    const refusal = this.refusalFor(m.entries);
    if (refusal) {
      answer(0, 0, rejectReasonFor(refusal));
      return;
    }
    const { index, term } = this.appendAsLeader(m.entries);
    if (key !== undefined) this.forwardedInTerm.remember(key, index, term);
    answer(index, term, '');
  }

  private refusalFor(items: Array<{ type: EntryType; data: Uint8Array }>): ProposalRefusal | undefined {
    return refusalFor(items, {
      transferring: this.leadTransferee !== '',
      confChangePending: this.confChangePending(),
      conf: this.membership.conf,
    });
  }

  private appendAsLeader(items: Array<{ type: EntryType; data: Uint8Array }>): {
    index: number;
    term: number;
  } {
    const first = this.log.lastIndex() + 1;
    const entries: Entry[] = items.map((it, i) => ({
      term: this.term,
      index: first + i,
      type: it.type,
      data: it.data,
    }));
    if (entries.some((e) => e.type === EntryType.ConfChange))
      this.pendingConfIndex = entries[entries.length - 1]!.index;
    this.log.append(entries);
    this.progress.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
    this.markAllAppendsDue(false);
    return { index: first, term: this.term };
  }

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let next = m.hintIndex;
      if (m.hintTerm > 0) next = this.log.findConflictByTerm(m.hintIndex, m.hintTerm);
      if (pr.maybeDecrTo(m.index, next)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.markAppendDue(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    // An ack at exactly our match point also ends probing (e.g. right after a snapshot).
    if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe')) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
      if (this.maybeCommit()) {
        // Tell every follower the new commit index (batched with new entries by flushAppends).
        this.markAllAppendsDue(true);
      } else if (wasPaused || pr.next <= this.log.lastIndex()) {
        // A follower that was paused may have missed commit index updates meanwhile: tell it
        // now (an empty AppendEntries if there is nothing new), not at the next heartbeat.
        this.markAppendDue(m.from, wasPaused);
      }
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponse, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflights.full()) {
      // Make room for one message: if AppendEntries were lost this probes the gap.
      pr.inflights.freeFirstOne();
    }
    if (pr.state === 'snapshot' && pr.snapshot) {
      const t = pr.snapshot;
      t.stalledHeartbeats = t.acked === t.ackedAtLastHeartbeat ? t.stalledHeartbeats + 1 : 0;
      t.ackedAtLastHeartbeat = t.acked;
      // No chunk acknowledged for half an election timeout while the follower answers
      // heartbeats: assume chunks were lost and resume from the last acknowledged byte. (Not
      // sooner: a slow link still delivering a large chunk would otherwise get it resent.)
      if (
        t.stalledHeartbeats >= Math.max(2, Math.floor(this.cfg.electionTick / (2 * this.cfg.heartbeatTick)))
      ) {
        t.stalledHeartbeats = 0;
        t.sent = t.acked;
        this.sendSnapshotChunks(m.from, pr);
      }
    } else if (pr.match < this.log.lastIndex()) {
      this.markAppendDue(m.from, true);
    }
    if (m.context !== '') {
      const acks = this.readQueue.ack(m.context, m.from);
      if (acks && hasQuorum(this.membership.voters, (id) => acks.has(id))) {
        for (const read of this.readQueue.releaseThrough(m.context))
          this.releaseRead(read.context, read.index, read.from);
      }
    }
  }

  private handleSnapshotResponse(m: SnapshotResponse, pr: Progress): void {
    pr.recentActive = true;
    const t = pr.snapshot;
    if (pr.state !== 'snapshot' || !t || t.index !== m.snapshotIndex || t.term !== m.snapshotTerm) return;
    if (m.done) {
      pr.match = Math.max(pr.match, t.index);
      pr.becomeProbe();
      this.markAppendDue(m.from, true);
      return;
    }
    if (m.reject) {
      t.acked = m.received;
      t.sent = Math.min(t.sent, m.received);
    } else {
      t.acked = Math.max(t.acked, m.received);
    }
    this.sendSnapshotChunks(m.from, pr);
  }

  private startSnapshot(to: MemberId, pr: Progress): void {
    const snap = this.snapshot;
    if (!snap) throw new Error(`raft: follower ${to} needs compacted entries but there is no snapshot`);
    pr.becomeSnapshot(snap.metadata.index, snap.metadata.term);
    this.sendSnapshotChunks(to, pr);
  }

  private sendSnapshotChunks(to: MemberId, pr: Progress): void {
    const snap = this.snapshot;
    const t = pr.snapshot;
    if (!snap || !t) return;
    if (snap.metadata.index !== t.index) {
      // A newer snapshot was taken meanwhile: start over with it.
      this.startSnapshot(to, pr);
      return;
    }
    const total = snap.data.length;
    const chunks = nextSnapshotChunks({
      sent: t.sent,
      acked: t.acked,
      total,
      chunkBytes: this.cfg.snapshotChunkBytes,
      maxChunksInFlight: this.cfg.maxSnapshotChunksInFlight,
    });
    for (const { offset, end } of chunks) {
      this.send({
        type: 'Snap',
        from: this.id,
        to,
        term: this.term,
        metadata: snap.metadata,
        totalSize: total,
        offset,
        data: snap.data.subarray(offset, end),
      });
      t.sent = end;
    }
  }

  /** Sends due AppendEntries: as many as flow control allows, each up to maxSizePerMsg. */
  private flushAppends(): void {
    if (this.role !== 'leader') {
      this.appendsDue.clear();
      return;
    }
    for (const [to, sendIfEmpty] of this.appendsDue) {
      const pr = this.progress.get(to);
      if (!pr) continue;
      let sent = this.sendAppend(to, pr, sendIfEmpty);
      while (sent && pr.state === 'replicate' && pr.next <= this.log.lastIndex())
        sent = this.sendAppend(to, pr, false);
    }
    this.appendsDue.clear();
  }

  private sendAppend(to: MemberId, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    const prevLogIndex = pr.next - 1;
    const prevLogTerm = this.log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      // The entries this follower needs were compacted: send the snapshot instead.
      this.startSnapshot(to, pr);
      return false;
    }
    const entries =
      pr.next <= this.log.lastIndex()
        ? this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxSizePerMsg)
        : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: 'App',
      from: this.id,
      to,
      term: this.term,
      prevLogIndex,
      prevLogTerm,
      entries,
      commit: this.log.committed,
    });
    pr.sentEntries(prevLogIndex + entries.length, entries.length);
    return true;
  }

  /** Owes `to` an AppendEntries (even an empty one when `sendIfEmpty`: it carries the commit index). */
  private markAppendDue(to: MemberId, sendIfEmpty: boolean): void {
    this.appendsDue.set(to, sendIfEmpty || this.appendsDue.get(to) === true);
  }

  private markAllAppendsDue(sendIfEmpty: boolean): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.markAppendDue(id, sendIfEmpty);
  }

  private broadcastHeartbeat(context: string): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to hold.
      this.send({
        type: 'Heartbeat',
        from: this.id,
        to: id,
        term: this.term,
        commit: Math.min(pr.match, this.log.committed),
        context,
      });
    }
  }

  private sendTimeoutNow(to: MemberId): void {
    this.send({ type: 'TimeoutNow', from: this.id, to, term: this.term });
  }

  /** §5.3/§5.4.2: commit the highest index on a majority, but only by counting current-term entries. */
  private maybeCommit(): boolean {
    const index = majorityCommitted(this.membership.voters, (id) => this.progress.get(id)?.match ?? 0);
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false;
    const hadCommittedInTerm = this.log.term(this.log.committed) === this.term;
    this.commitTo(index);
    if (!hadCommittedInTerm && this.role === 'leader') {
      const waiting = this.readsAwaitingTermCommit;
      this.readsAwaitingTermCommit = [];
      for (const read of waiting) this.leaderReadIndex(read.context, read.from);
    }
    return true;
  }

  private leaderReadIndex(context: string, from: MemberId): void {
    if (this.log.term(this.log.committed) !== this.term) {
      // §6.4: our commit index is only known to be current once an entry of our term commits.
      this.readsAwaitingTermCommit.push({ context, from });
      return;
    }
    if (this.membership.voters.length === 1 && this.membership.voters[0] === this.id) {
      this.releaseRead(context, this.log.committed, from);
      return;
    }
    this.readQueue.add(context, this.log.committed, from, this.id);
    this.broadcastHeartbeat(context);
  }

  private releaseRead(context: string, index: number, from: MemberId): void {
    if (from === this.id) this.readStates.push({ context, index });
    else this.send({ type: 'ReadIndexResp', from: this.id, to: from, term: 0, context, index });
  }

  // ---- Commit and membership ------------------------------------------------------------------

  private commitTo(index: number): void {
    const before = this.log.committed;
    if (!this.log.commitTo(index)) return;
    this.applyCommittedConfChanges(before, index);
  }

  /** Membership changes take effect when their entry commits (the same moment on every member). */
  private applyCommittedConfChanges(after: number, upTo: number): void {
    for (let i = Math.max(after, this.log.snapshotIndex) + 1; i <= upTo; i++) {
      const e = this.log.entryAt(i)!;
      if (e.type !== EntryType.ConfChange) continue;
      const cc = decodeConfChange(e.data);
      this.membership.apply(i, cc);
      this.confChanged = true;
      if (this.role === 'leader') this.leaderAppliedConfChange(cc);
    }
  }

  private leaderAppliedConfChange(cc: ConfChange): void {
    if (!this.promotable()) {
      // We were removed or demoted: hand over to the most up-to-date voter and step down.
      let best: MemberId = '';
      let bestMatch = -1;
      for (const id of this.membership.voters) {
        const match = this.progress.get(id)?.match ?? 0;
        if (match > bestMatch) [best, bestMatch] = [id, match];
      }
      if (best !== '' && bestMatch === this.log.lastIndex()) this.sendTimeoutNow(best);
      this.becomeFollower(this.term, '');
      return;
    }
    // A transfer to a member that is no longer a voter (removed or demoted) is abandoned.
    if (this.leadTransferee !== '' && !this.membership.voters.includes(this.leadTransferee))
      this.leadTransferee = '';
    const member = cc.member;
    if (!isMember(this.membership.conf, member)) {
      this.progress.delete(member);
    } else {
      const isLearner = this.membership.learners.includes(member);
      const existing = this.progress.get(member);
      if (existing) {
        existing.isLearner = isLearner;
      } else {
        const pr = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMsgs, isLearner);
        pr.recentActive = true;
        this.progress.set(member, pr);
        this.markAppendDue(member, true);
      }
    }
    // Fewer voters may mean a smaller majority that has already replicated more.
    if (this.maybeCommit()) this.markAllAppendsDue(true);
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }
}
