// A synchronous in-memory network of Raft cores for unit tests (in the spirit of etcd's
// raft_test.go `network`): messages are delivered breadth-first until the cluster is quiet,
// with per-link drops and isolation. Each member's "disk" is a plain copy of what its ready()
// asked to persist.

import {
  Raft,
  bootstrapEntries,
  defaultRaftConfig,
  type RaftConfig,
  type Ready,
} from '../../src/raft/core/raft.js';
import type { Entry, HardState, MemberId, Message, Snapshot } from '../../src/raft/core/messages.js';

export interface Member {
  id: MemberId;
  raft: Raft;
  /** What the member persisted. */
  disk: { hardState: HardState; snapshot: Snapshot | null; entries: Entry[] };
  /** Entries handed to the application, in order. */
  applied: Entry[];
  readStates: Array<{ context: string; index: number }>;
  failedReads: string[];
  proposalResults: Ready['proposalResults'];
}

export function seededRandom(seed: number): () => number {
  // mulberry32: small, fast, good enough for timeouts and fault schedules.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NetworkOptions {
  preVote?: boolean;
  checkQuorum?: boolean;
  seed?: number;
  config?: Partial<RaftConfig>;
}

export class Network {
  readonly members = new Map<MemberId, Member>();
  private dropped = new Set<string>();
  /** Messages that match are dropped (after the link filter). */
  filter: ((m: Message) => boolean) | null = null;
  /** Every message delivered, for assertions. */
  readonly trace: Message[] = [];
  private readonly random: () => number;
  private readonly options: NetworkOptions;

  constructor(ids: MemberId[], options: NetworkOptions = {}) {
    this.options = options;
    this.random = seededRandom(options.seed ?? 1);
    const boot = bootstrapEntries(ids.map((id) => ({ id, address: `addr-${id}` })));
    for (const id of ids) {
      this.addMember(id, {
        hardState: { term: 1, vote: '', commit: boot.length },
        snapshot: null,
        entries: boot,
      });
    }
  }

  config(id: MemberId): RaftConfig {
    return {
      ...defaultRaftConfig,
      preVote: this.options.preVote ?? false,
      checkQuorum: this.options.checkQuorum ?? false,
      ...this.options.config,
      id,
      random: this.random,
    };
  }

  /** Adds (or restarts from `disk`) a member. A new joiner passes an empty disk. */
  addMember(id: MemberId, disk: Member['disk']): Member {
    const raft = new Raft(this.config(id), {
      hardState: disk.hardState,
      snapshot: disk.snapshot,
      entries: disk.entries,
    });
    const member: Member = {
      id,
      raft,
      disk: { hardState: { ...disk.hardState }, snapshot: disk.snapshot, entries: disk.entries.slice() },
      applied: [],
      readStates: [],
      failedReads: [],
      proposalResults: [],
    };
    this.members.set(id, member);
    this.drain(id);
    return member;
  }

  member(id: MemberId): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  raft(id: MemberId): Raft {
    return this.member(id).raft;
  }

  /** Crashes a member and restarts it from what it persisted. */
  restart(id: MemberId): Member {
    const old = this.member(id);
    return this.addMember(id, old.disk);
  }

  isolate(id: MemberId): void {
    for (const other of this.members.keys()) {
      if (other === id) continue;
      this.dropped.add(`${id}->${other}`);
      this.dropped.add(`${other}->${id}`);
    }
  }

  cut(a: MemberId, b: MemberId): void {
    this.dropped.add(`${a}->${b}`);
    this.dropped.add(`${b}->${a}`);
  }

  recover(): void {
    this.dropped.clear();
    this.filter = null;
  }

  /** Runs ready() for a member and returns the messages it wants sent. */
  private processReady(member: Member): Message[] {
    const out: Message[] = [];
    while (member.raft.hasReady()) {
      const rd = member.raft.ready();
      if (rd.snapshot) {
        member.disk.snapshot = rd.snapshot;
        member.disk.entries = [];
        member.applied.push({
          term: rd.snapshot.metadata.term,
          index: rd.snapshot.metadata.index,
          type: 0,
          data: new Uint8Array(),
        });
      }
      if (rd.entries.length > 0) {
        const first = rd.entries[0]!.index;
        member.disk.entries = member.disk.entries.filter((e) => e.index < first).concat(rd.entries);
      }
      if (rd.hardState) member.disk.hardState = rd.hardState;
      member.applied.push(...rd.committedEntries);
      member.readStates.push(...rd.readStates);
      member.failedReads.push(...rd.failedReads);
      member.proposalResults.push(...rd.proposalResults);
      out.push(...rd.messages);
      member.raft.advance(rd);
    }
    return out;
  }

  /** Processes a member's pending output and delivers everything until the network is quiet. */
  drain(id?: MemberId): void {
    const queue: Message[] = [];
    const ids = id ? [id] : [...this.members.keys()];
    for (const i of ids) queue.push(...this.processReady(this.member(i)));
    this.deliver(queue);
  }

  send(...msgs: Message[]): void {
    this.deliver(msgs);
  }

  private deliver(queue: Message[]): void {
    let steps = 0;
    while (queue.length > 0) {
      if (++steps > 1_000_000) throw new Error('network: message storm (no quiescence after 1e6 deliveries)');
      const m = queue.shift()!;
      if (this.dropped.has(`${m.from}->${m.to}`)) continue;
      if (this.filter?.(m)) continue;
      const target = this.members.get(m.to);
      if (!target) continue;
      this.trace.push(m);
      target.raft.step(m);
      queue.push(...this.processReady(target));
    }
  }

  tick(id: MemberId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.raft(id).tick();
      this.drain(id);
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.members.keys()) this.tick(id);
  }

  /** Makes `id` campaign and settles the network. */
  elect(id: MemberId): void {
    this.raft(id).campaignNow();
    this.drain(id);
  }

  propose(id: MemberId, text: string): { index: number; term: number } {
    const r = this.raft(id).propose([{ type: 0, data: new TextEncoder().encode(text) }]);
    this.drain(id);
    return r;
  }

  leader(): MemberId | undefined {
    for (const m of this.members.values()) if (m.raft.role === 'leader') return m.id;
    return undefined;
  }

  appliedTexts(id: MemberId): string[] {
    const dec = new TextDecoder();
    return this.member(id)
      .applied.filter((e) => e.type === 0 && e.data.length > 0)
      .map((e) => dec.decode(e.data));
  }
}
