// What becomes of a job task that ended without completing (SwarmKit hands these to the restart
// supervisor; the rules are the same, with `any` read as `on-failure`): the cluster ending it
// (node down, shut down) is retried at once and not counted; a failure is retried after the
// policy's delay (backing off as services do) while maxAttempts within the window allows, else
// the slot gives up — the job then finishes short of its completions, as a Kubernetes Job past
// its backoffLimit does.

import {
  DEFAULT_RESTART_TUNING,
  endedAt,
  exitedOnItsOwn,
  mayRestart,
  restartDelayMs,
  type RestartTuning,
} from '../restart-policy.js';
import type { StoredTask } from '../types.js';

export type RetryDecision = { retryAt: number } | { giveUp: true };

/** For `ended` (the newest task of its slot, ended, not complete) among its slot's tasks. */
export function retryDecision(
  ended: StoredTask,
  slotTasks: readonly StoredTask[],
  tuning: RestartTuning = DEFAULT_RESTART_TUNING,
): RetryDecision {
  const end = endedAt(ended);
  if (!exitedOnItsOwn(ended)) return { retryAt: end };
  if (!mayRestart(ended, slotTasks, true)) return { giveUp: true };
  return { retryAt: end + restartDelayMs(ended, slotTasks, end, tuning) };
}

/** A slot whose last task failed and whose policy allows no more: it will not complete. */
export function gaveUp(newest: StoredTask): boolean {
  return newest.desiredState === 'shutdown' && exitedOnItsOwn(newest) && newest.status.state !== 'complete';
}
