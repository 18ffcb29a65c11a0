// Which orchestrator a service belongs to, read from its mode (absent means replicated with one
// replica, as Docker). Jobs are recognised so the service loops leave them alone; the job
// orchestrator reads their concurrency and completions here.

import type { StoredService } from './types.js';

export type ModeName = 'replicated' | 'global' | 'replicatedJob' | 'globalJob';

/** The long-running modes (not jobs): what the rolling updater and the restart supervisor handle. */
export const SERVICE_MODES: ReadonlySet<ModeName> = new Set(['replicated', 'global']);

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

export function isJobMode(mode: ModeName): mode is 'replicatedJob' | 'globalJob' {
  return mode === 'replicatedJob' || mode === 'globalJob';
}

/**
 * A replicated job's limits with Docker's defaults: maxConcurrent 1, totalCompletions equal to
 * maxConcurrent (undefined for other modes).
 */
export function replicatedJobOf(
  service: StoredService,
): { maxConcurrent: number; totalCompletions: number } | undefined {
  const mode = service.spec.mode;
  if (mode === undefined || !('replicatedJob' in mode)) return undefined;
  const count = (value: number | undefined, fallback: number): number =>
    value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : fallback;
  const maxConcurrent = Math.max(1, count(mode.replicatedJob.maxConcurrent, 1));
  return { maxConcurrent, totalCompletions: count(mode.replicatedJob.totalCompletions, maxConcurrent) };
}
