// Waiting for a service to converge, as `docker service create/update/scale` does unless
// --detach: a pure snapshot of where each task slot stands (convergenceSnapshot) and a driver
// that polls the manager until every slot runs the current spec, then checks it stays so for a
// verification window. It fails with ConvergenceError when a slot's tasks keep failing or being
// rejected, when a rolling update pauses or rolls back, or when the timeout passes. The CLI draws
// it (src/cli/progress-view.ts); programs await it.

import type { Service, Task, TaskState } from '../api/index.js';
import type { FlotillaClient } from './flotilla-client.js';

export interface SlotProgress {
  /** `1`, `2` … for replicated services and jobs; the node id for global ones. */
  key: string;
  /** The state of the slot's newest task of the current spec; undefined while it has none. */
  state?: TaskState;
  /** Its error or message when it failed or was rejected. */
  error?: string;
}

export interface ConvergenceSnapshot {
  serviceName: string;
  /** Tasks wanted: replicas, eligible nodes (global), completions (jobs). */
  desired: number;
  /** Tasks of the current spec running (for jobs: completed). */
  done: number;
  slots: SlotProgress[];
  converged: boolean;
  job: boolean;
  /** Why waiting is pointless (a slot failing again and again, an update paused or rolled back). */
  failure?: string;
}

export interface SnapshotOptions {
  /** Tasks created before this (ms since the epoch) are history: their failures are not counted. */
  sinceMs: number;
  /** A slot whose tasks failed or were rejected this many times is a failure. Default 3. */
  maxFailuresPerSlot?: number;
  /** The command asked for a rollback: rollback_completed is the goal, not a failure. */
  rollback?: boolean;
}

const FAILED: ReadonlySet<TaskState> = new Set<TaskState>(['failed', 'rejected']);

/** Where the service stands, from the service and all its tasks. Pure. */
export function convergenceSnapshot(
  service: Service,
  tasks: readonly Task[],
  options: SnapshotOptions,
): ConvergenceSnapshot {
  const mode = service.spec.mode ?? { replicated: { replicas: 1 } };
  const job = 'replicatedJob' in mode || 'globalJob' in mode;
  const iteration = service.jobStatus?.jobIteration.index;
  const current = tasks.filter(
    (t) =>
      sameSpec(t.spec, service.spec.taskTemplate) &&
      (!job || iteration === undefined || t.jobIteration?.index === iteration),
  );
  const keyOf = (t: Task): string | undefined =>
    'replicated' in mode || 'replicatedJob' in mode
      ? t.slot === undefined
        ? undefined
        : String(t.slot)
      : t.nodeId;
  const bySlot = new Map<string, Task[]>();
  for (const t of current) {
    const key = keyOf(t);
    if (key === undefined) continue;
    let list = bySlot.get(key);
    if (!list) bySlot.set(key, (list = []));
    list.push(t);
  }
  for (const list of bySlot.values()) list.sort((a, b) => a.meta.createdAt.localeCompare(b.meta.createdAt));

  let desired: number;
  let keys: string[];
  if ('replicated' in mode) {
    desired = mode.replicated.replicas ?? 1;
    keys = Array.from({ length: desired }, (_, i) => String(i + 1));
  } else if ('replicatedJob' in mode) {
    desired = mode.replicatedJob.totalCompletions ?? mode.replicatedJob.maxConcurrent ?? 1;
    keys = [...bySlot.keys()].sort((a, b) => Number(a) - Number(b));
  } else {
    // Global: one slot per node the orchestrator gave a task of the current spec to.
    keys = [...bySlot.keys()]
      .filter((k) =>
        bySlot.get(k)!.some((t) => t.desiredState === 'running' || t.desiredState === 'complete'),
      )
      .sort();
    desired = keys.length;
  }

  const slots: SlotProgress[] = keys.map((key) => {
    const list = bySlot.get(key) ?? [];
    const newest = list[list.length - 1];
    if (!newest) return { key };
    const slot: SlotProgress = { key, state: newest.status.state };
    if (FAILED.has(newest.status.state) || newest.status.err)
      slot.error = newest.status.err ?? newest.status.message;
    return slot;
  });

  const runningAll = tasks.filter((t) => t.status.state === 'running').length;
  const runningCurrent = current.filter(
    (t) => t.status.state === 'running' && t.desiredState === 'running',
  ).length;
  const completed = current.filter((t) => t.status.state === 'complete').length;
  const done = job ? completed : runningCurrent;
  let converged: boolean;
  if ('replicated' in mode) converged = runningCurrent === desired && runningAll === desired;
  else if ('global' in mode) converged = desired > 0 && runningCurrent === desired && runningAll === desired;
  else if ('replicatedJob' in mode) converged = completed >= desired;
  else
    converged =
      current.length > 0 &&
      current.every((t) => t.status.state === 'complete' || t.desiredState !== 'complete');

  const snapshot: ConvergenceSnapshot = {
    serviceName: service.spec.name,
    desired,
    done,
    slots,
    converged,
    job,
  };
  const failure = failureOf(service, tasks, keyOf, options);
  if (failure !== undefined && !converged) snapshot.failure = failure;
  return snapshot;
}

function failureOf(
  service: Service,
  tasks: readonly Task[],
  keyOf: (t: Task) => string | undefined,
  options: SnapshotOptions,
): string | undefined {
  // An update status from before the command (a rollback done earlier) says nothing about this one.
  const updateAt = Date.parse(service.updateStatus?.startedAt ?? service.updateStatus?.completedAt ?? '');
  const update = updateAt < options.sinceMs ? undefined : service.updateStatus;
  if (update?.state === 'paused' || update?.state === 'rollback_paused')
    return `update paused: ${update.message || 'too many tasks failed'}`;
  if (update?.state === 'rollback_completed' && !options.rollback)
    return `update rolled back: ${update.message || 'too many tasks failed'}`;
  const max = options.maxFailuresPerSlot ?? 3;
  const failures = new Map<string, Task[]>();
  for (const t of tasks) {
    if (!FAILED.has(t.status.state) || Date.parse(t.meta.createdAt) < options.sinceMs) continue;
    const key = keyOf(t) ?? t.id;
    const list = failures.get(key) ?? [];
    list.push(t);
    failures.set(key, list);
  }
  for (const [key, list] of failures) {
    if (list.length < max) continue;
    const last = list[list.length - 1]!;
    const why = last.status.err ?? last.status.message;
    return `task ${service.spec.name}.${key} ${last.status.state === 'rejected' ? 'was rejected' : 'failed'} ${list.length} times: ${why}`;
  }
  return undefined;
}

/** Structural equality where a key holding undefined counts as absent (the orchestrator's rule). */
export function sameSpec(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => sameSpec(v, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)]))
    if (!sameSpec(left[key], right[key])) return false;
  return true;
}

export class ConvergenceError extends Error {
  constructor(
    message: string,
    readonly snapshot?: ConvergenceSnapshot,
  ) {
    super(message);
    this.name = 'ConvergenceError';
  }
}

export interface WaitOptions extends Partial<SnapshotOptions> {
  /** Give up after this long (ConvergenceError). Default 5 minutes. */
  timeoutMs?: number;
  /** Between polls; default 500 ms. */
  pollMs?: number;
  /** Converged must hold this long before it counts (docker's "verify" step); default 5 s. */
  verifyMs?: number;
  signal?: AbortSignal;
  /** Each poll's snapshot; `verifying` while the verification window runs. */
  onProgress?: (snapshot: ConvergenceSnapshot, phase: 'converging' | 'verifying') => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Polls the service and its tasks until it converges and stays converged for `verifyMs`.
 * Resolves with the last snapshot; throws ConvergenceError on failure or timeout, and the
 * client's errors (NotFoundError if the service is removed meanwhile, …).
 */
export async function waitForConvergence(
  client: FlotillaClient,
  service: string,
  options: WaitOptions = {},
): Promise<ConvergenceSnapshot> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const started = now();
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const verifyMs = options.verifyMs ?? 5_000;
  const snapshotOptions: SnapshotOptions = {
    sinceMs: options.sinceMs ?? started - 1_000,
    ...(options.maxFailuresPerSlot === undefined ? {} : { maxFailuresPerSlot: options.maxFailuresPerSlot }),
    ...(options.rollback === undefined ? {} : { rollback: options.rollback }),
  };
  let convergedSince: number | null = null;
  for (;;) {
    if (options.signal?.aborted)
      throw new ConvergenceError(
        `stopped waiting for service ${service} to converge; it goes on in the background (see 'flotilla service ps ${service}')`,
      );
    const current = await client.getService(service);
    const tasks = await client.listTasks({ services: current.id });
    const snapshot = convergenceSnapshot(current, tasks, snapshotOptions);
    // A global service gets its tasks a moment after it is written: zero nodes is not "done" yet.
    const settledGlobal = snapshot.desired > 0 || now() - started > 3_000;
    if (snapshot.failure !== undefined) {
      options.onProgress?.(snapshot, 'converging');
      throw new ConvergenceError(
        `service ${snapshot.serviceName} did not converge: ${snapshot.failure}`,
        snapshot,
      );
    }
    if (snapshot.converged && settledGlobal) {
      convergedSince ??= now();
      options.onProgress?.(snapshot, 'verifying');
      // A job that completed stays completed: nothing to verify.
      if (snapshot.job || now() - convergedSince >= verifyMs) return snapshot;
    } else {
      convergedSince = null;
      options.onProgress?.(snapshot, 'converging');
    }
    if (now() - started > timeoutMs)
      throw new ConvergenceError(
        `service ${snapshot.serviceName} did not converge within ${Math.round(timeoutMs / 1000)} s: ${snapshot.done} out of ${snapshot.desired} tasks ${snapshot.job ? 'completed' : 'running'}`,
        snapshot,
      );
    await sleep(options.pollMs ?? 500, options.signal);
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
