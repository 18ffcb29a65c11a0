// The update config a rollout runs with: the service's updateConfig while updating, its
// rollbackConfig while rolling back (SwarmKit reads the rollback config of the spec being
// restored), SwarmKit's defaults for what either leaves out, durations in milliseconds.

import {
  DEFAULT_ROLLBACK_CONFIG,
  DEFAULT_UPDATE_CONFIG,
  type FailureAction,
  type UpdateOrder,
} from '../../../api/index.js';
import type { StoredService } from '../types.js';

const NS_PER_MS = 1_000_000;

export interface RolloutConfig {
  /** Slots replaced at once; Infinity for the spec's 0 ("all at once"). */
  parallelism: number;
  /** After a slot's new task is RUNNING, how long before the next slot may start in its place. */
  delayMs: number;
  failureAction: FailureAction;
  /** A new task ending within this long of reaching RUNNING (or before) counts as a failure. */
  monitorMs: number;
  maxFailureRatio: number;
  order: UpdateOrder;
}

export function rolloutConfigOf(service: StoredService, rollingBack: boolean): RolloutConfig {
  const given = (rollingBack ? service.spec.rollbackConfig : service.spec.updateConfig) ?? {};
  const defaults = rollingBack ? DEFAULT_ROLLBACK_CONFIG : DEFAULT_UPDATE_CONFIG;
  const parallelism = given.parallelism ?? defaults.parallelism;
  return {
    parallelism: parallelism > 0 ? parallelism : Number.POSITIVE_INFINITY,
    delayMs: Math.max(0, (given.delay ?? defaults.delay) / NS_PER_MS),
    // A rollback that fails is never rolled back again (validation refuses it; a stored spec
    // written around validation is held to the same rule): it pauses.
    failureAction:
      rollingBack && given.failureAction === 'rollback'
        ? 'pause'
        : (given.failureAction ?? defaults.failureAction),
    monitorMs: Math.max(0, (given.monitor ?? defaults.monitor) / NS_PER_MS),
    maxFailureRatio: given.maxFailureRatio ?? defaults.maxFailureRatio,
    order: given.order ?? defaults.order,
  };
}
