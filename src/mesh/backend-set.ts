// A published port's backends as this node's mesh tracks them between table updates: the ones
// in rotation (in table order, for the balancer), each one's open connections (least-connections
// counts, and what to close when a draining task's deadline passes).

import type { Clock, ClockTimer } from '../util/clock.js';
import { createBalancer, type Balancer } from './balancer.js';
import type { BalanceMode, MeshBackend, PublishedPortEntry } from './endpoint-table.js';

/** Something open to a backend that the mesh can end (a TCP connection, a UDP flow). */
export interface BackendConnection {
  /** Ends it now (the task's drain period is over, or the mesh stops). */
  close(reason: 'DRAINED' | 'STOPPED'): void;
}

export class BackendState {
  /** Open connections to the task through this node (also the least-connections count). */
  readonly connections = new Set<BackendConnection>();
  drainTimer: ClockTimer | null = null;

  constructor(public backend: MeshBackend) {}

  get taskId(): string {
    return this.backend.taskId;
  }

  get active(): number {
    return this.connections.size;
  }
}

export class BackendSet {
  /** Every backend of the entry, by task id. */
  private readonly byTask = new Map<string, BackendState>();
  /** The backends in rotation, in table order. */
  ready: BackendState[] = [];
  balancer: Balancer;
  private mode: BalanceMode;

  constructor(
    public entry: PublishedPortEntry,
    private readonly clock: Clock,
  ) {
    this.mode = entry.balance;
    this.balancer = createBalancer(entry.balance);
    this.apply(entry);
  }

  get(taskId: string): BackendState | undefined {
    return this.byTask.get(taskId);
  }

  /** Takes a new version of the entry: rotation, drain deadlines, balancing mode. */
  apply(entry: PublishedPortEntry): void {
    this.entry = entry;
    if (entry.balance !== this.mode) {
      this.mode = entry.balance;
      this.balancer = createBalancer(entry.balance);
    }
    const seen = new Set<string>();
    const ready: BackendState[] = [];
    for (const backend of entry.backends) {
      seen.add(backend.taskId);
      let state = this.byTask.get(backend.taskId);
      if (state === undefined) this.byTask.set(backend.taskId, (state = new BackendState(backend)));
      state.backend = backend;
      if (backend.ready) {
        state.drainTimer?.cancel();
        state.drainTimer = null;
        ready.push(state);
      } else if (backend.drainingUntil !== undefined) {
        this.scheduleDrain(state, backend.drainingUntil);
      }
    }
    // A task gone from the table (stopped, failed, its node down) is out of rotation at once. Its
    // open connections are left to end on their own (the task's exit, the idle timeout), except
    // that a drain deadline already known still applies.
    for (const [taskId, state] of this.byTask) {
      if (seen.has(taskId)) continue;
      if (state.connections.size === 0) {
        state.drainTimer?.cancel();
        this.byTask.delete(taskId);
      }
    }
    this.ready = ready;
  }

  /** Stops every drain timer (the port is no longer published here). */
  dispose(): void {
    for (const state of this.byTask.values()) {
      state.drainTimer?.cancel();
      state.drainTimer = null;
    }
  }

  /** Adds a connection to `state`; the returned function removes it (idempotent). */
  track(state: BackendState, connection: BackendConnection): () => void {
    state.connections.add(connection);
    if (!this.byTask.has(state.taskId)) this.byTask.set(state.taskId, state);
    return () => {
      state.connections.delete(connection);
      if (state.connections.size === 0 && !this.entry.backends.some((b) => b.taskId === state.taskId)) {
        state.drainTimer?.cancel();
        this.byTask.delete(state.taskId);
      }
    };
  }

  private scheduleDrain(state: BackendState, until: number): void {
    if (state.drainTimer !== null) return;
    state.drainTimer = this.clock.setTimer(Math.max(0, until - this.clock.now()), () => {
      state.drainTimer = null;
      for (const connection of [...state.connections]) connection.close('DRAINED');
    });
  }
}
