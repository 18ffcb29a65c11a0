// The scheduler's public face: the Scheduler loop (PENDING → ASSIGNED), its pure core (the
// cluster view, filters, batch placement, one pass as a function) for tests and benchmarks,
// and the loop and chunked-commit helpers the allocator shares.

export {
  Scheduler,
  DEFAULT_BATCH_DELAY_MS,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_RETRY_DELAY_MS,
} from './scheduler.js';
export type { SchedulerOptions, SchedulerStats } from './scheduler.js';
export { SchedulerState } from './state.js';
export { ClusterView } from './cluster-view.js';
export { NodeInfo } from './node-info.js';
export type { TaskUsage } from './node-info.js';
export { schedulePass, ASSIGNED_MESSAGE, PREASSIGNED_MESSAGE } from './plan.js';
export type { PassInput, SchedulingDecision } from './plan.js';
export { placeBatch } from './placement.js';
export {
  dynamicRejection,
  explainNoSuitableNode,
  formatExplanation,
  rejection,
  REJECTIONS,
  staticRejection,
} from './filters.js';
export type { Rejection } from './filters.js';
export { compileConstraints } from './constraints.js';
export type { NodePredicate } from './constraints.js';
export {
  hostPublishedPorts,
  normalizeArchitecture,
  requirementsKey,
  spreadValue,
  taskRequirements,
} from './requirements.js';
export type { TaskRequirements } from './requirements.js';
export { nodeCapacity, resourceDemand } from './resources.js';
export type { GenericDemand, NodeCapacity, ResourceDemand } from './resources.js';
export { holdsNode, isSchedulable, taskUsage } from './task-usage.js';
export { commitInChunks, DEFAULT_MAX_OPS_PER_TRANSACTION } from './commit.js';
export type { CommitResult } from './commit.js';
export { ReconcileLoop } from './reconcile-loop.js';
export type { ApiStoreEvent, ReconcileLoopOptions } from './reconcile-loop.js';
