// The restart supervisor's driver: passes over the store when a task's status or desired state
// changes, a task is deleted or created waiting to start, when nodes change, and when a restart
// delay it scheduled runs out.

import { isTerminal } from '../../../api/index.js';
import { ControlLoop, LoopDriver, type ApiStoreEvent, type LoopOptions } from '../loop.js';
import { readSnapshot } from '../snapshot.js';
import { SERVICE_MODES } from '../service-mode.js';
import { DEFAULT_RESTART_TUNING, type RestartTuning } from '../restart-policy.js';
import { planRestarts } from './supervise.js';

export interface RestartSupervisorOptions extends LoopOptions {
  tuning?: Partial<RestartTuning>;
}

export class RestartSupervisor extends LoopDriver {
  protected readonly loop: ControlLoop;

  constructor(options: RestartSupervisorOptions) {
    super();
    const tuning: RestartTuning = { ...DEFAULT_RESTART_TUNING, ...options.tuning };
    const { store } = options;
    this.loop = new ControlLoop(options, {
      name: 'orchestrator.restart',
      watch: { kinds: ['task', 'node', 'service'] },
      wants: wantsRestartPass,
      plan: (now, scope) => planRestarts(readSnapshot(store, scope, SERVICE_MODES), now, tuning),
    });
  }
}

function wantsRestartPass(event: ApiStoreEvent): boolean {
  if (event.kind !== 'task') return true;
  // Scheduler and allocator progress (NEW → ASSIGNED) changes nothing here; an ended status,
  // a desired-state change or a task disappearing (a blocker gone) does.
  const { object, previous } = event;
  // A new task needs nothing from the supervisor unless it waits to be started (desired READY:
  // a delayed restart, or a replacement waiting for its predecessor to stop).
  if (event.type === 'create') return object.desiredState === 'ready';
  if (event.type !== 'update' || !previous) return true;
  return (
    object.desiredState !== previous.desiredState ||
    (object.status.state !== previous.status.state && isTerminal(object.status.state))
  );
}
