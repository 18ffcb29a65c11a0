// The scheduler's memory between passes, kept current from store events: the cluster view,
// the pending tasks, and the latest version seen of every task it tracks. No I/O: the driver
// feeds it objects and asks it for a plan, so it can be tested (and benchmarked) alone.

import type { Node, Task } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';
import { ClusterView } from './cluster-view.js';
import { schedulePass, type SchedulingDecision } from './plan.js';
import { holdsNode, isSchedulable, taskUsage } from './task-usage.js';

type StoredTask = DeepReadonly<Task>;

export class SchedulerState {
  readonly view = new ClusterView();
  /** Latest version seen of each task that is pending or holds a node. */
  private readonly tasks = new Map<string, StoredTask>();
  private readonly pending = new Map<string, StoredTask>();

  constructor(private readonly hostPortsOf: (serviceId: string) => readonly string[]) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Starts over from a full read of the store (start, periodic resync, a broken watch). */
  static from(
    nodes: Iterable<DeepReadonly<Node>>,
    tasks: Iterable<StoredTask>,
    hostPortsOf: (serviceId: string) => readonly string[],
  ): SchedulerState {
    const state = new SchedulerState(hostPortsOf);
    for (const node of nodes) state.view.setNode(node);
    for (const task of tasks) state.applyTask(task);
    return state;
  }

  /**
   * Takes in a task as written. Returns true when a pass may now place something it could not
   * before: a task became pending, or a node's resources, ports or replica counts were freed.
   * An older version than one already seen is ignored, and so is the very object already taken
   * in (the scheduler applies its own commits before their watch events arrive).
   */
  applyTask(task: StoredTask): boolean {
    const known = this.tasks.get(task.id);
    if (known === task || (known && known.meta.version.index > task.meta.version.index)) return false;
    let freed = false;
    let becamePending = false;
    if (isSchedulable(task)) {
      becamePending = !this.pending.has(task.id);
      this.pending.set(task.id, task);
    } else {
      this.pending.delete(task.id);
    }
    if (holdsNode(task)) {
      const before = this.view.usageOf(task.id);
      const beforeNode = this.view.nodeOf(task.id);
      const usage = taskUsage(task, this.hostPortsOf(task.serviceId));
      this.view.placeTask(task.id, task.nodeId, usage);
      freed = before !== undefined && (beforeNode !== task.nodeId || (before.active && !usage.active));
    } else {
      freed = this.view.removeTask(task.id);
    }
    if (this.pending.has(task.id) || holdsNode(task)) this.tasks.set(task.id, task);
    else this.tasks.delete(task.id);
    return becamePending || freed;
  }

  /** The task was deleted; true if that freed anything. */
  deleteTask(id: string): boolean {
    this.tasks.delete(id);
    this.pending.delete(id);
    return this.view.removeTask(id);
  }

  setNode(node: DeepReadonly<Node>): void {
    this.view.setNode(node);
  }

  deleteNode(id: string): void {
    this.view.deleteNode(id);
  }

  /** Decides the pass's placements; the view already counts them when this returns. */
  plan(at: string): SchedulingDecision[] {
    return schedulePass({
      view: this.view,
      pending: this.pending.values(),
      hostPortsOf: this.hostPortsOf,
      at,
    });
  }

  /**
   * A decision the store refused (the task changed meanwhile): forget its placement and take
   * the task as the store has it now (undefined if it is gone).
   */
  revert(decision: SchedulingDecision, current: StoredTask | undefined): void {
    this.deleteTask(decision.task.id);
    if (current) this.applyTask(current);
  }
}
