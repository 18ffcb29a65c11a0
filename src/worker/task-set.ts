// The tasks assigned to this node, one TaskController each: the agent hands it the dispatcher's
// complete assignment sets and incremental changes, and it creates, updates and removes
// controllers to match (SwarmKit's agent/worker.go reconcile). The first complete set after a
// start also adopts what the executor finds on the node and removes the orphans.

import type { TaskStatus } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { AssignedTask, Executor, LogLine, LogOptions, TaskContext, TaskRunner } from './executor.js';
import { TaskController } from './task-controller.js';

/** A secret's or config's payload as a task sees it. */
export interface Payload {
  name: string;
  data: Uint8Array;
}

/** Everything assigned to the node: what is not in it is no longer here. */
export interface CompleteAssignments {
  tasks: AssignedTask[];
  /** By id. */
  secrets: ReadonlyMap<string, Payload>;
  configs: ReadonlyMap<string, Payload>;
}

/** What changed since the last set or change. Secrets and configs are applied before tasks. */
export interface AssignmentChanges {
  updated?: AssignedTask[];
  /** Task ids. */
  removed?: string[];
  secretsUpserted?: ReadonlyMap<string, Payload>;
  /** Secret ids. */
  secretsRemoved?: string[];
  configsUpserted?: ReadonlyMap<string, Payload>;
  configsRemoved?: string[];
}

export interface TaskSetOptions {
  executor: Executor;
  node: TaskContext['node'];
  /** Every status a controller reports, tagged with its task id. */
  report: (taskId: string, status: TaskStatus) => void;
  clock: Clock;
  logger: Logger;
  /** Passed to each controller: first delay before retrying a failed shutdown or remove. */
  retryDelayMs?: number;
}

export class TaskSet {
  private readonly executor: Executor;
  private readonly options: TaskSetOptions;
  private readonly logger: Logger;
  private readonly controllers = new Map<string, TaskController>();
  /** Each assigned task's runner, for its logs. */
  private readonly runners = new Map<string, TaskRunner>();
  /** Controllers of tasks that left the assignments, until their shutdown and removal end. */
  private readonly removing = new Map<string, { controller: TaskController; done: Promise<void> }>();
  /** Orphan removals in progress. */
  private readonly orphanRemovals = new Set<Promise<void>>();
  private secrets = new Map<string, Payload>();
  private configs = new Map<string, Payload>();
  private adopted = false;
  /** The tasks the executor had when this worker started (null: unknown, the listing failed). */
  private presentAtStart: ReadonlySet<string> | null = null;
  private stopped = false;
  /** replace() and apply() run one after the other, in call order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: TaskSetOptions) {
    this.options = options;
    this.executor = options.executor;
    this.logger = options.logger.child({ component: 'task-set' });
  }

  /** The tasks that have a controller (assigned, not removed). */
  taskIds(): string[] {
    return [...this.controllers.keys()];
  }

  /** The latest status of an assigned task. */
  status(taskId: string): TaskStatus | undefined {
    return this.controllers.get(taskId)?.status;
  }

  /** The output of an assigned task, or null when the task is not assigned here. */
  logs(taskId: string, options: LogOptions): AsyncIterable<LogLine> | null {
    return this.runners.get(taskId)?.logs(options) ?? null;
  }

  /** A complete set of assignments; the first one after a start also removes orphans. */
  replace(complete: CompleteAssignments): Promise<void> {
    return this.enqueue(async () => {
      this.secrets = new Map(complete.secrets);
      this.configs = new Map(complete.configs);
      const assigned = new Map(complete.tasks.map((a) => [a.task.id, a]));
      if (!this.adopted) {
        this.adopted = true;
        await this.removeOrphans(assigned);
      }
      for (const taskId of [...this.controllers.keys()]) if (!assigned.has(taskId)) this.removeTask(taskId);
      for (const a of assigned.values()) this.upsert(a);
    });
  }

  /** Incremental changes after a complete set. */
  apply(changes: AssignmentChanges): Promise<void> {
    return this.enqueue(async () => {
      for (const [id, payload] of changes.secretsUpserted ?? []) this.secrets.set(id, payload);
      for (const id of changes.secretsRemoved ?? []) this.secrets.delete(id);
      for (const [id, payload] of changes.configsUpserted ?? []) this.configs.set(id, payload);
      for (const id of changes.configsRemoved ?? []) this.configs.delete(id);
      for (const a of changes.updated ?? []) this.upsert(a);
      for (const taskId of changes.removed ?? []) this.removeTask(taskId);
    });
  }

  /**
   * Stops every controller (containers stay as they are, for the next start to adopt) and waits
   * for orphan removals already under way.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    const controllers = [
      ...this.controllers.values(),
      ...[...this.removing.values()].map((r) => r.controller),
    ];
    await Promise.all(controllers.map((c) => c.stop()));
    await Promise.all([...this.removing.values()].map((r) => r.done));
    await Promise.all([...this.orphanRemovals]);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.stopped) {
        this.logger.debug('ignoring assignments that arrived after stop');
        return;
      }
      await work();
    });
    // The queue goes on after a failed batch; the caller still sees the failure.
    this.queue = run.catch((error: unknown) =>
      this.logger.error('applying assignments failed', { err: error }),
    );
    return run;
  }

  private async removeOrphans(assigned: ReadonlyMap<string, AssignedTask>): Promise<void> {
    let found;
    try {
      found = await this.executor.list(this.options.node.id);
    } catch (error) {
      // Orphans then stay until the next start; the assigned tasks are adopted by their
      // controllers all the same (each inspects its own task).
      this.logger.error('listing the tasks on this node failed; orphans are not removed', { err: error });
      return;
    }
    this.presentAtStart = new Set(found.map((f) => f.taskId));
    for (const f of found) {
      if (assigned.has(f.taskId)) continue;
      this.logger.info('removing an orphaned task: no longer assigned to this node', {
        taskId: f.taskId,
        serviceId: f.serviceId,
        state: f.status.state,
      });
      const removal = this.executor
        .removeTask(f.taskId)
        .catch((error: unknown) =>
          this.logger.error('removing an orphaned task failed', { taskId: f.taskId, err: error }),
        )
        .finally(() => this.orphanRemovals.delete(removal));
      this.orphanRemovals.add(removal);
    }
  }

  private upsert(a: AssignedTask): void {
    const existing = this.controllers.get(a.task.id);
    if (existing) {
      existing.update(a.task);
      return;
    }
    const { context, missing } = this.context(a);
    const runner = this.executor.runner(context);
    this.runners.set(a.task.id, runner);
    // Nothing of a task the listing at start did not show can exist yet, unless an earlier
    // controller of it is still tearing it down.
    const absentFromNode =
      this.presentAtStart !== null && !this.presentAtStart.has(a.task.id) && !this.removing.has(a.task.id);
    const controller = new TaskController({
      task: a.task,
      runner,
      absentFromNode,
      report: (status) => this.options.report(a.task.id, status),
      clock: this.options.clock,
      logger: this.options.logger,
      ...(missing.length > 0 ? { rejection: `${missing.join(', ')} not available on this node` } : {}),
      ...(this.options.retryDelayMs === undefined ? {} : { retryDelayMs: this.options.retryDelayMs }),
    });
    this.controllers.set(a.task.id, controller);
    // A task that comes back while its previous controller still tears it down waits for that.
    const previous = this.removing.get(a.task.id);
    if (previous) void previous.done.then(() => controller.start());
    else controller.start();
  }

  private removeTask(taskId: string): void {
    const controller = this.controllers.get(taskId);
    if (!controller) return;
    this.controllers.delete(taskId);
    this.runners.delete(taskId);
    const done = controller.remove().finally(() => {
      if (this.removing.get(taskId)?.controller === controller) this.removing.delete(taskId);
    });
    this.removing.set(taskId, { controller, done });
  }

  /** The task's context with only the secrets and configs its spec references. */
  private context(a: AssignedTask): { context: TaskContext; missing: string[] } {
    const spec = a.task.spec.containerSpec;
    const missing: string[] = [];
    const secrets = new Map<string, Payload>();
    for (const ref of spec.secrets ?? []) {
      const secret = this.secrets.get(ref.secretId);
      if (secret) secrets.set(ref.secretId, secret);
      else missing.push(`secret "${ref.secretName}" (${ref.secretId})`);
    }
    const configs = new Map<string, Payload>();
    for (const ref of spec.configs ?? []) {
      const config = this.configs.get(ref.configId);
      if (config) configs.set(ref.configId, config);
      else missing.push(`config "${ref.configName}" (${ref.configId})`);
    }
    return {
      context: { task: a.task, service: a.service, node: this.options.node, secrets, configs },
      missing,
    };
  }
}
