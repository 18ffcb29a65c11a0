// The control API's gRPC service: every manager registers it on its server. Lists, Watch and
// ServiceLogs are server streams (lists.ts, watch.ts, logs.ts); each unary handler
// validates its request (src/api), reads from this manager's store or writes through Raft (a
// follower forwards to the leader), and every failure leaves through errors.ts as a typed status.

import type * as grpc from '@grpc/grpc-js';
import { ValidationError } from '../../api/index.js';
import { ControlContext, type ControlOptions } from './context.js';
import { adminCertificateHandlers } from './admin-certificates.js';
import { clusterHandlers } from './cluster.js';
import { RequestTooLargeError, toStatus } from './errors.js';
import { nodeHandlers } from './nodes.js';
import { taskHandlers } from './reads.js';
import { configHandlers, secretHandlers } from './secrets.js';
import { serviceHandlers } from './services.js';
import { listHandlers } from './lists.js';
import { WatchStreams, type WatchCall } from './watch.js';
import { ServiceLogsStreams, type ServiceLogsCall, type ServiceLogsOptions } from './logs.js';
import {
  MAX_REQUEST_BYTES,
  serverServiceDefinition,
  type Decoded,
  type RequestOut,
  type ResponseIn,
  type UnaryMethod,
} from './wire.js';

export interface ControlServiceOptions extends ControlOptions {
  /** Largest request accepted, even if the server's own limit is higher; default 4 MiB. */
  maxRequestBytes?: number;
  /** The log broker and how to reach the leader: without it ServiceLogs is UNIMPLEMENTED. */
  logs?: ServiceLogsOptions;
}

/**
 * The registered service: stop() ends open watches and log streams (call it before shutting the
 * server down); recheckCallers() ends those whose caller the authorize hook refuses now (call it
 * when the cluster object changes: a certificate revoked, a node removed).
 */
export interface ControlService {
  stop(): void;
  recheckCallers(): void;
  readonly openWatches: number;
  readonly openLogStreams: number;
}

type UnaryHandlers = { [M in UnaryMethod]: (request: RequestOut<M>) => Promise<ResponseIn<M>> };
type AnyUnaryHandler = (request: RequestOut<UnaryMethod>) => Promise<ResponseIn<UnaryMethod>>;

export function registerControlService(server: grpc.Server, options: ControlServiceOptions): ControlService {
  const ctx = new ControlContext(options);
  // Typed as UnaryHandlers: a method of proto/control.proto without a handler does not compile.
  const handlers: UnaryHandlers = {
    ...serviceHandlers(ctx),
    ...taskHandlers(ctx),
    ...nodeHandlers(ctx),
    ...secretHandlers(ctx),
    ...configHandlers(ctx),
    ...clusterHandlers(ctx),
    ...adminCertificateHandlers(ctx),
  };
  const watches = new WatchStreams(ctx, requestOf);
  const logs = new ServiceLogsStreams(ctx, options.node, options.logs, requestOf);
  const implementation: grpc.UntypedServiceImplementation = {
    Watch: (call: WatchCall) => watches.serve(call),
    ServiceLogs: (call: ServiceLogsCall) => logs.serve(call),
    ...listHandlers(ctx, requestOf),
  };
  for (const method of Object.keys(handlers) as UnaryMethod[]) {
    // Each handler matches its own method's messages; the loop only sees their union.
    implementation[method] = unary(ctx, method, handlers[method] as unknown as AnyUnaryHandler);
  }
  server.addService(serverServiceDefinition(options.maxRequestBytes ?? MAX_REQUEST_BYTES), implementation);
  ctx.log.info('control API registered', { methods: Object.keys(implementation).length });
  return {
    stop: () => {
      watches.stop();
      logs.stop();
    },
    recheckCallers: () => {
      watches.recheckCallers();
      logs.recheckCallers();
    },
    get openWatches() {
      return watches.openStreams;
    },
    get openLogStreams() {
      return logs.openStreams;
    },
  };
}

function unary(
  ctx: ControlContext,
  method: UnaryMethod,
  handler: AnyUnaryHandler,
): grpc.handleUnaryCall<Decoded<RequestOut<UnaryMethod>>, ResponseIn<UnaryMethod>> {
  return (call, callback) => {
    const run = async (): Promise<ResponseIn<UnaryMethod>> => {
      ctx.authorize(call);
      return handler(requestOf(call.request));
    };
    void run().then(
      (response) => callback(null, response),
      (err: unknown) => callback(toStatus(err, ctx.log, { method })),
    );
  };
}

/** The request, or the error that says why its frame could not be read. */
function requestOf<T>(decoded: Decoded<T>): T {
  if (decoded.ok) return decoded.value;
  if (decoded.problem === 'too-large') throw new RequestTooLargeError(decoded.detail);
  throw new ValidationError('request', `not a valid ${decoded.messageName} message (${decoded.detail})`);
}
