// The Watch stream: the store's changes in commit order, filtered, resumable from a version, as a
// gRPC server stream. Writes wait for the client to drain (a slow client is eventually cut off by
// the store with WatchOverflowError, never buffered without bound); a cancelled call closes its
// store watch; stop() ends every open stream with UNAVAILABLE so clients reconnect elsewhere, and
// recheckCallers() ends those whose caller is refused now (a revoked certificate) with the refusal.

import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { WatchEvent } from '../../generated/flotilla/control/v1/WatchEvent.js';
import type { WatchRequest__Output } from '../../generated/flotilla/control/v1/WatchRequest.js';
import type { TypedStoreEvent } from '../store/index.js';
import type { ApiObjectTypes, ControlContext } from './context.js';
import { toStatus, UnavailableError } from './errors.js';
import { watchFilter } from './filters.js';
import { objectJson } from './json.js';
import { CANCELLED, OpenStreams, serviceEnded } from './open-streams.js';
import type { Decoded } from './wire.js';

export type WatchCall = grpc.ServerWritableStream<Decoded<WatchRequest__Output>, WatchEvent>;

export class WatchStreams {
  private readonly open = new OpenStreams();

  constructor(
    private readonly ctx: ControlContext,
    /** Turns the request into its value or throws (a frame that did not decode). */
    private readonly requestOf: (decoded: Decoded<WatchRequest__Output>) => WatchRequest__Output,
  ) {}

  serve(call: WatchCall): void {
    void this.run(call);
  }

  /** Ends every open stream with UNAVAILABLE; later calls are refused the same way. */
  stop(): void {
    this.open.stop();
  }

  /** Ends the streams whose caller is refused now, with the refusal. */
  recheckCallers(): void {
    this.open.recheck(this.ctx.authorize);
  }

  get openStreams(): number {
    return this.open.size;
  }

  private async run(call: WatchCall): Promise<void> {
    const controller = this.open.add(call);
    const { signal } = controller;
    const onCancelled = (): void => controller.abort(CANCELLED);
    call.on('cancelled', onCancelled);
    try {
      if (this.open.stopped) throw stopping();
      this.ctx.authorize(call);
      const request = this.requestOf(call.request);
      const watch = this.ctx.store.watch(watchFilter(request), { fromVersion: request.fromVersion, signal });
      for await (const event of watch) {
        // Backpressure: hold the store's cursor until grpc has taken the previous events.
        if (!call.write(wireEvent(event))) await once(call, 'drain', { signal });
      }
      const ended = serviceEnded(signal, stopping);
      if (ended !== undefined) throw ended;
      if (!call.cancelled) call.end();
    } catch (err) {
      if (call.cancelled || signal.reason === CANCELLED) return; // nobody is listening
      call.emit('error', toStatus(serviceEnded(signal, stopping) ?? err, this.ctx.log, { method: 'Watch' }));
    } finally {
      this.open.remove(controller);
      call.off('cancelled', onCancelled);
    }
  }
}

function stopping(): UnavailableError {
  return new UnavailableError('stopping', 'the manager is stopping; watch again (at another manager)');
}

function wireEvent(event: TypedStoreEvent<ApiObjectTypes>): WatchEvent {
  return {
    version: event.version,
    kind: event.kind,
    type: event.type,
    objectJson: objectJson(event.kind, event.object),
    previousJson: event.previous === undefined ? Buffer.alloc(0) : objectJson(event.kind, event.previous),
  };
}
