// Which orchestrator a service belongs to, read from its mode (absent means replicated with one
// replica, as Docker). Jobs are recognised so the service loops leave them alone; their own
// orchestrators come later.

import type { StoredService } from './types.js';

export type ModeName = 'replicated' | 'global' | 'replicatedJob' | 'globalJob';

export function modeOf(service: StoredService): ModeName {
  const mode = service.spec.mode;
  if (mode === undefined || 'replicated' in mode) return 'replicated';
  if ('global' in mode) return 'global';
  return 'replicatedJob' in mode ? 'replicatedJob' : 'globalJob';
}

/** The replica count of a replicated service (0 for other modes). */
export function replicasOf(service: StoredService): number {
  const mode = service.spec.mode;
  if (mode === undefined) return 1;
  if (!('replicated' in mode)) return 0;
  const replicas = mode.replicated.replicas ?? 1;
  return Number.isSafeInteger(replicas) && replicas > 0 ? replicas : 0;
}

/** Services whose tasks are keyed by slot (replicated) rather than by node (global). */
export function isSlotted(mode: ModeName): boolean {
  return mode === 'replicated' || mode === 'replicatedJob';
}
