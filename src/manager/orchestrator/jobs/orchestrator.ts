// The job orchestrator's driver (SwarmKit runs both job kinds in one loop too): passes when
// services or nodes change, when tasks appear, vanish, change desired state, reach RUNNING or
// end, and when a retry delay runs out.

import { isTerminal } from '../../../api/index.js';
import { ControlLoop, LoopDriver, type ApiStoreEvent, type LoopOptions } from '../loop.js';
import { DEFAULT_RESTART_TUNING, type RestartTuning } from '../restart-policy.js';
import { readSnapshot } from '../snapshot.js';
import type { ModeName } from '../service-mode.js';
import { planJobs } from './plan.js';

const JOBS: ReadonlySet<ModeName> = new Set(['replicatedJob', 'globalJob']);

export interface JobOrchestratorOptions extends LoopOptions {
  /** The restart backoff, as the restart supervisor's. */
  tuning?: Partial<RestartTuning>;
}

export class JobOrchestrator extends LoopDriver {
  protected readonly loop: ControlLoop;

  constructor(options: JobOrchestratorOptions) {
    super();
    const tuning: RestartTuning = { ...DEFAULT_RESTART_TUNING, ...options.tuning };
    const { store } = options;
    this.loop = new ControlLoop(options, {
      name: 'orchestrator.jobs',
      watch: { kinds: ['service', 'task', 'node'] },
      wants: wantsJobPass,
      plan: (now, scope) => planJobs(readSnapshot(store, scope, JOBS), now, tuning),
    });
  }
}

function wantsJobPass(event: ApiStoreEvent): boolean {
  if (event.kind !== 'task' || event.type !== 'update' || !event.previous) return true;
  const { object, previous } = event;
  // RUNNING matters too: the job's recorded progress counts running tasks.
  return (
    object.desiredState !== previous.desiredState ||
    (object.status.state !== previous.status.state &&
      (object.status.state === 'running' || isTerminal(object.status.state)))
  );
}
