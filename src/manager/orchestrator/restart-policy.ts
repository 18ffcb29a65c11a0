// The restart policy as pure rules over a slot's tasks, shared by the restart supervisor, the
// reconcilers, the rolling updater and the job orchestrators: whether an ended task is replaced
// (condition, maxAttempts within window), how long the replacement waits (delay, backing off
// over quick successive exits), and whether a slot is "retired" — its last task ended and the
// policy says no more. Everything is derived from tasks in the store, so a new leader reaches
// the same answers as the old one without any in-memory history.

import {
  DEFAULT_RESTART_POLICY,
  taskStateRank,
  type RestartCondition,
  type RestartPolicy,
  type TaskState,
} from '../../api/index.js';
import { byCreation, createdAt, isCurrent, isLive, newestTask, sameSpec } from './slots.js';
import type { StoredService, StoredTask } from './types.js';

export interface RestartTuning {
  /**
   * The backoff's ceiling (never below the policy's own delay). Kubelet's crash-loop cap: 5 min.
   */
  maxDelayMs: number;
  /** Exits older than this no longer lengthen the delay (kubelet forgets after 10 min). */
  backoffResetMs: number;
  /**
   * How long a replacement waits for the task it replaces to stop before starting anyway
   * (SwarmKit's restart supervisor TaskTimeout: 1 min).
   */
  oldTaskTimeoutMs: number;
}

export const DEFAULT_RESTART_TUNING: Readonly<RestartTuning> = {
  maxDelayMs: 5 * 60_000,
  backoffResetMs: 10 * 60_000,
  oldTaskTimeoutMs: 60_000,
};

const NS_PER_MS = 1_000_000;

/** The task's restart policy with SwarmKit's defaults filled in (any, 5 s, unlimited). */
export function restartPolicyOf(task: StoredTask): Required<RestartPolicy> {
  const given = task.spec.restartPolicy ?? {};
  return {
    condition: given.condition ?? DEFAULT_RESTART_POLICY.condition,
    delay: given.delay ?? DEFAULT_RESTART_POLICY.delay,
    maxAttempts: given.maxAttempts ?? DEFAULT_RESTART_POLICY.maxAttempts,
    window: given.window ?? DEFAULT_RESTART_POLICY.window,
  };
}

const OWN_EXITS: ReadonlySet<TaskState> = new Set(['complete', 'failed', 'rejected']);

/**
 * The task's own process ended it: it completed, failed, or its node rejected it. The other
 * terminal states are the cluster's doing — SHUTDOWN (asked for, by us or another manager
 * loop) and ORPHANED (its node went away) — and never count against the restart policy.
 */
export function exitedOnItsOwn(task: StoredTask): boolean {
  return OWN_EXITS.has(task.status.state);
}

/** When the task's status last changed (for an ended task: when it ended). */
export function endedAt(task: StoredTask): number {
  const at = Date.parse(task.status.timestamp);
  return Number.isNaN(at) ? createdAt(task) : at;
}

/**
 * SwarmKit's restart conditions. A job's task treats `any` as `on-failure`: a task that completed
 * is the job's progress, not something to run again.
 */
export function conditionAllows(condition: RestartCondition, state: TaskState, job = false): boolean {
  switch (job && condition === 'any' ? 'on-failure' : condition) {
    case 'none':
      return false;
    case 'on-failure':
      return state !== 'complete';
    case 'any':
      return true;
  }
}

/**
 * Whether `ended` (which exited on its own) gets a replacement: its condition allows it, and
 * with maxAttempts set, fewer than maxAttempts earlier exits of the same spec in this slot fall
 * within `window` before its end (any time, with no window). SwarmKit counts restarts it
 * recorded in memory and rebuilds them from the slot's tasks on leader change; counting the
 * slot's exits directly is the same number, and the same on every leader.
 */
export function mayRestart(ended: StoredTask, slotTasks: readonly StoredTask[], job = false): boolean {
  const policy = restartPolicyOf(ended);
  if (!conditionAllows(policy.condition, ended.status.state, job)) return false;
  if (policy.maxAttempts <= 0) return true;
  const end = endedAt(ended);
  const windowMs = policy.window / NS_PER_MS;
  let earlier = 0;
  for (const task of slotTasks) {
    if (task.id === ended.id || byCreation(task, ended) > 0) continue;
    if (!exitedOnItsOwn(task) || !sameSpec(task.spec, ended.spec)) continue;
    if (windowMs > 0 && endedAt(task) <= end - windowMs) continue;
    earlier++;
  }
  return earlier < policy.maxAttempts;
}

/**
 * The delay before the replacement of `ended` starts, decided `at` (ms): the policy's delay,
 * doubled for each other exit of the same spec in this slot that ended within the backoff reset
 * period before `at`, capped at max(delay, tuning.maxDelayMs). A zero delay stays zero: the user
 * asked for immediate restarts. Only exits of the task's own count; the cluster moving a task
 * (drain, node down) restarts it at once (SwarmKit skips the delay for drained nodes too).
 *
 * SwarmKit applies the same fixed delay every time; the backoff is ours, so a crash-looping
 * task costs the cluster less (kubelet backs off the same way). Retained history bounds it: with
 * the default retention of 5, the delay grows at most 16-fold (5 s → 80 s).
 */
export function restartDelayMs(
  ended: StoredTask,
  slotTasks: readonly StoredTask[],
  at: number,
  tuning: RestartTuning,
): number {
  if (!exitedOnItsOwn(ended)) return 0;
  const base = restartPolicyOf(ended).delay / NS_PER_MS;
  if (base <= 0) return 0;
  let exits = 1; // `ended` itself
  for (const task of slotTasks) {
    if (task.id === ended.id || createdAt(task) > at || !exitedOnItsOwn(task)) continue;
    if (!sameSpec(task.spec, ended.spec) || endedAt(task) <= at - tuning.backoffResetMs) continue;
    exits++;
  }
  const cap = Math.max(base, tuning.maxDelayMs);
  // 2^(exits-1) overflows nothing we care about: the cap applies long before.
  return Math.min(base * 2 ** Math.min(exits - 1, 52), cap);
}

/**
 * A slot that needs no new task although none is live: its newest task exited on its own, was
 * marked shut down, and its policy says no more restarts (SwarmKit's UpdatableTasksInSlot keeps
 * such a slot so the reconciler does not refill it). The slot stays occupied whatever spec that
 * task ran: when the service's spec has changed since, the slot is the rolling updater's to
 * bring back (see isRetiredOnOlderSpec), in its batches, not the reconcilers' all at once.
 */
export function isRetired(slotTasks: readonly StoredTask[]): boolean {
  const newest = newestTask(slotTasks);
  if (!newest || isLive(newest)) return false;
  if (newest.desiredState !== 'shutdown' || !exitedOnItsOwn(newest)) return false;
  return !mayRestart(newest, slotTasks);
}

/** A retired slot whose last task ran an older spec: the rolling update gives it a new task. */
export function isRetiredOnOlderSpec(slotTasks: readonly StoredTask[], service: StoredService): boolean {
  return isRetired(slotTasks) && !isCurrent(newestTask(slotTasks)!, service);
}

/** Status ranks from ASSIGNED to RUNNING: the task may be running on its node right now. */
export function mayBeRunning(task: StoredTask): boolean {
  const rank = taskStateRank(task.status.state);
  return rank >= taskStateRank('assigned') && rank <= taskStateRank('running');
}
