// One session of a node with the leader's dispatcher (proto/dispatcher.proto): registers with the
// node's description, heartbeats at the period each answer gives, receives the assignments and
// the log requests, and sends status batches. It ends at the first failure of any of these
// (the leader died or stepped down, a heartbeat was missed); the agent then opens a new one,
// possibly at another manager.

import * as grpc from '@grpc/grpc-js';
import type { NodeDescription, Task, TaskStatus } from '../api/index.js';
import { errorFromStatus, UnavailableError } from '../client/index.js';
import type { ProtoGrpcType } from '../generated/dispatcher.js';
import type { AssignmentsMessage__Output } from '../generated/flotilla/dispatcher/v1/AssignmentsMessage.js';
import type { EndpointsMessage__Output } from '../generated/flotilla/dispatcher/v1/EndpointsMessage.js';
import type { EndpointDelta, EndpointTable } from '../mesh/index.js';
import type { DispatcherClient } from '../generated/flotilla/dispatcher/v1/Dispatcher.js';
import type { LogSubscription__Output } from '../generated/flotilla/dispatcher/v1/LogSubscription.js';
import type { PublishLogsMessage } from '../generated/flotilla/dispatcher/v1/PublishLogsMessage.js';
import type { SessionMessage__Output } from '../generated/flotilla/dispatcher/v1/SessionMessage.js';
import type { Payload__Output } from '../generated/flotilla/dispatcher/v1/Payload.js';
import { loadProtoPackage } from '../util/proto-package.js';
import type { Logger } from '../util/logger.js';
import type { AssignedTask } from './executor.js';
import type { AssignmentChanges, CompleteAssignments, Payload } from './task-set.js';

export function dispatcherClient(address: string, credentials: grpc.ChannelCredentials): DispatcherClient {
  const Client = loadProtoPackage<ProtoGrpcType>('dispatcher.proto').flotilla.dispatcher.v1.Dispatcher;
  return new Client(address, credentials, {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    // A dead manager is noticed by the heartbeat deadline; keepalive covers idle streams too,
    // with a timeout long enough not to drop a busy manager's connection (bench:dispatcher).
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
}

type PayloadMap = Map<string, Payload>;

export interface SessionInfo {
  managers: Array<{ nodeId: string; addr: string; leader: boolean }>;
  trustedRoots: string;
  signingRoot: string;
  /** The node's role as the cluster records it. */
  role: string;
}

export interface SessionHandlers {
  complete(assignments: CompleteAssignments): void;
  changes(changes: AssignmentChanges): void;
  /** Every session message: the managers, and the roots to trust. */
  update(info: SessionInfo): void;
  logs(
    subscription: LogSubscription__Output,
    publish: () => grpc.ClientWritableStream<PublishLogsMessage>,
  ): void;
  /**
   * The routing mesh's endpoint table (a node that runs a mesh): the complete table, then deltas.
   * False: the delta does not apply to what the node has, and the session starts over.
   */
  endpoints?(update: EndpointUpdate): boolean;
}

export type EndpointUpdate = { table: EndpointTable } | { delta: EndpointDelta };

function payloads(list: Payload__Output[]): PayloadMap {
  return new Map(list.map((p) => [p.id, { name: p.name, data: new Uint8Array(p.data) }]));
}

function assignedTasks(message: AssignmentsMessage__Output): AssignedTask[] {
  return message.tasks.map((t) => {
    // From the leader, which encoded a stored task: trusted to be one.
    const task = JSON.parse(Buffer.from(t.task).toString('utf8')) as Task;
    return { task, service: { id: task.serviceId, name: t.serviceName, labels: { ...t.serviceLabels } } };
  });
}

export class DispatcherSession {
  private readonly calls: Array<grpc.ClientReadableStream<unknown>> = [];
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private finished = false;
  private endSession: (err: Error) => void = () => undefined;
  readonly ended: Promise<Error>;
  sessionId = '';
  nodeId = '';

  constructor(
    private readonly client: DispatcherClient,
    private readonly handlers: SessionHandlers,
    private readonly log: Logger,
    private readonly callTimeoutMs = 10_000,
  ) {
    this.ended = new Promise<Error>((resolve) => {
      this.endSession = (err) => {
        if (this.finished) return;
        this.finished = true;
        this.close();
        resolve(err);
      };
    });
  }

  /**
   * Registers (with the host this node advertises, '' for the address the call comes from);
   * resolves once the dispatcher has answered with the session's first message. */
  async open(description: NodeDescription, addr = ''): Promise<void> {
    const call = this.client.session({ description: Buffer.from(JSON.stringify(description)), addr });
    this.calls.push(call);
    const first = await new Promise<SessionMessage__Output>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new UnavailableError('timeout', 'the dispatcher did not open the session in time'));
        call.cancel();
      }, this.callTimeoutMs);
      let opened = false;
      call.on('data', (message: SessionMessage__Output) => {
        if (!opened) {
          opened = true;
          clearTimeout(timer);
          resolve(message);
          return;
        }
        this.handlers.update(message);
      });
      call.on('error', (err: grpc.ServiceError) => {
        clearTimeout(timer);
        const error = errorFromStatus(err);
        if (!opened) reject(error);
        else this.endSession(error);
      });
      call.on('end', () => {
        if (opened) this.endSession(new UnavailableError('unreachable', 'the dispatcher ended the session'));
      });
    });
    this.sessionId = first.sessionId;
    this.nodeId = first.nodeId;
    this.handlers.update(first);
    this.startAssignments();
    if (this.handlers.endpoints) this.startEndpoints(this.handlers.endpoints.bind(this.handlers));
    this.startLogSubscriptions();
    this.scheduleHeartbeat(Number(first.heartbeatPeriodMs));
  }

  /** Sends one batch of status updates on this session. */
  sendStatuses(updates: Array<{ taskId: string; status: TaskStatus }>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.finished) {
        reject(new UnavailableError('unreachable', 'the session has ended'));
        return;
      }
      this.client.updateTaskStatus(
        {
          sessionId: this.sessionId,
          updates: updates.map((u) => ({ taskId: u.taskId, status: Buffer.from(JSON.stringify(u.status)) })),
        },
        { deadline: Date.now() + this.callTimeoutMs },
        (err) => (err ? reject(errorFromStatus(err)) : resolve()),
      );
    });
  }

  /** A client stream to publish the lines of one log subscription. */
  publishLogs(): grpc.ClientWritableStream<PublishLogsMessage> {
    return this.client.publishLogs((err) => {
      if (err) this.log.debug('publishing logs failed', { error: err.message });
    });
  }

  /** Ends the session from this side. */
  cancel(reason = 'the node ended the session'): void {
    this.endSession(new UnavailableError('stopping', reason));
  }

  private startAssignments(): void {
    const call = this.client.assignments({ sessionId: this.sessionId });
    this.calls.push(call);
    call.on('data', (message: AssignmentsMessage__Output) => {
      try {
        if (message.type === 'COMPLETE')
          this.handlers.complete({
            tasks: assignedTasks(message),
            secrets: payloads(message.secrets),
            configs: payloads(message.configs),
          });
        else
          this.handlers.changes({
            updated: assignedTasks(message),
            removed: message.removedTasks,
            secretsUpserted: payloads(message.secrets),
            secretsRemoved: message.removedSecrets,
            configsUpserted: payloads(message.configs),
            configsRemoved: message.removedConfigs,
          });
      } catch (err) {
        this.log.error('an assignments message could not be used', { error: (err as Error).message });
        this.endSession(err as Error);
      }
    });
    call.on('error', (err: grpc.ServiceError) => this.endSession(errorFromStatus(err)));
    call.on('end', () =>
      this.endSession(new UnavailableError('unreachable', 'the assignments stream ended')),
    );
  }

  private startEndpoints(handle: (update: EndpointUpdate) => boolean): void {
    const call = this.client.endpoints({ sessionId: this.sessionId });
    this.calls.push(call);
    call.on('data', (message: EndpointsMessage__Output) => {
      // From the leader, which encoded them from its own table: trusted to be one.
      const applied =
        message.tableJson.length > 0
          ? handle({ table: JSON.parse(message.tableJson.toString('utf8')) as EndpointTable })
          : handle({ delta: JSON.parse(message.deltaJson.toString('utf8')) as EndpointDelta });
      if (!applied)
        this.endSession(new UnavailableError('unreachable', 'the endpoint table fell out of step'));
    });
    call.on('error', (err: grpc.ServiceError) => this.endSession(errorFromStatus(err)));
    call.on('end', () => this.endSession(new UnavailableError('unreachable', 'the endpoints stream ended')));
  }

  private startLogSubscriptions(): void {
    const call = this.client.logSubscriptions({ sessionId: this.sessionId });
    this.calls.push(call);
    call.on('data', (subscription: LogSubscription__Output) =>
      this.handlers.logs(subscription, () => this.publishLogs()),
    );
    // Logs are a convenience: their stream failing does not end the session.
    call.on('error', (err: grpc.ServiceError) => {
      if (!this.finished) this.log.debug('log subscriptions stream failed', { error: err.message });
    });
  }

  private scheduleHeartbeat(periodMs: number): void {
    if (this.finished) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      this.client.heartbeat(
        { sessionId: this.sessionId },
        { deadline: Date.now() + Math.max(this.callTimeoutMs, periodMs) },
        (err, response) => {
          if (err || !response) {
            this.endSession(err ? errorFromStatus(err) : new Error('empty heartbeat answer'));
            return;
          }
          this.scheduleHeartbeat(Number(response.periodMs));
        },
      );
    }, periodMs);
  }

  private close(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    for (const call of this.calls) call.cancel();
  }
}
