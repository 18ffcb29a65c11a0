// The task reaper's driver: passes (batched over 250 ms, as SwarmKit's reaper) when tasks end,
// change desired state or vanish, when services or nodes are deleted (a service at
// once), and when the cluster's retention limit changes.

import { isTerminal } from '../../../api/index.js';
import { ControlLoop, LoopDriver, type ApiStoreEvent, type LoopOptions } from '../loop.js';
import { readSnapshot } from '../snapshot.js';
import { planReaping } from './reap.js';

export type TaskReaperOptions = LoopOptions;

export const DEFAULT_REAPER_BATCH_DELAY_MS = 250;

export class TaskReaper extends LoopDriver {
  protected readonly loop: ControlLoop;

  constructor(options: TaskReaperOptions) {
    super();
    const { store } = options;
    this.loop = new ControlLoop(
      options,
      {
        name: 'orchestrator.taskreaper',
        watch: { kinds: ['task', 'service', 'node', 'cluster'] },
        wants: wantsReaperPass,
        // A deleted service's tasks are told to stop at once, as SwarmKit's orchestrator does on
        // the delete event: `service rm` should not wait out the reaper's batching.
        batchDelayFor: (event) => (event.kind === 'service' && event.type === 'delete' ? 0 : undefined),
        plan: (_now, scope) => planReaping(readSnapshot(store, scope)),
      },
      { batchDelayMs: DEFAULT_REAPER_BATCH_DELAY_MS },
    );
  }
}

function wantsReaperPass(event: ApiStoreEvent): boolean {
  switch (event.kind) {
    case 'task': {
      // Not a creation: a new task can only push its slot past the limit as a replacement, and
      // the orchestrators create a replacement in the transaction that tells the slot's old task
      // to shut down, a change followed here. Creations are most of the churn (10,000 at once
      // for a new service), and each pass reads every task of the service.
      if (event.type === 'create') return false;
      if (event.type !== 'update' || !event.previous) return true;
      const { object, previous } = event;
      return (
        object.desiredState !== previous.desiredState ||
        (object.status.state !== previous.status.state && isTerminal(object.status.state))
      );
    }
    case 'service':
    case 'node':
      // A service's retention follows its restart policy; a deleted node frees its global tasks.
      return event.type !== 'create';
    case 'cluster':
      return true;
    default:
      return false;
  }
}
