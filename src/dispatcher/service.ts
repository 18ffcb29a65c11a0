// The Dispatcher gRPC service (proto/dispatcher.proto) every manager registers: the wire side of
// Dispatcher. Every call needs a node certificate (worker or manager) and acts for the node the
// certificate names. On a manager that is not the leader every call fails with UNAVAILABLE
// not-leader and the leader's address, so a node that reached a follower moves on.

import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { hostOf } from '../util/host.js';
import { validateNodeDescription, validateTaskStatus, ValidationError } from '../api/index.js';
import type { AssignmentsMessage } from '../generated/flotilla/dispatcher/v1/AssignmentsMessage.js';
import type { EndpointsMessage } from '../generated/flotilla/dispatcher/v1/EndpointsMessage.js';
import type { SessionMessage } from '../generated/flotilla/dispatcher/v1/SessionMessage.js';
import type { SessionRequest__Output } from '../generated/flotilla/dispatcher/v1/SessionRequest.js';
import type { ProtoGrpcType } from '../generated/dispatcher.js';
import { toStatus } from '../manager/control/index.js';
import { parseJsonField } from '../manager/control/json.js';
import { unaryHandler } from '../manager/unary.js';
import type { Logger } from '../util/logger.js';
import { loadProtoPackage } from '../util/proto-package.js';
import { notLeader, type Dispatcher, type ManagerAddress, type NodeSession } from './dispatcher.js';
import { LogBroker } from './logs.js';

export function dispatcherPackage(): ProtoGrpcType['flotilla']['dispatcher']['v1'] {
  return loadProtoPackage<ProtoGrpcType>('dispatcher.proto').flotilla.dispatcher.v1;
}

export interface DispatcherServiceOptions {
  dispatcher: Dispatcher;
  /** The calling node's id, proved by its certificate; throws to refuse the call. */
  authorize: (
    call:
      | grpc.ServerUnaryCall<unknown, unknown>
      | grpc.ServerWritableStream<unknown, unknown>
      | grpc.ServerReadableStream<unknown, unknown>,
  ) => string;
  /** The leader's gRPC address when this manager is not the leader and knows one. */
  leaderAddr: () => string | undefined;
  logs: LogBroker;
  logger: Logger;
}

/** The host a call came from (`ipv4:127.0.0.3:50512` → `127.0.0.3`). */
export function peerHost(peer: string): string {
  return hostOf(peer.replace(/^ipv[46]:/, ''));
}

/**
 * The host a node advertises in its session request (what other nodes dial: the mesh's tunnels),
 * or undefined when it names none. An IP address or a DNS name; anything else is refused, naming
 * the field, so a table never carries an address no node could dial.
 */
export function advertisedHost(addr: string): string | undefined {
  if (addr === '') return undefined;
  if (isIP(addr) !== 0) return addr;
  if (
    addr.length <= 253 &&
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(addr)
  )
    return addr;
  throw new ValidationError('addr', 'must be an IP address or a host name, without a port');
}

export function registerDispatcherService(server: grpc.Server, options: DispatcherServiceOptions): void {
  const log = options.logger.child({ component: 'dispatcher-service' });
  const { dispatcher } = options;

  /**
   * The node proved by the Session stream open on each connection (keyed by its peer
   * address:port), with that session's id. A call on the same HTTP/2 connection comes over the
   * same TLS session, so it carries the same certificate: parsing it again for every heartbeat
   * (grpc-js rebuilds the peer certificate with its fingerprints on each getAuthContext) was a
   * quarter of the leader's CPU at 2,000 nodes (bench:dispatcher). Removed nodes are cut off by
   * the dispatcher's sweep, which ends their sessions.
   */
  const provenByPeer = new Map<string, { nodeId: string; sessionId: string }>();
  const nodeOfCall = (call: grpc.ServerUnaryCall<unknown, unknown>, sessionId: string): string => {
    const proven = provenByPeer.get(call.getPeer());
    return proven !== undefined && proven.sessionId === sessionId ? proven.nodeId : options.authorize(call);
  };

  const requireLeader = (): void => {
    if (!dispatcher.running) throw notLeader(options.leaderAddr());
  };

  /** Ends a server stream with `err` as its status, unless the client has gone. */
  const fail = (call: grpc.ServerWritableStream<unknown, unknown>, err: unknown, method: string): void => {
    if (call.cancelled) return;
    call.emit('error', toStatus(err, log, { method }));
  };

  const session = (call: grpc.ServerWritableStream<SessionRequest__Output, SessionMessage>): void => {
    const cleanup: Array<() => void> = [];
    const run = async (): Promise<void> => {
      const nodeId = options.authorize(call);
      requireLeader();
      const description = validateNodeDescription(parseJsonField(call.request.description, 'description'));
      const peer = call.getPeer();
      const addr = advertisedHost(call.request.addr) ?? peerHost(peer);
      const opened: NodeSession = await dispatcher.register(nodeId, description, addr);
      // Only a TCP peer (address:port) names one connection.
      if (/:\d+$/.test(peer)) {
        provenByPeer.set(peer, { nodeId, sessionId: opened.id });
        cleanup.push(() => {
          if (provenByPeer.get(peer)?.sessionId === opened.id) provenByPeer.delete(peer);
        });
      }
      const message = (managers: ManagerAddress[]): SessionMessage => ({
        sessionId: opened.id,
        nodeId,
        heartbeatPeriodMs: dispatcher.periodMs(),
        managers: managers.map((m) => ({ nodeId: m.nodeId, addr: m.addr, leader: m.leader })),
        ...dispatcher.trust(),
        role: opened.role,
      });
      call.write(message(dispatcher.managers()));
      cleanup.push(opened.onManagers((managers) => call.write(message(managers))));
      await new Promise<void>((resolve) => {
        cleanup.push(
          opened.onEnd((reason) => {
            fail(call, reason, 'Session');
            resolve();
          }),
        );
        call.on('cancelled', () => resolve());
      });
    };
    run()
      .catch((err: unknown) => fail(call, err, 'Session'))
      .finally(() => cleanup.forEach((c) => c()));
  };

  /**
   * A stream that lasts as long as the node's session: Assignments and Endpoints. `subscribe`
   * starts feeding the call (with backpressure) and returns the function that stops it.
   */
  const sessionStream =
    <Message>(
      method: string,
      subscribe: (
        nodeId: string,
        sessionId: string,
        sink: { write(message: Message): boolean; drained(): Promise<void> },
      ) => () => void,
    ) =>
    (call: grpc.ServerWritableStream<{ sessionId: string }, Message>): void => {
      try {
        const nodeId = options.authorize(call);
        requireLeader();
        const opened = dispatcher.session(nodeId, call.request.sessionId);
        let stop = (): void => undefined;
        const removeEnd = opened.onEnd((reason) => {
          stop();
          fail(call, reason, method);
        });
        call.on('cancelled', () => {
          stop();
          removeEnd();
        });
        call.on('error', (err) => log.debug(`${method} stream error`, { nodeId, error: err.message }));
        stop = subscribe(nodeId, opened.id, {
          write: (message) => call.write(message),
          drained: () =>
            new Promise<void>((resolve, reject) => {
              const onDrain = (): void => {
                call.off('cancelled', onCancel);
                resolve();
              };
              const onCancel = (): void => {
                call.off('drain', onDrain);
                reject(new Error('cancelled'));
              };
              call.once('drain', onDrain);
              call.once('cancelled', onCancel);
            }),
        });
      } catch (err) {
        fail(call, err, method);
      }
    };

  const handlers = {
    Session: session,
    Assignments: sessionStream<AssignmentsMessage>('Assignments', (nodeId, sessionId, sink) =>
      dispatcher.assignments(nodeId, sessionId, sink),
    ),
    Endpoints: sessionStream<EndpointsMessage>('Endpoints', (nodeId, sessionId, sink) =>
      dispatcher.endpoints(nodeId, sessionId, sink),
    ),
    Heartbeat: unaryHandler(log, 'Heartbeat', async (request: { sessionId: string }, call) => {
      const nodeId = nodeOfCall(call, request.sessionId);
      requireLeader();
      return { periodMs: dispatcher.heartbeat(nodeId, request.sessionId) };
    }),
    UpdateTaskStatus: unaryHandler(
      log,
      'UpdateTaskStatus',
      async (request: { sessionId: string; updates: Array<{ taskId: string; status: Buffer }> }, call) => {
        const nodeId = nodeOfCall(call, request.sessionId);
        requireLeader();
        const updates = request.updates.map((u, i) => ({
          taskId: u.taskId,
          status: validateTaskStatus(
            parseJsonField(u.status, `updates[${i}].status`),
            `updates[${i}].status`,
          ),
        }));
        dispatcher.updateTaskStatus(nodeId, request.sessionId, updates);
        return {};
      },
    ),
    LogSubscriptions: (call: grpc.ServerWritableStream<{ sessionId: string }, unknown>) => {
      try {
        const nodeId = options.authorize(call);
        requireLeader();
        dispatcher.session(nodeId, call.request.sessionId);
        options.logs.serveNode(nodeId, call);
      } catch (err) {
        fail(call, err, 'LogSubscriptions');
      }
    },
    PublishLogs: (
      call: grpc.ServerReadableStream<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      let nodeId: string;
      try {
        nodeId = options.authorize(call);
        requireLeader();
      } catch (err) {
        callback(toStatus(err, log, { method: 'PublishLogs' }));
        return;
      }
      options.logs.receive(nodeId, call, callback);
    },
  };
  server.addService(dispatcherPackage().Dispatcher.service, handlers);
}
