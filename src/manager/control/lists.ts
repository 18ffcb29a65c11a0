// Lists as server streams of chunks (ListResponse in proto/control.proto). The list is taken in
// one synchronous read, so every chunk reflects the same store version (stored objects are
// immutable: holding the array holds that state); it is then sent in chunks bounded by count and
// bytes, each written only when the client has taken the previous ones.

import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { ListRequest__Output } from '../../generated/flotilla/control/v1/ListRequest.js';
import type { ListResponse } from '../../generated/flotilla/control/v1/ListResponse.js';
import type { Kind } from '../store/index.js';
import type { ControlContext } from './context.js';
import { toStatus } from './errors.js';
import { listFilter } from './filters.js';
import { objectJson } from './json.js';
import type { Decoded, ListMethod } from './wire.js';

export type ListCall = grpc.ServerWritableStream<Decoded<ListRequest__Output>, ListResponse>;

/** A chunk closes at this many objects or bytes of JSON, whichever comes first. */
export const LIST_CHUNK_OBJECTS = 1_000;
export const LIST_CHUNK_BYTES = 1024 * 1024;

const LIST_KINDS: Record<ListMethod, Exclude<Kind, 'cluster'>> = {
  ListServices: 'service',
  ListTasks: 'task',
  ListNodes: 'node',
  ListSecrets: 'secret',
  ListConfigs: 'config',
};

export function listHandlers(
  ctx: ControlContext,
  requestOf: (decoded: Decoded<ListRequest__Output>) => ListRequest__Output,
): Record<ListMethod, (call: ListCall) => void> {
  const handlers = {} as Record<ListMethod, (call: ListCall) => void>;
  for (const [method, kind] of Object.entries(LIST_KINDS) as Array<[ListMethod, Kind]>)
    handlers[method] = (call) => void streamList(ctx, kind, method, call, requestOf);
  return handlers;
}

async function streamList(
  ctx: ControlContext,
  kind: Kind,
  method: ListMethod,
  call: ListCall,
  requestOf: (decoded: Decoded<ListRequest__Output>) => ListRequest__Output,
): Promise<void> {
  const cancelled = new AbortController();
  const onCancelled = (): void => cancelled.abort();
  call.on('cancelled', onCancelled);
  try {
    ctx.authorize(call);
    const request = requestOf(call.request);
    const filter = listFilter(ctx, kind, request.filter);
    await ctx.readBarrier(request.linearizable);
    // Read synchronously with the version, so the two agree (no apply can run in between).
    const objects = ctx.store.list(kind, filter);
    const storeVersion = ctx.store.version;
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    const flush = async (): Promise<void> => {
      const full = call.write({ objectsJson: chunk, storeVersion });
      chunk = [];
      chunkBytes = 0;
      if (!full) await once(call, 'drain', { signal: cancelled.signal });
    };
    for (const object of objects) {
      if (call.cancelled) return;
      const json = objectJson(kind, object);
      if (
        chunk.length > 0 &&
        (chunk.length >= LIST_CHUNK_OBJECTS || chunkBytes + json.length > LIST_CHUNK_BYTES)
      )
        await flush();
      chunk.push(json);
      chunkBytes += json.length;
    }
    // An empty list is still one chunk: it carries the version to watch from.
    await flush();
    call.end();
  } catch (err) {
    if (call.cancelled || cancelled.signal.aborted) return; // nobody is listening
    call.emit('error', toStatus(err, ctx.log, { method }));
  } finally {
    call.off('cancelled', onCancelled);
  }
}
