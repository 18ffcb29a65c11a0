// A deterministic, seeded simulation of a whole Raft cluster over a faulty network, with a
// replicated key-value store and clients. Time is virtual; one seed fixes every timeout, delay,
// drop, partition, crash and client operation, so a failing seed replays exactly.
// It drives the pure core the way RaftNode does: persist (fsync) → send → apply, where a crash
// before the fsync loses the unsynced writes.

import { Raft, bootstrapEntries, defaultRaftConfig, type Ready } from '../../src/raft/core/raft.js';
import {
  ConfChangeType,
  EntryType,
  type Entry,
  type HardState,
  type MemberId,
  type Message,
  type Snapshot,
} from '../../src/raft/core/messages.js';
import { seededRandom } from './raft-network.js';
import type { KvInput, KvOutput, Operation } from './linearizability.js';

export interface SimOptions {
  seed: number;
  members: number;
  /** Virtual milliseconds to run with faults, then the same again healed (liveness check). */
  durationMs: number;
  clients: number;
  dropRate: number;
  duplicateRate: number;
  maxDelayMs: number;
  /** Mean virtual ms between fault events (partition, heal, crash, restart). */
  faultEveryMs: number;
  crashes: boolean;
  membershipChanges: boolean;
  /** Compact the log once this many entries are applied past the last snapshot. */
  snapshotEvery: number;
}

export const defaultSimOptions: Omit<SimOptions, 'seed'> = {
  members: 3,
  durationMs: 12_000,
  clients: 4,
  dropRate: 0.05,
  duplicateRate: 0.02,
  maxDelayMs: 30,
  faultEveryMs: 1500,
  crashes: true,
  membershipChanges: false,
  snapshotEvery: 40,
};

const TICK_MS = 10;
const FSYNC_MS = 2;
const CLIENT_TIMEOUT_MS = 1500;

interface Disk {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

interface SimMember {
  id: MemberId;
  raft: Raft;
  disk: Disk;
  alive: boolean;
  /** Bumped on every crash: events scheduled for an earlier incarnation are ignored. */
  incarnation: number;
  readyInFlight: boolean;
  kv: Map<string, string>;
  applied: number;
  /** Pending client writes by (index, term), and reads by context. */
  pendingWrites: Map<number, { term: number; op: ClientOp }>;
  pendingReads: Map<string, { op: ClientOp; index: number }>;
}

interface ClientOp {
  id: number;
  clientId: number;
  input: KvInput;
  call: number;
  done: boolean;
}

type Event = { at: number; seq: number; run: () => void };

export interface SimResult {
  history: Operation[];
  violations: string[];
  /** Committed entries by index (term:payload), as observed across the cluster. */
  committed: number;
  leadersByTerm: Map<number, MemberId>;
  stats: {
    delivered: number;
    dropped: number;
    crashes: number;
    elections: number;
    snapshotsSent: number;
    confChanges: number;
  };
}

export class RaftSimulation {
  private readonly opts: SimOptions;
  private readonly rand: () => number;
  private now = 0;
  private seq = 0;
  private events: Event[] = [];
  private readonly members = new Map<MemberId, SimMember>();
  private cut = new Set<string>();
  private readonly history: Operation[] = [];
  private readonly violations: string[] = [];
  /** index → "term:hex" of the entry every member must apply there (state machine safety). */
  private readonly committedLog = new Map<number, string>();
  private readonly leadersByTerm = new Map<number, MemberId>();
  private readonly acknowledgedWrites: Array<{ index: number; term: number; op: number }> = [];
  private nextOpId = 1;
  private nextMemberNo: number;
  private faultsOn = true;
  private readonly stats = {
    delivered: 0,
    dropped: 0,
    crashes: 0,
    elections: 0,
    snapshotsSent: 0,
    confChanges: 0,
  };

  constructor(options: SimOptions) {
    this.opts = options;
    this.rand = seededRandom(options.seed);
    const ids = Array.from({ length: options.members }, (_, i) => `m${i + 1}`);
    this.nextMemberNo = options.members + 1;
    const boot = bootstrapEntries(ids.map((id) => ({ id, address: id })));
    for (const id of ids) {
      this.startMember(id, {
        hardState: { term: 1, vote: '', commit: boot.length },
        snapshot: null,
        entries: boot.slice(),
      });
    }
  }

  run(): SimResult {
    for (let c = 0; c < this.opts.clients; c++) this.schedule(this.randInt(50), () => this.clientLoop(c));
    this.schedule(this.opts.faultEveryMs, () => this.faultLoop());
    if (this.opts.membershipChanges) this.schedule(2000, () => this.membershipLoop());
    this.runUntil(this.opts.durationMs);
    // Heal everything and check that the cluster recovers: a leader, and every live voter
    // applies the same final state.
    this.faultsOn = false;
    this.cut.clear();
    for (const m of this.members.values()) if (!m.alive && this.isMember(m.id)) this.restart(m.id);
    this.runUntil(this.opts.durationMs * 2);
    this.checkConvergence();
    this.checkLogMatching();
    return {
      history: this.history,
      violations: this.violations,
      committed: this.committedLog.size,
      leadersByTerm: this.leadersByTerm,
      stats: this.stats,
    };
  }

  // ---- Event loop ---------------------------------------------------------------------------

  private schedule(delay: number, run: () => void): void {
    const ev = { at: this.now + delay, seq: this.seq++, run };
    // Binary insertion keeps the queue ordered by (at, seq).
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.events[mid]!;
      if (e.at < ev.at || (e.at === ev.at && e.seq < ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.events.splice(lo, 0, ev);
  }

  private runUntil(until: number): void {
    while (this.events.length > 0 && this.events[0]!.at <= until) {
      const ev = this.events.shift()!;
      this.now = ev.at;
      try {
        ev.run();
      } catch (err) {
        // The core refusing to go on (an invariant check threw) is a finding, not a harness bug.
        this.violations.push(`at t=${this.now} the core threw: ${(err as Error).message}`);
        this.events = [];
        return;
      }
    }
    this.now = until;
  }

  private randInt(n: number): number {
    return Math.floor(this.rand() * n);
  }

  private pick<T>(xs: T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.randInt(xs.length)];
  }

  // ---- Members ------------------------------------------------------------------------------

  private startMember(id: MemberId, disk: Disk): void {
    const prev = this.members.get(id);
    const raft = new Raft(
      {
        ...defaultRaftConfig,
        id,
        random: this.rand,
        snapshotChunkBytes: 64,
        maxSnapshotChunksInFlight: 2,
        maxSizePerMsg: 512,
        maxInflightMsgs: 8,
      },
      { hardState: disk.hardState, snapshot: disk.snapshot, entries: disk.entries.slice() },
    );
    const m: SimMember = {
      id,
      raft,
      disk,
      alive: true,
      incarnation: (prev?.incarnation ?? 0) + 1,
      readyInFlight: false,
      kv: new Map(),
      applied: 0,
      pendingWrites: new Map(),
      pendingReads: new Map(),
    };
    if (disk.snapshot) this.restoreKv(m, disk.snapshot);
    this.members.set(id, m);
    const inc = m.incarnation;
    const tick = (): void => {
      if (!m.alive || m.incarnation !== inc) return;
      m.raft.tick();
      this.kick(m);
      this.schedule(TICK_MS, tick);
    };
    this.schedule(this.randInt(TICK_MS) + 1, tick);
    this.kick(m);
  }

  private crash(id: MemberId): void {
    const m = this.members.get(id)!;
    if (!m.alive) return;
    m.alive = false;
    m.incarnation++;
    this.stats.crashes++;
    // Whatever the in-flight ready had not fsynced is lost with the process. Most peers see
    // their connection to it break (RaftNode's transport reports that as a hint); some do not.
    for (const other of this.members.values()) {
      if (other === m || this.rand() < 0.3) continue;
      const inc = other.incarnation;
      this.schedule(1 + this.randInt(5), () => {
        if (!other.alive || other.incarnation !== inc) return;
        other.raft.reportUnreachable(id);
        this.kick(other);
      });
    }
  }

  /**
   * Fault injection for the harness's own test: a restart loses its vote and the last entries it
   * had fsynced, as a disk that lies about fsync would. The checks must catch what follows.
   */
  brokenDisk = false;

  private restart(id: MemberId): void {
    const m = this.members.get(id)!;
    if (m.alive) return;
    if (this.brokenDisk) {
      const keep = m.disk.entries.filter((e) => e.index <= m.disk.hardState.commit);
      const cut = Math.max(0, m.disk.entries.length - 3);
      m.disk.entries = m.disk.entries.slice(0, Math.max(cut, 0));
      if (m.disk.entries.length < keep.length)
        m.disk.hardState.commit = m.disk.entries.at(-1)?.index ?? m.disk.snapshot?.metadata.index ?? 0;
      m.disk.hardState.vote = '';
    }
    this.startMember(id, {
      hardState: { ...m.disk.hardState },
      snapshot: m.disk.snapshot,
      entries: m.disk.entries.slice(),
    });
  }

  /** Runs the member's ready cycle: fsync takes FSYNC_MS; only then messages leave. */
  private kick(m: SimMember): void {
    if (!m.alive || m.readyInFlight || !m.raft.hasReady()) return;
    const stableBefore = m.raft.log.stabled;
    const rd = m.raft.ready();
    m.readyInFlight = true;
    this.observeSoftState(m, rd);
    const inc = m.incarnation;
    // As RaftNode does: replication whose commit index is already durable leaves before the
    // fsync (Raft §10.2.1), and committed entries already durable are applied meanwhile.
    const early = (msg: Message): boolean =>
      rd.snapshot === null &&
      (msg.type === 'Snap' ||
        ((msg.type === 'App' || msg.type === 'Heartbeat') && msg.commit <= stableBefore));
    const applyNow = rd.snapshot === null ? rd.committedEntries.filter((e) => e.index <= stableBefore) : [];
    for (const msg of rd.messages) if (early(msg)) this.transmit(msg);
    this.apply(m, {
      ...rd,
      snapshot: null,
      committedEntries: applyNow,
      readStates: [],
      failedReads: [],
      proposalResults: [],
    });
    this.schedule(FSYNC_MS, () => {
      if (!m.alive || m.incarnation !== inc) return; // crashed before the fsync completed
      this.persist(m, rd);
      for (const msg of rd.messages) if (!early(msg)) this.transmit(msg);
      this.apply(m, { ...rd, committedEntries: rd.committedEntries.slice(applyNow.length) });
      m.raft.advance(rd);
      m.readyInFlight = false;
      this.maybeCompact(m);
      this.kick(m);
    });
  }

  private persist(m: SimMember, rd: Ready): void {
    if (rd.snapshot) {
      m.disk.snapshot = rd.snapshot;
      // Raft §7: the snapshot replaces a log that does not contain its last entry.
      m.disk.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      m.disk.entries = m.disk.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    if (rd.hardState) m.disk.hardState = rd.hardState;
  }

  private apply(m: SimMember, rd: Ready): void {
    if (rd.snapshot) {
      this.restoreKv(m, rd.snapshot);
      this.failPendingWrites(m, rd.snapshot.metadata.index, rd.snapshot.metadata.term);
    }
    for (const e of rd.committedEntries) {
      const key = `${e.term}:${Buffer.from(e.data).toString('hex')}`;
      const seen = this.committedLog.get(e.index);
      if (seen === undefined) this.committedLog.set(e.index, key);
      else if (seen !== key)
        this.violations.push(
          `state machine safety: ${m.id} applied ${key} at ${e.index}, others applied ${seen}`,
        );
      if (e.index !== m.applied + 1)
        this.violations.push(`${m.id} applied index ${e.index} after ${m.applied}`);
      m.applied = e.index;
      if (e.type === EntryType.Normal && e.data.length > 0) this.applyKv(m, e);
      this.failPendingWrites(m, e.index, e.term);
    }
    for (const rs of rd.readStates) {
      const read = m.pendingReads.get(rs.context);
      if (read) read.index = rs.index;
    }
    for (const ctx of rd.failedReads) m.pendingReads.delete(ctx);
    for (const pr of rd.proposalResults) {
      const op = this.opsByContext.get(pr.contexts[0]!);
      if (op && pr.index > 0 && !op.done) m.pendingWrites.set(pr.index, { term: pr.term, op });
    }
    this.serveReads(m);
  }

  private readonly opsByContext = new Map<string, ClientOp>();

  private applyKv(m: SimMember, e: Entry): void {
    const cmd = JSON.parse(Buffer.from(e.data).toString()) as {
      op: number;
      kind: 'put' | 'append';
      key: string;
      value: string;
    };
    const cur = m.kv.get(cmd.key) ?? '';
    m.kv.set(cmd.key, cmd.kind === 'put' ? cmd.value : cur + cmd.value);
    const pending = m.pendingWrites.get(e.index);
    if (pending && pending.term === e.term && pending.op.id === cmd.op) {
      m.pendingWrites.delete(e.index);
      this.acknowledgedWrites.push({ index: e.index, term: e.term, op: cmd.op });
      this.complete(pending.op, { kind: 'ok' });
    }
  }

  /** Proposals overwritten by a newer leader are answered as failed (they did not happen). */
  private failPendingWrites(m: SimMember, index: number, term: number): void {
    for (const [i, p] of m.pendingWrites) {
      if ((i === index && p.term !== term) || (i > index && p.term < term) || i < index)
        m.pendingWrites.delete(i);
    }
  }

  private serveReads(m: SimMember): void {
    for (const [ctx, read] of m.pendingReads) {
      if (read.index > 0 && m.applied >= read.index) {
        m.pendingReads.delete(ctx);
        if (read.op.input.kind === 'get')
          this.complete(read.op, { kind: 'value', value: m.kv.get(read.op.input.key) ?? null });
      }
    }
  }

  private maybeCompact(m: SimMember): void {
    const r = m.raft;
    if (r.log.applied - r.log.snapshotIndex < this.opts.snapshotEvery) return;
    const data = Buffer.from(JSON.stringify([...m.kv]));
    const snap = r.compact(r.log.applied, data);
    m.disk.snapshot = snap;
    m.disk.entries = m.disk.entries.filter((e) => e.index > snap.metadata.index);
  }

  private restoreKv(m: SimMember, snap: Snapshot): void {
    m.kv =
      snap.data.length === 0
        ? new Map<string, string>()
        : new Map<string, string>(JSON.parse(Buffer.from(snap.data).toString()) as Array<[string, string]>);
    m.applied = snap.metadata.index;
  }

  private observeSoftState(m: SimMember, rd: Ready): void {
    if (rd.softState?.role !== 'leader') return;
    this.stats.elections++;
    const term = m.raft.term;
    const other = this.leadersByTerm.get(term);
    if (other !== undefined && other !== m.id)
      this.violations.push(`election safety: ${other} and ${m.id} both lead term ${term}`);
    this.leadersByTerm.set(term, m.id);
    // Leader completeness: the new leader holds every entry committed so far.
    for (const [index, key] of this.committedLog) {
      if (index <= m.raft.log.snapshotIndex) continue;
      const e = m.raft.log.entryAt(index);
      if (!e || `${e.term}:${Buffer.from(e.data).toString('hex')}` !== key) {
        this.violations.push(
          `leader completeness: ${m.id} leads term ${term} without committed entry ${index}`,
        );
        break;
      }
    }
  }

  // ---- Network ------------------------------------------------------------------------------

  private transmit(msg: Message): void {
    if (msg.type === 'Snap') this.stats.snapshotsSent++;
    const copies = this.faultsOn && this.rand() < this.opts.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if ((this.faultsOn && this.rand() < this.opts.dropRate) || this.cut.has(`${msg.from}->${msg.to}`)) {
        this.stats.dropped++;
        continue;
      }
      const delay = 1 + this.randInt(this.faultsOn ? this.opts.maxDelayMs : 5);
      this.schedule(delay, () => {
        const target = this.members.get(msg.to);
        if (!target?.alive || this.cut.has(`${msg.from}->${msg.to}`)) return;
        this.stats.delivered++;
        target.raft.step(msg);
        this.kick(target);
      });
    }
  }

  // ---- Faults -------------------------------------------------------------------------------

  private faultLoop(): void {
    if (!this.faultsOn) return;
    const ids = [...this.members.keys()];
    const r = this.rand();
    if (r < 0.25) {
      // Partition a random minority (or majority) away from the rest.
      const side = new Set(ids.filter(() => this.rand() < 0.4));
      for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) this.cut.add(`${a}->${b}`);
    } else if (r < 0.45) {
      this.cut.clear();
    } else if (r < 0.6 && this.opts.crashes) {
      const live = ids.filter((id) => this.members.get(id)!.alive);
      const victim =
        this.rand() < 0.5
          ? (ids.find((id) => this.members.get(id)!.raft.role === 'leader') ?? this.pick(live))
          : this.pick(live);
      if (victim) this.crash(victim);
    } else if (r < 0.85) {
      const dead = ids.filter((id) => !this.members.get(id)!.alive);
      const back = this.pick(dead);
      if (back) this.restart(back);
    } else {
      // A one-way link failure.
      const a = this.pick(ids)!;
      const b = this.pick(ids)!;
      if (a !== b) this.cut.add(`${a}->${b}`);
    }
    this.schedule(1 + this.randInt(2 * this.opts.faultEveryMs), () => this.faultLoop());
  }

  private isMember(id: MemberId): boolean {
    const leader = [...this.members.values()].find((m) => m.alive && m.raft.role === 'leader');
    const conf = (leader ?? this.members.get(id)!).raft.confState();
    return conf.voters.includes(id) || conf.learners.includes(id);
  }

  /** Grows and shrinks the membership one member at a time: learner, promotion, removal. */
  private membershipLoop(): void {
    if (!this.faultsOn) return;
    const leader = [...this.members.values()].find((m) => m.alive && m.raft.role === 'leader');
    if (leader) {
      const conf = leader.raft.confState();
      try {
        if (conf.learners.length > 0) {
          leader.raft.proposeConfChange({
            type: ConfChangeType.AddVoter,
            member: conf.learners[0]!,
            address: conf.learners[0]!,
          });
        } else if (conf.voters.length < this.opts.members + 1 && this.rand() < 0.6) {
          const id = `m${this.nextMemberNo++}`;
          this.startMember(id, { hardState: { term: 0, vote: '', commit: 0 }, snapshot: null, entries: [] });
          leader.raft.proposeConfChange({ type: ConfChangeType.AddLearner, member: id, address: id });
        } else if (conf.voters.length > 3) {
          const victim = this.pick(conf.voters)!; // possibly the leader itself
          leader.raft.proposeConfChange({ type: ConfChangeType.Remove, member: victim, address: '' });
        }
        this.stats.confChanges++;
      } catch {
        // Refused (a change is pending, or transfer in progress): try again later.
      }
      this.kick(leader);
    }
    this.schedule(1000 + this.randInt(2000), () => this.membershipLoop());
  }

  // ---- Clients ------------------------------------------------------------------------------

  private clientLoop(clientId: number): void {
    if (!this.faultsOn) return;
    const key = `k${this.randInt(8)}`;
    const r = this.rand();
    const opId = this.nextOpId++;
    const input: KvInput =
      r < 0.4
        ? { kind: 'get', key }
        : r < 0.7
          ? { kind: 'append', key, value: `<${opId}>` }
          : { kind: 'put', key, value: `v${opId}` };
    const op: ClientOp = { id: opId, clientId, input, call: this.now, done: false };
    this.issue(op);
    this.schedule(CLIENT_TIMEOUT_MS, () => {
      if (op.done) return;
      op.done = true;
      // Unknown outcome: a write may still take effect; a read that timed out observed nothing.
      if (op.input.kind !== 'get')
        this.history.push({ clientId, input, call: op.call, return: Infinity, output: null });
      // Back off before trying again, as a real client would while the cluster is unavailable;
      // it also keeps the number of unknown-outcome writes (the checker's hard case) down.
      this.schedule(300 + this.randInt(500), () => this.clientLoop(clientId));
    });
  }

  private issue(op: ClientOp): void {
    const live = [...this.members.values()].filter((m) => m.alive);
    const m = this.pick(live);
    if (!m) return;
    const ctx = `op-${op.id}`;
    this.opsByContext.set(ctx, op);
    try {
      if (op.input.kind === 'get') {
        m.pendingReads.set(ctx, { op, index: 0 });
        m.raft.readIndex(ctx);
      } else {
        const data = Buffer.from(
          JSON.stringify({ op: op.id, kind: op.input.kind, key: op.input.key, value: op.input.value }),
        );
        if (m.raft.role === 'leader') {
          const { index, term } = m.raft.propose([{ type: EntryType.Normal, data }]);
          m.pendingWrites.set(index, { term, op });
        } else {
          m.raft.forwardProposal([{ type: EntryType.Normal, data }], [ctx]);
        }
      }
    } catch {
      // Not leader / no leader: a definite "did not happen"; the client retries after its timeout.
      m.pendingReads.delete(ctx);
    }
    this.kick(m);
  }

  private complete(op: ClientOp, output: KvOutput): void {
    if (op.done) return;
    op.done = true;
    this.history.push({ clientId: op.clientId, input: op.input, call: op.call, return: this.now, output });
    this.schedule(1 + this.randInt(20), () => this.clientLoop(op.clientId));
  }

  // ---- Final checks -------------------------------------------------------------------------

  private checkConvergence(): void {
    const live = [...this.members.values()].filter((m) => m.alive && this.isMember(m.id));
    const leaders = live.filter((m) => m.raft.role === 'leader');
    if (leaders.length !== 1) {
      this.violations.push(
        `liveness: ${leaders.length} leaders after healing (${live.map((m) => `${m.id}:${m.raft.role}@${m.raft.term}`).join(' ')})`,
      );
      return;
    }
    const target = leaders[0]!.raft.log.committed;
    for (const m of live) {
      if (m.applied < target)
        this.violations.push(
          `liveness: ${m.id} applied ${m.applied} < leader commit ${target} after healing`,
        );
    }
    for (const w of this.acknowledgedWrites) {
      if (this.committedLog.get(w.index)?.startsWith(`${w.term}:`) !== true)
        this.violations.push(`acknowledged write ${w.op} at ${w.index} lost`);
    }
  }

  private checkLogMatching(): void {
    const ms = [...this.members.values()];
    for (let i = 0; i < ms.length; i++) {
      for (let j = i + 1; j < ms.length; j++) {
        const a = ms[i]!.raft.log;
        const b = ms[j]!.raft.log;
        const lo = Math.max(a.snapshotIndex, b.snapshotIndex) + 1;
        const hi = Math.min(a.lastIndex(), b.lastIndex());
        // Log matching: find the highest index with equal terms; everything up to it must be identical.
        let k = hi;
        while (k >= lo && a.term(k) !== b.term(k)) k--;
        for (let x = lo; x <= k; x++) {
          const ea = a.entryAt(x)!;
          const eb = b.entryAt(x)!;
          if (ea.term !== eb.term || Buffer.compare(Buffer.from(ea.data), Buffer.from(eb.data)) !== 0) {
            this.violations.push(
              `log matching: ${ms[i]!.id} and ${ms[j]!.id} agree at ${k} but differ at ${x}`,
            );
            break;
          }
        }
      }
    }
  }
}
