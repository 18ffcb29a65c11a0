// When the tasks of the scheduler benchmark's service reached each stage in one manager's store:
// created, PENDING (allocated), ASSIGNED. Taken from a watch (exact, O(1) per change) rather than
// by listing the 10,000 tasks over and over, which would cost the managers' thread what it
// measures. Used in process by bench/scheduler.ts and inside each store-member process.

import { performance } from 'node:perf_hooks';
import type { ApiObjectTypes, ApiStore } from '../../src/manager/control/index.js';
import type { TypedStoreEvent, Watch } from '../../src/manager/store/index.js';

/**
 * Follows one manager's store (a watch on tasks; the service's are the only tasks in this
 * cluster) and notes when the first task appeared and when `expected` of them existed, were
 * PENDING or later, and were ASSIGNED to a node, on `clock` (performance.now() by default; the
 * wall clock where processes compare).
 */
export class TaskStages {
  readonly at = {
    first: null as number | null,
    allCreated: null as number | null,
    allPending: null as number | null,
    allAssigned: null as number | null,
  };
  private readonly seen = new Map<string, { pending: boolean; assigned: boolean }>();
  private pending = 0;
  private assigned = 0;
  private readonly watch: Watch<TypedStoreEvent<ApiObjectTypes>>;
  private readonly following: Promise<void>;

  constructor(
    store: ApiStore,
    private readonly expected: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.watch = store.watch({ kinds: ['task'] }, { fromVersion: store.version });
    this.following = this.follow();
  }

  private async follow(): Promise<void> {
    for await (const event of this.watch) {
      if (event.kind !== 'task') continue;
      const was = this.seen.get(event.object.id);
      if (was) {
        if (was.pending) this.pending--;
        if (was.assigned) this.assigned--;
      }
      if (event.type === 'delete') {
        this.seen.delete(event.object.id);
        continue;
      }
      const { state } = event.object.status;
      const now = { pending: state !== 'new', assigned: state === 'assigned' && !!event.object.nodeId };
      this.seen.set(event.object.id, now);
      if (now.pending) this.pending++;
      if (now.assigned) this.assigned++;
      const at = this.clock();
      this.at.first ??= at;
      if (this.seen.size >= this.expected) this.at.allCreated ??= at;
      if (this.pending >= this.expected) this.at.allPending ??= at;
      if (this.assigned >= this.expected) this.at.allAssigned ??= at;
    }
  }

  /** Resolves once every task is ASSIGNED, or after `timeoutMs`. */
  async allAssigned(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.at.allAssigned === null && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** Ends the watch; a watch that broke (overflow) shows as stages never reached. */
  async close(): Promise<void> {
    this.watch.close();
    await this.following.catch((err: unknown) => console.error('a task watch failed:', err));
  }
}
