// What the store does not keep about a task but the monitor window needs: when it reached
// RUNNING. While a task runs, its status timestamp says so; once it has ended, only a leader that
// watched it knows. The updater's driver remembers what its watch showed (TaskObservations); the
// decisions take that memory as an input, and a new leader without it falls back to bounds the
// store does give (see failedWithinMonitor).

import { exitedOnItsOwn, endedAt } from '../restart-policy.js';
import { createdAt } from '../slots.js';
import type { ApiStoreEvent } from '../loop.js';
import type { StoredTask } from '../types.js';

export interface TaskHistory {
  /** When this leader first saw the task RUNNING, if it did. */
  runningSince(taskId: string): number | undefined;
  /**
   * Whether this leader saw the task created and every write to it up to the version the pass
   * reads (its watch may lag the store by a few events): then it saw every status the task had.
   */
  sawWholeLife(task: StoredTask): boolean;
}

/** What a leader that has just started knows: nothing beyond the store. */
export const NO_HISTORY: TaskHistory = {
  runningSince: () => undefined,
  sawWholeLife: () => false,
};

/** When the task reached RUNNING: remembered, or its status timestamp while it still runs. */
export function runningSince(task: StoredTask, history: TaskHistory): number | undefined {
  const seen = history.runningSince(task.id);
  if (seen !== undefined) return seen;
  if (task.status.state !== 'running') return undefined;
  const at = Date.parse(task.status.timestamp);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * A task of the rollout that failed or completed (SwarmKit: "failure or early termination")
 * before reaching RUNNING or within `monitorMs` after. Ended by the cluster (shut down,
 * orphaned) is not the new spec's fault. When nobody saw it start (it ended while no leader was
 * watching), its whole life bounds its run: ending within `monitorMs` of its creation counts; a
 * longer life is taken as a run past the window. That misses a failure right after a long image
 * pull, but the restarted task that follows is watched and counted; counting every unknown
 * instead would pause a healthy update after every leader change.
 */
export function failedWithinMonitor(task: StoredTask, monitorMs: number, history: TaskHistory): boolean {
  if (!exitedOnItsOwn(task)) return false;
  const ended = endedAt(task);
  const since = runningSince(task, history);
  if (since !== undefined) return ended - since <= monitorMs;
  if (history.sawWholeLife(task)) return true; // it never reached RUNNING
  return ended - createdAt(task) <= monitorMs;
}

/**
 * The driver's memory of its watch: when tasks reached RUNNING, and for the tasks it saw created,
 * the version of the last write to them it saw.
 */
export class TaskObservations implements TaskHistory {
  private readonly running = new Map<string, number>();
  private readonly created = new Map<string, number>();

  runningSince(taskId: string): number | undefined {
    return this.running.get(taskId);
  }

  sawWholeLife(task: StoredTask): boolean {
    const seen = this.created.get(task.id);
    return seen !== undefined && seen >= task.meta.version.index;
  }

  observe(event: ApiStoreEvent): void {
    if (event.kind !== 'task') return;
    const task = event.object;
    if (event.type === 'delete') {
      this.running.delete(task.id);
      this.created.delete(task.id);
      return;
    }
    if (event.type === 'create' || this.created.has(task.id)) this.created.set(task.id, event.version);
    this.noteRunning(task);
  }

  /** A pass saw the task: a RUNNING status says since when (the first sighting wins). */
  noteRunning(task: StoredTask): void {
    if (task.status.state !== 'running' || this.running.has(task.id)) return;
    const at = Date.parse(task.status.timestamp);
    if (!Number.isNaN(at)) this.running.set(task.id, at);
  }

  /** Events were missed: a task seen created may have run unseen, so no longer vouch for any. */
  watchReset(): void {
    this.created.clear();
  }

  /** Forgets tasks no longer in the store. */
  retain(exists: (taskId: string) => boolean): void {
    for (const id of this.running.keys()) if (!exists(id)) this.running.delete(id);
    for (const id of this.created.keys()) if (!exists(id)) this.created.delete(id);
  }

  get size(): number {
    return this.running.size + this.created.size;
  }
}
