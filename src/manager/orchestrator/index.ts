// The orchestrators' public face (leader only): the replicated and global orchestrators turn
// services into tasks, the restart supervisor replaces tasks that ended or must leave their
// node, the task reaper trims history. Each is a driver with start() / awaited stop(); their
// pure planners and the shared slot helpers are exported for the rolling updater, the job
// orchestrators, tests and benchmarks.

export {
  ReplicatedOrchestrator,
  planReplicated,
  reconcileReplicatedService,
  slotsToKeep,
} from './replicated/index.js';
export type { ReplicatedOrchestratorOptions } from './replicated/index.js';
export { GlobalOrchestrator, planGlobal, reconcileGlobalService } from './global/index.js';
export type { GlobalOrchestratorOptions } from './global/index.js';
export {
  conditionAllows,
  DEFAULT_RESTART_TUNING,
  endedAt,
  exitedOnItsOwn,
  isRetired,
  mayBeRunning,
  mayRestart,
  planRestarts,
  restartDelayMs,
  restartPolicyOf,
  RestartSupervisor,
} from './restart/index.js';
export type { RestartSupervisorOptions, RestartTuning } from './restart/index.js';
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
export type { ApiStoreEvent, LoopBehaviour, LoopOptions } from './loop.js';
export { commitUnits, DEFAULT_MAX_OPS_PER_TRANSACTION } from './commit.js';
export type { CommitOptions, CommitOutcome } from './commit.js';
export { readSnapshot, snapshotOf } from './snapshot.js';
export type { ClusterSnapshot } from './snapshot.js';
export {
  byCreation,
  createdAt,
  deepEqual,
  groupIntoSlots,
  hasEnded,
  isCurrent,
  isLive,
  newestTask,
  pickSurvivor,
  sameSpec,
  slotKeyOf,
} from './slots.js';
export { createTask, deleteTask, newTask, setDesiredState } from './task-factory.js';
export type { TaskPlacement } from './task-factory.js';
export { globalPlacement, mustVacate, constraintsOf } from './node-eligibility.js';
export type { GlobalPlacement } from './node-eligibility.js';
export { isSlotted, modeOf, replicasOf } from './service-mode.js';
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
