// A one-shot unary gRPC call with a deadline, on a client made for it, whose failures come back
// as the typed errors the server sent (control/errors.ts). The client side of the manager's small
// services (Membership, NodeCA, Locked), for managers and workers alike.

import type * as grpc from '@grpc/grpc-js';
import { ControlError, errorFromStatus } from '../manager/control/index.js';

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
