// The replicated orchestrator's driver: passes when services change or tasks appear, vanish or
// change their desired state (a slot emptied or retired); status progress alone is ignored.

import { isTerminal } from '../../../api/index.js';
import { ControlLoop, LoopDriver, type ApiStoreEvent, type LoopOptions } from '../loop.js';
import { readSnapshot } from '../snapshot.js';
import type { ModeName } from '../service-mode.js';
import { planReplicated } from './reconcile.js';

export type ReplicatedOrchestratorOptions = LoopOptions;

const REPLICATED: ReadonlySet<ModeName> = new Set(['replicated']);

export class ReplicatedOrchestrator extends LoopDriver {
  protected readonly loop: ControlLoop;

  constructor(options: ReplicatedOrchestratorOptions) {
    super();
    const { store } = options;
    this.loop = new ControlLoop(options, {
      name: 'orchestrator.replicated',
      watch: { kinds: ['service', 'task'] },
      wants: wantsReplicatedPass,
      plan: (now, scope) => planReplicated(readSnapshot(store, scope, REPLICATED), now),
    });
  }
}

function wantsReplicatedPass(event: ApiStoreEvent): boolean {
  if (event.kind !== 'task' || event.type !== 'update' || !event.previous) return true;
  const { object, previous } = event;
  // Desired state decides occupancy; an ended status may retire a slot. Scheduling progress
  // (NEW → RUNNING) changes neither: scale-downs read placements when they happen.
  return (
    object.desiredState !== previous.desiredState ||
    (object.status.state !== previous.status.state && isTerminal(object.status.state))
  );
}
