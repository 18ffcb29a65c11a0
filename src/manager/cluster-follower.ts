// Running a step every time the cluster object changes (and once at start), one step at a time:
// the pattern of the keepers that hold a manager's local state (key files, trusted roots) to what
// the replicated Cluster object says.

import type { Logger } from '../util/logger.js';
import type { ApiStore } from './control/index.js';

export class ClusterFollower {
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;
  private steps: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ApiStore,
    private readonly log: Logger,
    /** Brings the local state in line with the store; failures are logged, the next change retries. */
    private readonly step: () => Promise<void>,
  ) {}

  get active(): boolean {
    return this.controller !== null;
  }

  start(): void {
    if (this.controller) return;
    const controller = (this.controller = new AbortController());
    this.running = this.follow(controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    this.controller = null;
    await this.running;
    await this.steps;
  }

  /** Runs the step now and resolves once every step queued so far is done. */
  async settled(): Promise<void> {
    this.queue();
    await this.steps;
  }

  private async follow(signal: AbortSignal): Promise<void> {
    this.queue();
    while (!signal.aborted) {
      try {
        for await (const _ of this.store.watch({ kinds: ['cluster'] }, { signal })) this.queue();
      } catch (err) {
        // The watch fell too far behind, or a snapshot replaced the store (a lagging manager
        // catching up): the object may have changed unseen, so step now and follow again from
        // here. Steps re-read the whole object: nothing is missed but time.
        if (signal.aborted) return;
        this.log.warn('lost track of the cluster object; following it again', { err });
        this.queue();
      }
    }
  }

  private queue(): void {
    this.steps = this.steps.then(() =>
      this.step().catch((err: unknown) => this.log.error('could not follow the cluster object', { err })),
    );
  }
}
