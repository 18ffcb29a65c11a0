// The two halves of a unary gRPC call as the manager's small services (Membership, NodeCA,
// Locked) use them: a server handler whose failures leave as typed statuses (control/errors.ts),
// and a one-shot client call with a deadline whose failures come back as the same typed errors.

import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../util/logger.js';
import { ControlError, errorFromStatus, toStatus } from './control/index.js';

/** A unary handler from an async function of the request (and the call, for its TLS peer). */
export function unaryHandler<Req, Res>(
  log: Logger,
  method: string,
  handler: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call.request, call).then(
      (response) => callback(null, response),
      (err: unknown) => callback(toStatus(err, log, { method })),
    );
  };
}

/** Makes one call on a client made for it, then closes the client. */
export function callUnary<C extends { close(): void }, Res>(
  client: C,
  timeoutMs: number,
  invoke: (c: C, options: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void,
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    invoke(client, { deadline: Date.now() + timeoutMs }, (err, response) => {
      client.close();
      if (err) reject(errorFromStatus(err));
      else if (response === undefined) reject(new ControlError('INTERNAL', 'empty response'));
      else resolve(response);
    });
  });
}
