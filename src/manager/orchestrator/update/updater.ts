// The rolling updater's driver: passes when services, nodes or tasks change (a task gone,
// reaching RUNNING or ending, or its desired state changing), and when a delay between
// slots or the final monitor period runs out. It remembers what its watch showed about when
// tasks reached RUNNING (the monitor window needs it; the store keeps only the latest status).

import { isTerminal } from '../../../api/index.js';
import { ControlLoop, LoopDriver, type ApiStoreEvent, type LoopOptions } from '../loop.js';
import { readSnapshot } from '../snapshot.js';
import { SERVICE_MODES } from '../service-mode.js';
import { TaskObservations } from './history.js';
import { planUpdates } from './plan.js';

export type RollingUpdaterOptions = LoopOptions;

export class RollingUpdater extends LoopDriver {
  protected readonly loop: ControlLoop;
  private readonly observations = new TaskObservations();

  constructor(options: RollingUpdaterOptions) {
    super();
    const { store } = options;
    this.loop = new ControlLoop(options, {
      name: 'orchestrator.update',
      // Every kind, so the observations know when they have caught up with a task's last write.
      watch: {},
      wants: (event) => {
        this.observations.observe(event);
        return wantsUpdatePass(event);
      },
      plan: (now, scope) => {
        const snapshot = readSnapshot(store, scope, SERVICE_MODES);
        for (const tasks of snapshot.tasksByService.values())
          for (const task of tasks) this.observations.noteRunning(task);
        // Deletes the watch showed are forgotten as they come; a pass over everything also
        // forgets what a broken watch missed.
        if (scope === 'all') this.observations.retain((id) => store.get('task', id) !== undefined);
        return planUpdates(snapshot, now, this.observations);
      },
      watchReset: () => this.observations.watchReset(),
    });
  }
}

function wantsUpdatePass(event: ApiStoreEvent): boolean {
  switch (event.kind) {
    case 'service':
    case 'node':
      return true;
    case 'task': {
      // A new task only adds to a slot's progress (its running or ending is what moves a
      // rollout on): a service of 10,000 replicas being created wakes no rollout pass.
      if (event.type === 'create') return false;
      if (event.type !== 'update' || !event.previous) return true;
      const { object, previous } = event;
      return (
        object.desiredState !== previous.desiredState ||
        (object.status.state !== previous.status.state &&
          (object.status.state === 'running' || isTerminal(object.status.state)))
      );
    }
    default:
      return false;
  }
}
