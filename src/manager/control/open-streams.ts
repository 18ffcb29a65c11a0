// The open server streams of one kind (Watch, ServiceLogs), each with the AbortController that
// ends it: stop() ends them all for a shutdown; recheck() ends those whose caller may no longer
// call. A stream is authorized once, when it begins; a certificate revoked or a node removed while
// it runs must not keep it, so the manager re-checks every caller when the cluster object changes.

import type { CallerInfo } from './context.js';

/** Abort reasons: the service is stopping; the client went away. */
export const SHUTDOWN = Symbol('control service stopping');
export const CANCELLED = Symbol('client cancelled');

/** The abort reason of a stream whose caller was refused after it began: the refusal. */
class CallerRefused {
  constructor(readonly error: Error) {}
}

export class OpenStreams {
  private readonly open = new Map<AbortController, CallerInfo>();
  private stoppedFlag = false;

  /** Whether stop() was called: new streams are refused then. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  get size(): number {
    return this.open.size;
  }

  /** The controller of a new stream of `call`; remove it when the stream ends. */
  add(call: CallerInfo): AbortController {
    const controller = new AbortController();
    this.open.set(controller, call);
    return controller;
  }

  remove(controller: AbortController): void {
    this.open.delete(controller);
  }

  stop(): void {
    this.stoppedFlag = true;
    for (const controller of this.open.keys()) controller.abort(SHUTDOWN);
  }

  /** Ends each stream whose caller `authorize` refuses now, with that refusal. */
  recheck(authorize: (call: CallerInfo) => void): void {
    for (const [controller, call] of this.open) {
      try {
        authorize(call);
      } catch (err) {
        controller.abort(new CallerRefused(err instanceof Error ? err : new Error(String(err))));
      }
    }
  }
}

/**
 * The error to end a stream with when the service ended it (stop() gives `stopping()`, recheck()
 * the refusal), or undefined when it did not.
 */
export function serviceEnded(signal: AbortSignal, stopping: () => Error): Error | undefined {
  if (signal.reason === SHUTDOWN) return stopping();
  if (signal.reason instanceof CallerRefused) return signal.reason.error;
  return undefined;
}
