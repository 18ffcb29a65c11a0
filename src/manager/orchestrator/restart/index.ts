// The restart supervisor's public face: the driver, its pure pass, and the restart-policy rules
// the service orchestrators share (a slot whose policy says "no more" is not refilled).

export { RestartSupervisor } from './supervisor.js';
export type { RestartSupervisorOptions } from './supervisor.js';
export { planRestarts } from './supervise.js';
export {
  conditionAllows,
  DEFAULT_RESTART_TUNING,
  endedAt,
  exitedOnItsOwn,
  isRetired,
  mayBeRunning,
  mayRestart,
  restartDelayMs,
  restartPolicyOf,
} from './policy.js';
export type { RestartTuning } from './policy.js';
