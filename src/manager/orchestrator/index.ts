// The orchestrators' public face (leader only): the replicated and global orchestrators turn
// services into tasks, the rolling updater moves them to a new spec in batches (and back), the
// job orchestrator runs replicated and global jobs to completion, the restart supervisor
// replaces tasks that ended or must leave their node, the task reaper trims history. Each is a
// driver with start() / awaited stop(); their pure planners and the shared slot helpers are
// exported for tests and benchmarks.

export { ReplicatedOrchestrator, planReplicated, reconcileReplicatedService } from './replicated/index.js';
export type { ReplicatedOrchestratorOptions } from './replicated/index.js';
export { GlobalOrchestrator, planGlobal, reconcileGlobalService } from './global/index.js';
export type { GlobalOrchestratorOptions } from './global/index.js';
export {
  failedWithinMonitor,
  manualRollback,
  NO_HISTORY,
  planRollout,
  planUpdates,
  RollingUpdater,
  ROLLOUT_LABEL,
  rolloutConfigOf,
  rolloutSlots,
  runningSince,
  TaskObservations,
} from './update/index.js';
export type {
  ManualRollback,
  RollingUpdaterOptions,
  RolloutConfig,
  RolloutSlot,
  SlotPhase,
  TaskHistory,
} from './update/index.js';
export {
  currentIteration,
  gaveUp,
  iterationOf,
  iterationStartedAt,
  JobOrchestrator,
  planJobs,
  recordProgress,
  reconcileGlobalJob,
  reconcileReplicatedJob,
  retryDecision,
} from './jobs/index.js';
export type { JobOrchestratorOptions, JobPlan, JobProgress, RetryDecision } from './jobs/index.js';
export { planRestarts, RestartSupervisor } from './restart/index.js';
export type { RestartSupervisorOptions } from './restart/index.js';
export {
  conditionAllows,
  DEFAULT_RESTART_TUNING,
  endedAt,
  exitedOnItsOwn,
  isRetired,
  isRetiredOnOlderSpec,
  mayBeRunning,
  mayRestart,
  restartDelayMs,
  restartPolicyOf,
} from './restart-policy.js';
export type { RestartTuning } from './restart-policy.js';
export {
  DEFAULT_REAPER_BATCH_DELAY_MS,
  historyLimit,
  historyToDelete,
  isFinished,
  planReaping,
  TaskReaper,
} from './taskreaper/index.js';
export type { TaskReaperOptions } from './taskreaper/index.js';
export {
  ControlLoop,
  DEFAULT_BATCH_DELAY_MS,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_RETRY_DELAY_MS,
} from './loop.js';
export { serviceOfEvent } from './loop.js';
export type { ApiStoreEvent, LoopBehaviour, LoopOptions, PassScope } from './loop.js';
export { commitUnits, DEFAULT_MAX_OPS_PER_TRANSACTION } from './commit.js';
export type { CommitOptions, CommitOutcome } from './commit.js';
export { keptSlots, slotOccupancy, slotsToKeep } from './occupancy.js';
export type { OccupiedSlot } from './occupancy.js';
export { readSnapshot, snapshotOf } from './snapshot.js';
export { serviceStatusOf } from './service-status.js';
export type { ClusterSnapshot } from './snapshot.js';
export {
  byCreation,
  createdAt,
  deepEqual,
  groupIntoSlots,
  hasEnded,
  isCurrent,
  isLive,
  isUpdatePair,
  newestTask,
  pickSurvivor,
  sameSpec,
  slotKeyOf,
} from './slots.js';
export { createTask, deleteTask, guardTask, newTask, setDesiredState } from './task-factory.js';
export type { TaskPlacement } from './task-factory.js';
export { globalPlacement, mustVacate, constraintsOf } from './node-eligibility.js';
export type { GlobalPlacement } from './node-eligibility.js';
export { isJobMode, isSlotted, modeOf, replicasOf, replicatedJobOf } from './service-mode.js';
export type { ModeName } from './service-mode.js';
export type {
  ApiOperation,
  Plan,
  StoredCluster,
  StoredNode,
  StoredService,
  StoredTask,
  WriteUnit,
} from './types.js';
