// Which nodes may hold a service's tasks, as the orchestrators see it (the scheduler decides
// the rest: resources, ports, platforms). Constraints are evaluated by the scheduler's own
// matcher, so a global task is never created on a node the scheduler would refuse it for.

import { compileConstraints, type NodePredicate } from '../scheduler/index.js';
import type { StoredNode, StoredService } from './types.js';

/**
 * A node whose tasks must move (SwarmKit's orchestrator.InvalidNode): gone from the store, down,
 * or drained. Pause is not here: it stops new placements only, running tasks stay.
 */
export function mustVacate(node: StoredNode | undefined): boolean {
  return node === undefined || node.status.state === 'down' || node.spec.availability === 'drain';
}

/** The service's placement constraints as one predicate over nodes. */
export function constraintsOf(service: StoredService): NodePredicate {
  return compileConstraints(service.spec.taskTemplate.placement?.constraints ?? []);
}

/**
 * What a global service does on a node:
 * - `run`: ready, active and matching the constraints — it should have one task;
 * - `keep`: paused, or its state not known yet (unknown, disconnected) — tasks there stay, none
 *   is added or restarted (SwarmKit adds none on a paused node; waiting for `ready` avoids tasks
 *   that sit PENDING on a node that may never come back);
 * - `stop`: gone, down, drained, or no longer matching the constraints — its tasks are shut down.
 */
export type GlobalPlacement = 'run' | 'keep' | 'stop';

export function globalPlacement(node: StoredNode | undefined, matches: NodePredicate): GlobalPlacement {
  if (node === undefined || mustVacate(node) || !matches(node)) return 'stop';
  if (node.spec.availability === 'pause' || node.status.state !== 'ready') return 'keep';
  return 'run';
}
