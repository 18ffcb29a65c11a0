// The rolling updater's public face: the driver, its pure decisions, the update config it runs
// with, and the manual rollback the control API offers.

export { RollingUpdater } from './updater.js';
export type { RollingUpdaterOptions } from './updater.js';
export { planRollout, planUpdates } from './plan.js';
export { ROLLOUT_LABEL, rolloutSlots } from './rollout.js';
export type { RolloutSlot, SlotPhase } from './rollout.js';
export { rolloutConfigOf } from './config.js';
export type { RolloutConfig } from './config.js';
export { failedWithinMonitor, NO_HISTORY, runningSince, TaskObservations } from './history.js';
export type { TaskHistory } from './history.js';
export { manualRollback } from './status.js';
export type { ManualRollback } from './status.js';
