// RaftNode wires the pure core to the world: a timer drives tick(), the transport feeds step(),
// and one ready loop at a time persists (fsync) → sends → applies. It turns the core's
// index/term bookkeeping into promises: propose() resolves when the entry is applied here.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { silentLogger, type Logger } from '../util/logger.js';
import { decodeConfChange, encodeConfChange } from './core/conf-change.js';
import { forceNewCluster } from './core/force-new-cluster.js';
import {
  NotLeaderError,
  ProposalTooLargeError,
  RaftError,
  StoppedError,
  TimeoutError,
  InvalidConfChangeError,
} from './core/errors.js';
import {
  ConfChangeType,
  EntryType,
  type ConfChange,
  type ConfState,
  type Entry,
  type MemberId,
  type Message,
} from './core/messages.js';
import {
  Raft,
  bootstrapEntries,
  defaultRaftConfig,
  type RaftStatus,
  type Ready,
  type Role,
} from './core/raft.js';
import { ProposalTracker } from './proposal-tracker.js';
import type { RaftStorage } from './storage/storage.js';

/** The replicated application: applied in log order, identically on every member. */
export interface StateMachine<Result = unknown> {
  /** Applies one committed command; what it returns resolves the proposer's promise. */
  apply(entry: { index: number; term: number; data: Uint8Array }): Result;
  /** The whole state as bytes, as of the last applied entry. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void | Promise<void>;
}

/** What the node needs from a peer transport (GrpcRaftTransport, or an in-process one in tests). */
export interface RaftTransport {
  send(messages: Message[]): void;
  setPeer(id: MemberId, address: string): void;
  removePeer(id: MemberId): void;
  onMessage(handler: (m: Message) => void): void;
  /** Optional: tells the node when the connection to a peer breaks (a faster failover hint). */
  onPeerUnreachable?(handler: (id: MemberId) => void): void;
}

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RaftNodeOptions<Result = unknown> {
  id: MemberId;
  /** The address other members reach this one at (host:port). */
  address: string;
  storage: RaftStorage;
  transport: RaftTransport;
  stateMachine: StateMachine<Result>;
  /**
   * Founding members of a new cluster, used only when storage is empty. Without it, a node with
   * empty storage waits to be added to an existing cluster (it receives the log or a snapshot).
   */
  bootstrap?: Array<{ id: MemberId; address: string }>;
  /** Addresses of existing members, for a joining node that has not yet received the log. */
  peers?: Record<MemberId, string>;
  /**
   * Quorum-loss recovery (etcd's --force-new-cluster): start as the only member of a new cluster
   * that keeps everything in this member's storage — its snapshot and its whole log, entries not
   * seen committed included — and removes every other member. Only for a member whose cluster
   * lost its majority for good; the lost members must never return with their old data. Drop the
   * flag once started: the storage then restarts normally as the one-member cluster, whereas
   * starting with it again would remove the members added since. Refused (NothingToRecoverError)
   * on empty storage. `peers` is ignored.
   */
  forceNewCluster?: boolean;
  /** Leader heartbeat interval (etcd's --heartbeat-interval); default 100 ms. */
  heartbeatMs?: number;
  /** Election timeout (etcd's --election-timeout); randomized in [1, 2) times this; default 1 s. */
  electionMs?: number;
  /** Resolution of the Raft clock; default 10 ms (fine-grained, so election timeouts spread well). */
  tickMs?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Take a snapshot once this many entries were applied since the last one. */
  snapshotEntries?: number;
  /** Entries kept in the log behind a snapshot so slightly-behind followers avoid a snapshot. */
  snapshotRetainEntries?: number;
  maxProposalBytes?: number;
  /** Default timeout of propose(), readIndex() and membership operations. */
  requestTimeoutMs?: number;
  maxInflightMsgs?: number;
  maxSizePerMsg?: number;
  snapshotChunkBytes?: number;
  logger?: Logger;
  timers?: Timers;
  random?: () => number;
}

export interface ProposeOptions {
  /** On a follower, forward to the leader instead of failing with NotLeaderError. */
  forward?: boolean;
  timeoutMs?: number;
}

export interface Applied<Result> {
  index: number;
  term: number;
  result: Result;
}

interface PendingRead {
  index: number;
  resolve: (index: number) => void;
  reject: (e: Error) => void;
  timer: unknown;
}

export interface RaftNodeEvents {
  'leader-change': [{ leader: MemberId; term: number; role: Role }];
  'membership-change': [ConfState];
  /** This member was removed from the cluster (it no longer takes part). */
  removed: [];
  /** The ready loop failed (storage error): the node has stopped. */
  fatal: [Error];
}

const DEFAULTS = {
  tickMs: 10,
  heartbeatMs: 100,
  electionMs: 1000,
  snapshotEntries: 10_000,
  snapshotRetainEntries: 5_000,
  maxProposalBytes: 1536 * 1024,
  requestTimeoutMs: 10_000,
};

export class RaftNode<Result = unknown> extends EventEmitter<RaftNodeEvents> {
  readonly id: MemberId;
  readonly address: string;
  private readonly opts: RaftNodeOptions<Result>;
  private readonly log: Logger;
  private readonly timers: Timers;
  private core: Raft | null = null;
  private ticker: unknown = null;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readyScheduled = false;
  private readyRunning: Promise<void> | null = null;
  private appliedIndex = 0;
  private snapshotIndex = 0;
  private conf: ConfState = { voters: [], learners: [], addresses: {} };
  private readonly contextPrefix = randomBytes(6).toString('base64url');
  private nextContext = 1;
  /** Proposals awaiting application, in index order. */
  private readonly proposals: ProposalTracker<Result>;
  private pendingReads = new Map<string, PendingRead>();
  private leaderWaiters = new Set<() => void>();

  constructor(options: RaftNodeOptions<Result>) {
    super();
    this.opts = options;
    this.id = options.id;
    this.address = options.address;
    this.log = (options.logger ?? silentLogger).child({ component: 'raft', member: options.id });
    this.timers = options.timers ?? realTimers;
    this.proposals = new ProposalTracker<Result>(this.timers);
  }

  // ---- Lifecycle ----------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('raft node: start() called twice');
    const o = this.opts;
    let persisted = await o.storage.load();
    const empty =
      persisted.snapshot === null && persisted.entries.length === 0 && persisted.hardState.term === 0;
    let removedByForce: MemberId[] | null = null;
    if (o.forceNewCluster) {
      // Checked before bootstrap: with nothing stored there is nothing to recover, and quietly
      // founding a cluster instead would hide a wrong data directory (throws NothingToRecoverError).
      const forced = forceNewCluster(persisted, { id: o.id, address: o.address });
      // Durable (entries and a new term: save fdatasyncs) before the core starts from it, so
      // nothing the core does can rest on an unsaved state. A crash during the write leaves the
      // old state, or a part of the new entries; starting again with the flag finishes the job.
      await o.storage.save(forced.hardState, forced.entries);
      persisted = forced.state;
      removedByForce = forced.removed;
      this.log.warn("forced a new one-member cluster from this member's state (quorum-loss recovery)", {
        removed: forced.removed,
        previousVoters: forced.previous.voters,
        term: forced.hardState.term,
        commit: forced.hardState.commit,
      });
    } else if (empty && o.bootstrap && o.bootstrap.length > 0) {
      const entries = bootstrapEntries(o.bootstrap);
      const hardState = { term: 1, vote: '', commit: entries.length };
      await o.storage.save(hardState, entries);
      persisted = { hardState, snapshot: null, entries };
      this.log.info('bootstrapped a new cluster', { members: o.bootstrap.map((m) => m.id) });
    }
    if (persisted.snapshot) {
      await o.stateMachine.restore(persisted.snapshot.data);
      this.appliedIndex = this.snapshotIndex = persisted.snapshot.metadata.index;
    }
    this.core = new Raft(
      {
        ...defaultRaftConfig,
        id: o.id,
        electionTick: this.ticks(o.electionMs ?? DEFAULTS.electionMs),
        heartbeatTick: this.ticks(o.heartbeatMs ?? DEFAULTS.heartbeatMs),
        preVote: o.preVote ?? true,
        checkQuorum: o.checkQuorum ?? true,
        maxInflightMsgs: o.maxInflightMsgs ?? defaultRaftConfig.maxInflightMsgs,
        maxSizePerMsg: o.maxSizePerMsg ?? defaultRaftConfig.maxSizePerMsg,
        snapshotChunkBytes: o.snapshotChunkBytes ?? defaultRaftConfig.snapshotChunkBytes,
        random: o.random ?? Math.random,
      },
      persisted,
    );
    if (removedByForce) {
      // The lost members must get nothing from us: not even heartbeats that could confuse one that
      // comes back (an embedding application may have registered them with the transport).
      for (const id of removedByForce) o.transport.removePeer(id);
      if (o.peers && Object.keys(o.peers).length > 0)
        this.log.warn('forceNewCluster: ignoring peers, the members of the lost cluster', {
          peers: Object.keys(o.peers),
        });
    } else {
      for (const [id, address] of Object.entries(o.peers ?? {}))
        if (id !== this.id) o.transport.setPeer(id, address);
    }
    o.transport.onMessage((m) => this.receive(m));
    o.transport.onPeerUnreachable?.((id) => {
      if (this.state !== 'running' || !this.core) return;
      this.core.reportUnreachable(id);
    });
    // Nobody else votes any more: waiting out an election timeout would only delay recovery.
    if (removedByForce) this.core.campaignNow();
    this.state = 'running';
    this.ticker = this.timers.setInterval(() => this.onTick(), o.tickMs ?? DEFAULTS.tickMs);
    this.scheduleReady();
    await this.waitForReadyLoop();
    this.log.info('started', {
      term: persisted.hardState.term,
      commit: persisted.hardState.commit,
      lastIndex: this.core.log.lastIndex(),
    });
  }

  /** Stops ticking and processing, fails what is pending, closes storage. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.ticker !== null) this.timers.clearInterval(this.ticker);
    this.ticker = null;
    // Let an in-flight write finish, so the storage is closed between records, not inside one.
    await this.readyRunning?.catch(() => undefined);
    await this.shutDown();
  }

  private async shutDown(): Promise<void> {
    this.failAll(new StoppedError());
    await this.opts.storage.close();
  }

  // ---- Application API ----------------------------------------------------------------------

  /**
   * Replicates `data` and resolves once it is committed and applied on this member, with what the
   * state machine returned. Rejects with NotLeaderError (carrying the leader's id and address)
   * unless `forward` is set, ProposalTooLargeError, ProposalDroppedError, TermChangedError (not
   * committed), TimeoutError (outcome unknown) or StoppedError.
   */
  propose(data: Uint8Array, options: ProposeOptions = {}): Promise<Applied<Result>> {
    const limit = this.opts.maxProposalBytes ?? DEFAULTS.maxProposalBytes;
    if (data.length > limit) return Promise.reject(new ProposalTooLargeError(data.length, limit));
    return this.proposeEntry({ type: EntryType.Normal, data }, options);
  }

  /**
   * A linearizable read barrier (ReadIndex): resolves with an index once this member has applied
   * at least everything committed when the read was issued, so a local read of the state
   * machine is linearizable. Works on followers (the leader confirms the index).
   */
  async readIndex(options: { timeoutMs?: number } = {}): Promise<number> {
    const core = this.running();
    const timeoutMs = options.timeoutMs ?? this.requestTimeout();
    // During an election there is nobody to confirm the index yet: wait (bounded) for a leader.
    if (core.leader === '') await this.waitForLeader(timeoutMs);
    const context = this.newContext();
    return new Promise<number>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pendingReads.delete(context);
        reject(new TimeoutError('read index'));
      }, timeoutMs);
      this.pendingReads.set(context, { index: 0, resolve, reject, timer });
      try {
        core.readIndex(context);
      } catch (err) {
        this.pendingReads.delete(context);
        this.timers.clearTimeout(timer);
        reject(toError(err));
        return;
      }
      this.scheduleReady();
    });
  }

  /** Adds a non-voting member that receives the log; promote it once it has caught up. */
  addLearner(id: MemberId, address: string, options: ProposeOptions = {}): Promise<Applied<Result>> {
    return this.proposeConfChange({ type: ConfChangeType.AddLearner, member: id, address }, options);
  }

  /** Makes a learner (or a new member) a voter. */
  promote(id: MemberId, options: ProposeOptions = {}): Promise<Applied<Result>> {
    return this.proposeConfChange(
      { type: ConfChangeType.AddVoter, member: id, address: this.conf.addresses[id] ?? '' },
      options,
    );
  }

  demote(id: MemberId, options: ProposeOptions = {}): Promise<Applied<Result>> {
    return this.proposeConfChange({ type: ConfChangeType.DemoteToLearner, member: id, address: '' }, options);
  }

  /** Removes a member; removing the leader itself makes it hand over and step down. */
  removeMember(id: MemberId, options: ProposeOptions = {}): Promise<Applied<Result>> {
    return this.proposeConfChange({ type: ConfChangeType.Remove, member: id, address: '' }, options);
  }

  /**
   * Hands leadership to `to` (by default the most up-to-date voter) and resolves once another
   * member leads. Used for graceful demotion and shutdown of a leader.
   */
  async transferLeadership(to?: MemberId, options: { timeoutMs?: number } = {}): Promise<MemberId> {
    const core = this.running();
    if (core.role !== 'leader') throw new NotLeaderError(core.leader, core.addressOf(core.leader));
    const target = to ?? this.bestTransferee(core.status());
    if (!target) throw new InvalidConfChangeError('there is no other voter to hand leadership to');
    core.transferLeadership(target);
    this.scheduleReady();
    const deadline = options.timeoutMs ?? (this.opts.electionMs ?? DEFAULTS.electionMs) * 2;
    await this.waitFor(() => core.leader !== '' && core.leader !== this.id, deadline, 'leadership transfer');
    return core.leader;
  }

  status(): RaftStatus & { appliedIndex: number } {
    return { ...this.running().status(), appliedIndex: this.appliedIndex };
  }

  isLeader(): boolean {
    return this.core?.role === 'leader';
  }

  leader(): { id: MemberId; address: string } {
    const core = this.running();
    return { id: core.leader, address: core.addressOf(core.leader) };
  }

  membership(): ConfState {
    return this.running().confState();
  }

  /** Resolves once some member is known to lead (bounded by `timeoutMs`). */
  waitForLeader(timeoutMs = this.requestTimeout()): Promise<MemberId> {
    const core = this.running();
    return this.waitFor(() => core.leader !== '', timeoutMs, 'a leader').then(() => core.leader);
  }

  // ---- Internals ----------------------------------------------------------------------------

  /** A duration in whole ticks of the Raft clock (at least one). */
  private ticks(ms: number): number {
    return Math.max(1, Math.round(ms / (this.opts.tickMs ?? DEFAULTS.tickMs)));
  }

  private running(): Raft {
    if (this.state !== 'running' || !this.core) throw new StoppedError();
    return this.core;
  }

  private requestTimeout(): number {
    return this.opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  }

  private newContext(): string {
    return `${this.contextPrefix}.${this.nextContext++}`;
  }

  private async proposeConfChange(cc: ConfChange, options: ProposeOptions): Promise<Applied<Result>> {
    const core = this.running();
    if (core.role === 'leader' && core.confChangePending()) {
      // One change at a time, and a new leader first commits an entry of its own term: wait
      // for that (briefly) instead of failing a request that will be acceptable in a moment.
      await this.waitFor(
        () => core.role !== 'leader' || !core.confChangePending(),
        options.timeoutMs ?? this.requestTimeout(),
        'the previous membership change to commit',
      );
    }
    return this.proposeEntry({ type: EntryType.ConfChange, data: encodeConfChange(cc) }, options);
  }

  private async proposeEntry(
    entry: { type: EntryType; data: Uint8Array },
    options: ProposeOptions,
  ): Promise<Applied<Result>> {
    const core = this.running();
    const timeoutMs = options.timeoutMs ?? this.requestTimeout();
    if (options.forward && core.leader === '') await this.waitForLeader(timeoutMs);
    return new Promise<Applied<Result>>((resolve, reject) => {
      try {
        if (core.role === 'leader') {
          const { index, term } = core.propose([entry]);
          this.proposals.track(index, term, { resolve, reject }, timeoutMs);
        } else if (options.forward && core.leader !== '') {
          const context = this.newContext();
          this.proposals.trackForward(context, core.leader, { resolve, reject }, timeoutMs);
          core.forwardProposal([entry], [context]);
        } else {
          throw new NotLeaderError(core.leader, core.addressOf(core.leader));
        }
      } catch (err) {
        reject(toError(err));
        return;
      }
      this.scheduleReady();
    });
  }

  private receive(m: Message): void {
    if (this.state !== 'running' || !this.core) return;
    this.core.step(m);
    this.scheduleReady();
  }

  private onTick(): void {
    if (this.state !== 'running' || !this.core) return;
    this.core.tick();
    this.scheduleReady();
  }

  private scheduleReady(): void {
    if (this.readyScheduled || this.state !== 'running') return;
    this.readyScheduled = true;
    // setImmediate lets a burst of proposals and messages accumulate into one ready: one fsync
    // and one AppendEntries per follower for all of them (group commit).
    setImmediate(() => {
      this.readyScheduled = false;
      if (this.readyRunning) return; // the running loop picks the new work up when it finishes
      this.readyRunning = this.readyLoop().finally(() => {
        this.readyRunning = null;
        if (this.core?.hasReady()) this.scheduleReady();
      });
    });
  }

  private async waitForReadyLoop(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.readyRunning;
  }

  private async readyLoop(): Promise<void> {
    const core = this.core!;
    try {
      while (this.state === 'running' && core.hasReady()) {
        const rd = core.ready();
        await this.handleReady(core, rd);
        core.advance(rd);
        await this.maybeSnapshot(core);
      }
    } catch (err) {
      // A failed write cannot be retried safely (the disk state is unknown): stop here. Not via
      // stop(), which waits for this very loop.
      this.log.error('ready loop failed; stopping the node', { err });
      this.state = 'stopped';
      if (this.ticker !== null) this.timers.clearInterval(this.ticker);
      this.ticker = null;
      await this.shutDown().catch((closeErr: unknown) =>
        this.log.warn('closing storage after a failure failed', { err: closeErr }),
      );
      this.emit('fatal', toError(err));
    }
  }

  private async handleReady(core: Raft, rd: Ready): Promise<void> {
    const storage = this.opts.storage;
    // Everything up to here was durable before this ready: entries at or below it may be
    // applied, and a commit index at or below it announced, without waiting for the write below.
    const stableBefore = core.log.stabled;
    if (rd.snapshot) {
      // Persist first: if we crash after restoring, we restart from this snapshot anyway.
      await storage.saveSnapshot(rd.snapshot, { discardLog: true });
      await this.opts.stateMachine.restore(rd.snapshot.data);
      this.appliedIndex = this.snapshotIndex = rd.snapshot.metadata.index;
      this.proposals.snapshotInstalled(rd.snapshot.metadata.index, rd.snapshot.metadata.term);
    }
    if (rd.softState) {
      this.proposals.leaderChanged(rd.softState.leader);
      this.emit('leader-change', { leader: rd.softState.leader, term: core.term, role: rd.softState.role });
      this.wakeWaiters();
    }
    // Peer addresses first: this ready may already replicate to a member it adds.
    if (rd.confState) this.onMembership(rd.confState);

    // Raft §10.2.1: the leader replicates in parallel with its own disk write. Safe because its
    // commit index, though it counts the leader's entries from the moment they are appended,
    // only becomes visible (in messages, applies and reads) in a later ready, which starts after
    // this write is durable — except a commit index inside this ready, which is held back.
    const sendNow: Message[] = [];
    const sendAfterWrite: Message[] = [];
    for (const m of rd.messages) {
      const replication =
        m.type === 'Snap' || ((m.type === 'App' || m.type === 'Heartbeat') && m.commit <= stableBefore);
      (replication ? sendNow : sendAfterWrite).push(m);
    }
    if (sendNow.length > 0) this.opts.transport.send(sendNow);
    // What was durable already is applied while this ready's write is in flight (the disk works
    // in the background meanwhile): a follower's acknowledgement, which the leader commits on,
    // then waits for the longer of the two rather than for both one after the other.
    const written =
      rd.hardState || rd.entries.length > 0 ? storage.save(rd.hardState, rd.entries) : undefined;
    let applied = 0;
    while (applied < rd.committedEntries.length && rd.committedEntries[applied]!.index <= stableBefore)
      this.applyEntry(rd.committedEntries[applied++]!);
    await written;
    // Only now may anything else that depends on those writes (votes, acknowledgements) leave.
    if (sendAfterWrite.length > 0) this.opts.transport.send(sendAfterWrite);
    while (applied < rd.committedEntries.length) this.applyEntry(rd.committedEntries[applied++]!);

    for (const result of rd.proposalResults) {
      this.proposals.forwardedResult(
        result,
        this.appliedIndex,
        () => new NotLeaderError(core.leader, core.addressOf(core.leader)),
        this.requestTimeout(),
      );
    }
    for (const rs of rd.readStates) {
      const read = this.pendingReads.get(rs.context);
      if (read) read.index = rs.index;
    }
    for (const context of rd.failedReads) {
      const read = this.pendingReads.get(context);
      if (!read) continue;
      this.pendingReads.delete(context);
      this.timers.clearTimeout(read.timer);
      read.reject(new NotLeaderError(core.leader, core.addressOf(core.leader)));
    }
    this.serveReads();
    if (rd.committedEntries.length > 0) this.wakeWaiters();
  }

  private applyEntry(entry: Entry): void {
    let result: Result | undefined;
    if (entry.type === EntryType.ConfChange) {
      const cc = decodeConfChange(entry.data);
      this.log.info('membership change applied', { index: entry.index, change: cc });
    } else if (entry.data.length > 0) {
      result = this.opts.stateMachine.apply({ index: entry.index, term: entry.term, data: entry.data });
    }
    this.appliedIndex = entry.index;
    this.proposals.applied(entry.index, entry.term, result as Result);
  }

  private serveReads(): void {
    for (const [context, read] of this.pendingReads) {
      if (read.index > 0 && read.index <= this.appliedIndex) {
        this.pendingReads.delete(context);
        this.timers.clearTimeout(read.timer);
        read.resolve(read.index);
      }
    }
  }

  private onMembership(conf: ConfState): void {
    const before = this.conf;
    this.conf = conf;
    for (const [id, address] of Object.entries(conf.addresses)) {
      if (id !== this.id && address !== '' && before.addresses[id] !== address)
        this.opts.transport.setPeer(id, address);
    }
    for (const id of Object.keys(before.addresses))
      if (!(id in conf.addresses)) this.opts.transport.removePeer(id);
    this.emit('membership-change', conf);
    const wasMember = before.voters.includes(this.id) || before.learners.includes(this.id);
    const isMember = conf.voters.includes(this.id) || conf.learners.includes(this.id);
    if (wasMember && !isMember) {
      this.log.warn('this member was removed from the cluster');
      this.emit('removed');
    }
    this.wakeWaiters();
  }

  private async maybeSnapshot(core: Raft): Promise<void> {
    const every = this.opts.snapshotEntries ?? DEFAULTS.snapshotEntries;
    if (this.appliedIndex - this.snapshotIndex < every || core.log.applied !== this.appliedIndex) return;
    const index = this.appliedIndex;
    const data = await this.opts.stateMachine.snapshot();
    const snapshot = core.compact(
      index,
      data,
      this.opts.snapshotRetainEntries ?? DEFAULTS.snapshotRetainEntries,
    );
    await this.opts.storage.saveSnapshot(snapshot);
    this.snapshotIndex = index;
    this.log.info('snapshot taken', { index, bytes: data.length });
  }

  private bestTransferee(status: RaftStatus): MemberId | undefined {
    let best: MemberId | undefined;
    let bestMatch = -1;
    for (const id of status.conf.voters) {
      if (id === this.id) continue;
      const match = status.progress[id]?.match ?? 0;
      if (match > bestMatch) [best, bestMatch] = [id, match];
    }
    return best;
  }

  private waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.state === 'stopped') {
          done();
          reject(new StoppedError());
        } else if (condition()) {
          done();
          resolve();
        }
      };
      const timer = this.timers.setTimeout(() => {
        done();
        reject(new TimeoutError(`waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        this.timers.clearTimeout(timer);
        this.leaderWaiters.delete(check);
      };
      this.leaderWaiters.add(check);
    });
  }

  private wakeWaiters(): void {
    for (const check of [...this.leaderWaiters]) check();
  }

  private failAll(err: RaftError): void {
    this.proposals.failAll(err);
    for (const p of this.pendingReads.values()) {
      this.timers.clearTimeout(p.timer);
      p.reject(err);
    }
    this.pendingReads.clear();
    this.wakeWaiters();
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
