// The job orchestrator's public face: the driver for replicated and global jobs, its pure
// decisions, and the iteration and retry rules.

export { JobOrchestrator } from './orchestrator.js';
export type { JobOrchestratorOptions } from './orchestrator.js';
export { planJobs } from './plan.js';
export { reconcileReplicatedJob } from './replicated-job.js';
export { reconcileGlobalJob } from './global-job.js';
export { currentIteration, iterationOf, iterationStartedAt } from './iteration.js';
export { gaveUp, retryDecision } from './retry.js';
export type { RetryDecision } from './retry.js';
export { recordProgress } from './status.js';
export type { JobPlan, JobProgress } from './status.js';
