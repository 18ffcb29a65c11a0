// The server half of a unary gRPC call as the manager's small services (Membership, NodeCA,
// Locked) use it: a handler whose failures leave as typed statuses (control/errors.ts). The
// client half is src/client/unary.ts.

import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../util/logger.js';
import { toStatus } from './control/index.js';

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
