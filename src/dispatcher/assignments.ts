// Each node's assignments: the tasks placed on it (ASSIGNED and later) and exactly the secrets
// and configs those tasks still need, as one COMPLETE message and then INCREMENTAL changes. One
// store watch serves every node: an event is routed to the node(s) it concerns, which gathers
// changes and sends them after a short window or once the stream has drained, so a burst of
// placements (a scheduler transaction of hundreds of tasks) becomes one message per node.

import { isDeepStrictEqual } from 'node:util';
import { isTerminal, taskStateRank } from '../api/index.js';
import type { AssignedTask } from '../generated/flotilla/dispatcher/v1/AssignedTask.js';
import type { AssignmentsMessage } from '../generated/flotilla/dispatcher/v1/AssignmentsMessage.js';
import type { Payload } from '../generated/flotilla/dispatcher/v1/Payload.js';
import { objectJson, type ApiStore, type Stored } from '../manager/control/index.js';
import type { Watch, TypedStoreEvent } from '../manager/store/index.js';
import type { ApiObjectTypes } from '../manager/control/index.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

const ASSIGNED_RANK = taskStateRank('assigned');
const SHUTDOWN_RANK = taskStateRank('shutdown');

/** A task is the node's to run (or to keep the history of) from ASSIGNED on. */
export function isAssignedTo(task: Stored<'task'>, nodeId: string): boolean {
  return task.nodeId === nodeId && taskStateRank(task.status.state) >= ASSIGNED_RANK;
}

/** A task still needs its secrets and configs while it may run. */
function needsPayloads(task: Stored<'task'>): boolean {
  return !isTerminal(task.status.state) && taskStateRank(task.desiredState) < SHUTDOWN_RANK;
}

/**
 * Whether `task` differs from `sent` only in a status past ASSIGNED: a worker's report on its way
 * back, which the worker already knows. SwarmKit's dispatcher skips these too (TasksEqualStable);
 * sending them would answer every status write with a message to the node.
 */
function isStatusReport(sent: Stored<'task'>, task: Stored<'task'>): boolean {
  if (taskStateRank(task.status.state) <= ASSIGNED_RANK) return false;
  const { meta: _m1, status: _s1, ...before } = sent;
  const { meta: _m2, status: _s2, ...after } = task;
  return isDeepStrictEqual(before, after);
}

/** Where a node's messages go: false from `write` means "wait for `drained` before the next". */
export interface AssignmentSink {
  write(message: AssignmentsMessage): boolean;
  drained(): Promise<void>;
}

/** What has been sent to one node, and what changed since. */
class NodeAssignments {
  private readonly sentTasks = new Map<string, Stored<'task'>>();
  private readonly sentSecrets = new Set<string>();
  private readonly sentConfigs = new Set<string>();
  private readonly dirtyTasks = new Set<string>();
  private readonly dirtyPayloads = new Set<string>();
  /** The batch window's timer while one is open. */
  private timer: ClockTimer | null = null;
  private waitingForDrain = false;
  private closed = false;

  constructor(
    readonly nodeId: string,
    private readonly store: ApiStore,
    private readonly sink: AssignmentSink,
    private readonly batchMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  sendComplete(): void {
    this.dirtyTasks.clear();
    this.dirtyPayloads.clear();
    this.sentTasks.clear();
    this.sentSecrets.clear();
    this.sentConfigs.clear();
    const tasks = this.store
      .list('task', { nodeId: this.nodeId })
      .filter((t) => isAssignedTo(t, this.nodeId));
    for (const t of tasks) this.sentTasks.set(t.id, t);
    const { secrets, configs } = this.neededPayloads();
    const message: AssignmentsMessage = {
      type: 'COMPLETE',
      tasks: tasks.map((t) => this.assignedTask(t)),
      secrets: this.payloads('secret', secrets),
      configs: this.payloads('config', configs),
    };
    for (const id of secrets) this.sentSecrets.add(id);
    for (const id of configs) this.sentConfigs.add(id);
    this.write(message);
  }

  taskChanged(taskId: string): void {
    this.dirtyTasks.add(taskId);
    this.schedule();
  }

  payloadChanged(id: string): void {
    if (!this.sentSecrets.has(id) && !this.sentConfigs.has(id)) return;
    this.dirtyPayloads.add(id);
    this.schedule();
  }

  /** Ends this node's messages; the open batch window's timer goes with them. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.waitingForDrain || this.closed) return;
    this.timer = this.clock.setTimer(this.batchMs, () => {
      this.timer = null;
      this.sendChanges();
    });
  }

  private sendChanges(): void {
    if (this.closed) return;
    const message: AssignmentsMessage = { type: 'INCREMENTAL', tasks: [], removedTasks: [] };
    for (const id of this.dirtyTasks) {
      const task = this.store.get('task', id);
      if (task && isAssignedTo(task, this.nodeId)) {
        const sent = this.sentTasks.get(id);
        if (sent?.meta.version.index === task.meta.version.index) continue;
        this.sentTasks.set(id, task);
        // Kept (it decides which payloads are still needed) but not sent: the node's own report.
        if (sent && isStatusReport(sent, task)) continue;
        message.tasks!.push(this.assignedTask(task));
      } else if (this.sentTasks.delete(id)) {
        message.removedTasks!.push(id);
      }
    }
    this.dirtyTasks.clear();
    const { secrets, configs } = this.neededPayloads();
    const secretChanges = this.diff('secret', this.sentSecrets, secrets);
    const configChanges = this.diff('config', this.sentConfigs, configs);
    this.dirtyPayloads.clear();
    message.secrets = secretChanges.upserted;
    message.removedSecrets = secretChanges.removed;
    message.configs = configChanges.upserted;
    message.removedConfigs = configChanges.removed;
    const empty =
      message.tasks!.length +
        message.removedTasks!.length +
        secretChanges.upserted.length +
        secretChanges.removed.length +
        configChanges.upserted.length +
        configChanges.removed.length ===
      0;
    if (!empty) this.write(message);
  }

  /** Payloads to add (new, or changed since sent) and ids to remove; updates `sent`. */
  private diff(
    kind: 'secret' | 'config',
    sent: Set<string>,
    needed: Set<string>,
  ): { upserted: Payload[]; removed: string[] } {
    const upserted = this.payloads(
      kind,
      [...needed].filter((id) => !sent.has(id) || this.dirtyPayloads.has(id)),
    );
    const removed = [...sent].filter((id) => !needed.has(id));
    for (const id of removed) sent.delete(id);
    for (const p of upserted) sent.add(p.id!);
    return { upserted, removed };
  }

  private write(message: AssignmentsMessage): void {
    if (this.sink.write(message)) return;
    this.waitingForDrain = true;
    this.sink.drained().then(
      () => {
        this.waitingForDrain = false;
        if (this.dirtyTasks.size > 0 || this.dirtyPayloads.size > 0) this.schedule();
      },
      (err: unknown) => {
        // The stream ended while full: the node reconnects and gets a complete set.
        this.log.debug('assignments stream ended while full', { error: (err as Error).message });
        this.close();
      },
    );
  }

  private neededPayloads(): { secrets: Set<string>; configs: Set<string> } {
    const secrets = new Set<string>();
    const configs = new Set<string>();
    for (const task of this.sentTasks.values()) {
      if (!needsPayloads(task)) continue;
      for (const ref of task.spec.containerSpec.secrets ?? []) secrets.add(ref.secretId);
      for (const ref of task.spec.containerSpec.configs ?? []) configs.add(ref.configId);
    }
    return { secrets, configs };
  }

  /** The payloads that exist (a missing one is left out: the worker rejects the task naming it). */
  private payloads(kind: 'secret' | 'config', ids: Iterable<string>): Payload[] {
    const out: Payload[] = [];
    for (const id of ids) {
      const object: Stored<'secret'> | Stored<'config'> | undefined =
        kind === 'secret' ? this.store.get('secret', id) : this.store.get('config', id);
      if (!object) continue;
      out.push({ id, name: object.spec.name, data: Buffer.from(object.spec.data ?? new Uint8Array()) });
    }
    return out;
  }

  private assignedTask(task: Stored<'task'>): AssignedTask {
    const service = this.store.get('service', task.serviceId);
    return {
      task: objectJson('task', task),
      serviceName: service?.spec.name ?? '',
      serviceLabels: { ...(service?.spec.labels ?? {}) },
    };
  }
}

export interface AssignmentHubOptions {
  store: ApiStore;
  clock?: Clock;
  logger?: Logger;
  /** How long changes gather before a node's next message; default 10 ms. */
  batchMs?: number;
}

/** Routes store changes to the nodes they concern. Runs while the dispatcher does. */
export class AssignmentHub {
  private readonly byNode = new Map<string, NodeAssignments>();
  private watch: Watch<TypedStoreEvent<ApiObjectTypes>> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: AssignmentHubOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'assignments' });
  }

  start(): void {
    this.stopped = false;
    this.running = this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    await this.running;
    for (const n of this.byNode.values()) n.close();
    this.byNode.clear();
  }

  /** Starts a node's assignments on `sink` (a complete set at once); the returned function ends them. */
  subscribe(nodeId: string, sink: AssignmentSink): () => void {
    const previous = this.byNode.get(nodeId);
    previous?.close();
    const n = new NodeAssignments(
      nodeId,
      this.options.store,
      sink,
      this.options.batchMs ?? 10,
      this.options.clock ?? systemClock,
      this.log,
    );
    this.byNode.set(nodeId, n);
    n.sendComplete();
    return () => {
      n.close();
      if (this.byNode.get(nodeId) === n) this.byNode.delete(nodeId);
    };
  }

  private async follow(): Promise<void> {
    const store = this.options.store;
    while (!this.stopped) {
      let watch: Watch<TypedStoreEvent<ApiObjectTypes>>;
      try {
        watch = store.watch({ kinds: ['task', 'secret', 'config'] });
      } catch (err) {
        this.log.error('cannot watch the store', { error: (err as Error).message });
        return;
      }
      this.watch = watch;
      try {
        for await (const event of watch) this.route(event);
      } catch (err) {
        if (this.stopped) return;
        // Overflow or a restored snapshot: changes were missed, so every node starts over.
        this.log.warn('assignment watch lost events; resending complete sets', {
          error: (err as Error).message,
        });
        for (const n of this.byNode.values()) n.sendComplete();
      }
    }
  }

  private route(event: TypedStoreEvent<ApiObjectTypes>): void {
    if (event.kind === 'task') {
      const task = event.object;
      const previous = event.previous;
      if (task.nodeId) this.byNode.get(task.nodeId)?.taskChanged(task.id);
      if (previous?.nodeId && previous.nodeId !== task.nodeId)
        this.byNode.get(previous.nodeId)?.taskChanged(task.id);
      return;
    }
    if (event.kind === 'secret' || event.kind === 'config') {
      const id = event.object.id;
      for (const n of this.byNode.values()) n.payloadChanged(id);
    }
  }
}
