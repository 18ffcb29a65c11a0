// The global orchestrator's driver: passes when services or nodes change, and when tasks appear,
// vanish or change their desired state.

import { isTerminal } from '../../../api/index.js';
import { ControlLoop, LoopDriver, type ApiStoreEvent, type LoopOptions } from '../loop.js';
import { readSnapshot } from '../snapshot.js';
import type { ModeName } from '../service-mode.js';
import { planGlobal } from './reconcile.js';

export type GlobalOrchestratorOptions = LoopOptions;

const GLOBAL: ReadonlySet<ModeName> = new Set(['global']);

export class GlobalOrchestrator extends LoopDriver {
  protected readonly loop: ControlLoop;

  constructor(options: GlobalOrchestratorOptions) {
    super();
    const { store } = options;
    this.loop = new ControlLoop(options, {
      name: 'orchestrator.global',
      watch: { kinds: ['service', 'task', 'node'] },
      wants: wantsGlobalPass,
      plan: (now, scope) => planGlobal(readSnapshot(store, scope, GLOBAL), now),
    });
  }
}

function wantsGlobalPass(event: ApiStoreEvent): boolean {
  if (event.kind !== 'task' || event.type !== 'update' || !event.previous) return true;
  const { object, previous } = event;
  return (
    object.desiredState !== previous.desiredState ||
    (object.status.state !== previous.status.state && isTerminal(object.status.state))
  );
}
