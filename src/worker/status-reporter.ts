// Carries task status moves from the task controllers to the managers: the latest status per
// task is kept until a manager has taken it, sent in batches (every 50 ms by default) over the
// current session, and kept across reconnections, so a move made while no manager was reachable
// arrives once one is. A status the managers refuse as a whole is logged and dropped.

import type { TaskStatus } from '../api/index.js';
import { movesForward } from '../api/index.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

/** Sends one batch on the current session; rejects when it could not be delivered. */
export type SendStatuses = (updates: Array<{ taskId: string; status: TaskStatus }>) => Promise<void>;

export interface StatusReporterOptions {
  clock?: Clock;
  logger?: Logger;
  batchMs?: number;
  /** At most this many updates per call. */
  maxBatch?: number;
}

export class StatusReporter {
  private readonly pending = new Map<string, TaskStatus>();
  private send: SendStatuses | null = null;
  private timer: ClockTimer | null = null;
  private sending: Promise<void> | null = null;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: StatusReporterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'status-reporter' });
  }

  report(taskId: string, status: TaskStatus): void {
    const queued = this.pending.get(taskId);
    if (queued && !movesForward(queued.state, status.state) && queued.state !== status.state) return;
    this.pending.set(taskId, status);
    this.schedule();
  }

  /** The session to send on (null while there is none). */
  attach(send: SendStatuses | null): void {
    this.send = send;
    if (send) this.schedule();
  }

  get queued(): number {
    return this.pending.size;
  }

  async stop(): Promise<void> {
    this.send = null;
    this.timer?.cancel();
    this.timer = null;
    await this.sending;
  }

  private schedule(): void {
    if (this.timer || this.sending || !this.send || this.pending.size === 0) return;
    this.timer = this.clock.setTimer(this.options.batchMs ?? 50, () => {
      this.timer = null;
      this.sending = this.flush().finally(() => {
        this.sending = null;
        this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const send = this.send;
    if (!send) return;
    const batch = [...this.pending].slice(0, this.options.maxBatch ?? 500);
    try {
      await send(batch.map(([taskId, status]) => ({ taskId, status })));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'INVALID_ARGUMENT' && code !== 'PERMISSION_DENIED') {
        // The session is gone, the manager is busy or unreachable: kept for the next try.
        this.log.debug('status report not delivered; kept', { error: (err as Error).message });
        return;
      }
      // Refused as a whole (a task not ours, a state not a worker's): resending cannot help.
      this.log.warn('managers refused status reports; dropped', {
        error: (err as Error).message,
        tasks: batch.length,
      });
    }
    // Taken (or refused): forget what was sent unless a newer status arrived meanwhile.
    for (const [taskId, status] of batch)
      if (this.pending.get(taskId) === status) this.pending.delete(taskId);
  }
}
