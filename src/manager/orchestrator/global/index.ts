// The global orchestrator's public face: the driver and its pure reconcile.

export { GlobalOrchestrator } from './orchestrator.js';
export type { GlobalOrchestratorOptions } from './orchestrator.js';
export { planGlobal, reconcileGlobalService } from './reconcile.js';
