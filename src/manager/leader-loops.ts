// The control loops only the Raft leader runs (DESIGN.md: "Losing leadership cancels them all"):
// the orchestrators (replicated, global, rolling updates, jobs, restarts, history), the allocator
// and the scheduler. Each is level-triggered, so a new leader starting them on the store as it
// finds it finishes whatever its predecessor left half done.
// Transitions are serialized: a quick lose-and-regain never runs two sets at once.

import { Allocator } from './allocator/index.js';
import type { ApiStore } from './control/index.js';
import {
  GlobalOrchestrator,
  JobOrchestrator,
  ReplicatedOrchestrator,
  RestartSupervisor,
  RollingUpdater,
  TaskReaper,
} from './orchestrator/index.js';
import { Scheduler } from './scheduler/index.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';

interface Loop {
  start(): void;
  stop(): Promise<void>;
}

export interface LeaderLoopsOptions {
  store: ApiStore;
  clock?: Clock;
  logger?: Logger;
}

export class LeaderLoops {
  private running: Loop[] = [];
  private transition: Promise<void> = Promise.resolve();
  private leading = false;
  private readonly log: Logger;

  constructor(private readonly options: LeaderLoopsOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'leader-loops' });
  }

  /** Starts the loops when this manager becomes leader, stops them when it stops being one. */
  setLeader(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.transition = this.transition.then(() => (leading ? this.startAll() : this.stopAll()));
  }

  /** Stops the loops (leaving leadership or shutting down) and waits for them. */
  async stop(): Promise<void> {
    this.setLeader(false);
    await this.transition;
  }

  get active(): boolean {
    return this.running.length > 0;
  }

  private startAll(): void {
    const common = { store: this.options.store, clock: this.options.clock, logger: this.options.logger };
    // Upstream first: services get tasks, tasks get ports, then nodes.
    this.running = [
      new ReplicatedOrchestrator(common),
      new GlobalOrchestrator(common),
      new RollingUpdater(common),
      new JobOrchestrator(common),
      new RestartSupervisor(common),
      new Allocator(common),
      new Scheduler(common),
      new TaskReaper(common),
    ];
    for (const loop of this.running) loop.start();
    this.log.info('leader: control loops started', { loops: this.running.length });
  }

  private async stopAll(): Promise<void> {
    const loops = this.running;
    this.running = [];
    const results = await Promise.allSettled(loops.map((loop) => loop.stop()));
    for (const r of results)
      if (r.status === 'rejected') this.log.warn('a control loop failed to stop', { err: r.reason });
    if (loops.length > 0) this.log.info('control loops stopped');
  }
}
