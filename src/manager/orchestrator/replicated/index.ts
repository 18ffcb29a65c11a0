// The replicated orchestrator's public face: the driver and its pure reconcile.

export { ReplicatedOrchestrator } from './orchestrator.js';
export type { ReplicatedOrchestratorOptions } from './orchestrator.js';
export { planReplicated, reconcileReplicatedService } from './reconcile.js';
