// `service logs` (ServiceLogs in proto/control.proto): on the leader, the tasks a request names,
// grouped by the node that runs them, become one subscription of the log broker, whose batches go
// to the client as they arrive, each written once the client took the previous ones (the broker
// meanwhile holds the nodes back). A follower forwards the stream to the leader, piped through
// with the same backpressure; only the leader's broker has the nodes' log streams.

import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { taskStateRank, ValidationError } from '../../api/index.js';
import type { ServiceLogLine } from '../../generated/flotilla/control/v1/ServiceLogLine.js';
import type { ServiceLogsRequest__Output } from '../../generated/flotilla/control/v1/ServiceLogsRequest.js';
import type {
  ServiceLogsResponse,
  ServiceLogsResponse__Output,
} from '../../generated/flotilla/control/v1/ServiceLogsResponse.js';
import type { TypedStoreEvent } from '../store/index.js';
import type { ApiObjectTypes, ControlContext, LeaderInfo, Stored } from './context.js';
import { ControlError, errorFromStatus, NO_LEADER_MESSAGE, toStatus, UnavailableError } from './errors.js';
import { CANCELLED, OpenStreams, serviceEnded } from './open-streams.js';
import {
  deserializer,
  MAX_RESPONSE_BYTES,
  methodPath,
  serializer,
  type Decoded,
  type RequestIn,
} from './wire.js';

export type ServiceLogsCall = grpc.ServerWritableStream<
  Decoded<ServiceLogsRequest__Output>,
  ServiceLogsResponse
>;

/** A line as the broker hands it over. */
export interface SourceLogLine {
  taskId: string;
  nodeId: string;
  stream: 'stdout' | 'stderr';
  timeMs: number;
  line: string;
}

/** What the handler needs of the leader's LogBroker (src/dispatcher/logs.ts), which fits it. */
export interface LogSource {
  subscribe(
    request: {
      tasksByNode: ReadonlyMap<string, readonly string[]>;
      follow: boolean;
      tail?: number;
      sinceMs?: number;
    },
    reader: {
      /** A promise: the reader is full; nothing more comes from that node until it settles. */
      lines(lines: SourceLogLine[]): void | Promise<void>;
      nodeError(nodeId: string, message: string): void;
      end(): void;
    },
  ): {
    cancel(): void;
    /** While following: these tasks of `nodeId` too, from their first line. */
    add(nodeId: string, taskIds: readonly string[]): void;
  };
}

export interface ServiceLogsOptions {
  /** This manager's log broker: only the leader's has nodes to ask. */
  broker: LogSource;
  /** This manager's node id: the request is served here when it leads, forwarded otherwise. */
  selfId: string;
  /** Channel credentials to reach the leader (the manager's own certificate). */
  credentials: () => grpc.ChannelCredentials;
}

/** Set on a forwarded request: a manager that is not the leader (any more) does not pass it on. */
export const FORWARDED_METADATA = 'flotilla-forwarded';

/** How long a request waits for an election before it fails as retryable. */
const LEADER_WAIT_MS = 5_000;

/** Tasks whose container has existed: what Docker shows logs of (running and exited ones). */
export function hasRun(task: Stored<'task'>): boolean {
  return (
    task.status.containerStatus !== undefined || taskStateRank(task.status.state) >= taskStateRank('starting')
  );
}

export class ServiceLogsStreams {
  private readonly open = new OpenStreams();

  constructor(
    private readonly ctx: ControlContext,
    private readonly node: LeaderInfo,
    /** Absent: this control service has no access to logs (every call fails UNIMPLEMENTED). */
    private readonly options: ServiceLogsOptions | undefined,
    private readonly requestOf: (decoded: Decoded<ServiceLogsRequest__Output>) => ServiceLogsRequest__Output,
  ) {}

  serve(call: ServiceLogsCall): void {
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

  private async run(call: ServiceLogsCall): Promise<void> {
    const controller = this.open.add(call);
    const { signal } = controller;
    const onCancelled = (): void => controller.abort(CANCELLED);
    call.on('cancelled', onCancelled);
    // A write to a client that went away fails here; 'cancelled' ends the stream.
    call.on('error', () => undefined);
    try {
      if (this.open.stopped) throw stopping();
      this.ctx.authorize(call);
      const request = validRequest(this.requestOf(call.request));
      if (this.options === undefined)
        throw new ControlError('UNIMPLEMENTED', 'this control service does not serve logs');
      const leader = await this.leader();
      // Ended meanwhile (stopped, the caller refused, the client gone): the catch says how.
      signal.throwIfAborted();
      if (leader.id === this.options.selfId) await this.serveHere(call, request, this.options.broker, signal);
      else if (call.metadata.get(FORWARDED_METADATA).length > 0)
        // The leader that forwarded it lost its leadership meanwhile; the client tries again.
        throw new UnavailableError(
          'leader-changed',
          'leadership moved while forwarding the logs request; retry',
        );
      else await forward(call, request, leader.address, this.options.credentials(), signal);
      const ended = serviceEnded(signal, stopping);
      if (ended !== undefined) throw ended;
      if (!signal.aborted) call.end();
    } catch (err) {
      if (call.cancelled || signal.reason === CANCELLED) return; // nobody is listening
      call.emit(
        'error',
        toStatus(serviceEnded(signal, stopping) ?? err, this.ctx.log, { method: 'ServiceLogs' }),
      );
    } finally {
      this.open.remove(controller);
      call.off('cancelled', onCancelled);
    }
  }

  private async leader(): Promise<{ id: string; address: string }> {
    if (this.node.leader().id === '')
      await this.node.waitForLeader(LEADER_WAIT_MS).catch(() => {
        throw new UnavailableError('no-leader', NO_LEADER_MESSAGE);
      });
    return this.node.leader();
  }

  /**
   * On the leader: one broker subscription, until it ends or the client goes. Following a
   * service, the tasks that start meanwhile (a scale-up, a restart, a rolling update) join it.
   */
  private async serveHere(
    call: ServiceLogsCall,
    request: ServiceLogsRequest__Output,
    broker: LogSource,
    signal: AbortSignal,
  ): Promise<void> {
    const service =
      request.service === '' ? undefined : this.ctx.resolve('service', request.service, 'service');
    // Watched from the version the task list is read at, so no task starts unseen in between.
    const newTasks =
      request.follow && service
        ? this.ctx.store.watch(
            { kinds: ['task'], types: ['create', 'update'] },
            { fromVersion: this.ctx.store.version, signal },
          )
        : undefined;
    const tasks = service
      ? this.ctx.store.list('task', { serviceId: service.id }).filter(hasRunOnANode)
      : this.tasksOf(request);
    const tasksByNode = new Map<string, string[]>();
    for (const task of tasks) {
      const ids = tasksByNode.get(task.nodeId) ?? [];
      ids.push(task.id);
      tasksByNode.set(task.nodeId, ids);
    }
    const known = new Map<string, Stored<'task'>>(tasks.map((t) => [t.id, t]));
    const describe = lineDescriber(this.ctx, known);
    let subscription: ReturnType<LogSource['subscribe']> | undefined;
    try {
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        subscription = broker.subscribe(
          {
            tasksByNode,
            follow: request.follow,
            ...(request.tail === undefined ? {} : { tail: request.tail }),
            ...(request.sinceMs > 0 ? { sinceMs: request.sinceMs } : {}),
          },
          {
            lines: (lines) => {
              if (signal.aborted) return;
              if (call.write({ lines: lines.map(describe) })) return;
              // Settles on drain, or when the client or the service goes (abort): never hangs.
              return once(call, 'drain', { signal }).then(
                () => undefined,
                () => undefined,
              );
            },
            nodeError: (nodeId, message) => {
              if (!signal.aborted) call.write({ warnings: [{ nodeId, message }] });
            },
            end: () => resolve(),
          },
        );
        if (newTasks && service) void this.followNewTasks(newTasks, service.id, known, subscription, call);
      });
    } finally {
      // The client went (or the broker ended, when this is a no-op): the nodes stop sending.
      subscription?.cancel();
    }
  }

  /** Adds each task of the service that starts on a node to the followed subscription. */
  private async followNewTasks(
    watch: AsyncIterable<TypedStoreEvent<ApiObjectTypes>>,
    serviceId: string,
    known: Map<string, Stored<'task'>>,
    subscription: ReturnType<LogSource['subscribe']>,
    call: ServiceLogsCall,
  ): Promise<void> {
    try {
      for await (const event of watch) {
        if (event.kind !== 'task') continue;
        const task = event.object;
        if (task.serviceId !== serviceId || known.has(task.id) || !hasRunOnANode(task)) continue;
        known.set(task.id, task);
        subscription.add(task.nodeId, [task.id]);
      }
    } catch (err) {
      // Aborted with the request, or the watch fell behind: the lines of tasks started from now
      // on are missed, which the reader is told.
      if (!call.cancelled && !(err instanceof Error && err.name === 'AbortError'))
        call.write({ warnings: [{ nodeId: '', message: `no longer following new tasks: ${String(err)}` }] });
    }
  }

  /** The request's tasks that have a node and have run (Docker's `service logs` set). */
  private tasksOf(request: ServiceLogsRequest__Output): Array<Stored<'task'> & { nodeId: string }> {
    let tasks: ReadonlyArray<Stored<'task'>>;
    if (request.service !== '') {
      const service = this.ctx.resolve('service', request.service, 'service');
      tasks = this.ctx.store.list('task', { serviceId: service.id });
    } else {
      tasks = request.taskIds.map((id, i) => {
        const task = this.ctx.store.get('task', id);
        if (!task) throw new ValidationError(`taskIds[${i}]`, 'no task has this id');
        return task;
      });
    }
    return tasks.filter(hasRunOnANode);
  }
}

function hasRunOnANode(task: Stored<'task'>): task is Stored<'task'> & { nodeId: string } {
  return (task.nodeId ?? '') !== '' && hasRun(task);
}

function validRequest(request: ServiceLogsRequest__Output): ServiceLogsRequest__Output {
  if ((request.service === '') === (request.taskIds.length === 0))
    throw new ValidationError('service', 'name a service or a list of task ids (one of the two)');
  if (!Number.isSafeInteger(request.sinceMs) || request.sinceMs < 0)
    throw new ValidationError('sinceMs', 'must be ms since the epoch, or 0');
  return request;
}

/** Turns a broker line into the API's, with the task's service, slot and node named. */
function lineDescriber(
  ctx: ControlContext,
  byId: ReadonlyMap<string, Stored<'task'>>,
): (line: SourceLogLine) => ServiceLogLine {
  const serviceNames = new Map<string, string>();
  const nodeNames = new Map<string, string>();
  const serviceName = (id: string): string => {
    let name = serviceNames.get(id);
    if (name === undefined) {
      name = ctx.store.get('service', id)?.spec.name ?? '';
      serviceNames.set(id, name);
    }
    return name;
  };
  const nodeName = (id: string): string => {
    let name = nodeNames.get(id);
    if (name === undefined) {
      name = ctx.store.get('node', id)?.description?.hostname ?? '';
      nodeNames.set(id, name);
    }
    return name;
  };
  return (l) => {
    const task = byId.get(l.taskId);
    const serviceId = task?.serviceId ?? '';
    return {
      taskId: l.taskId,
      serviceId,
      serviceName: serviceName(serviceId),
      taskSlot: task?.slot ?? 0,
      nodeId: l.nodeId,
      nodeName: nodeName(l.nodeId),
      stream: l.stream,
      timeMs: l.timeMs,
      line: l.line,
    };
  };
}

/**
 * On a follower: the same call to the leader, with this manager's credentials, piped through. A
 * full client pauses the leader's stream (HTTP/2 flow control then holds the leader back).
 */
async function forward(
  call: ServiceLogsCall,
  request: ServiceLogsRequest__Output,
  leaderAddr: string,
  credentials: grpc.ChannelCredentials,
  signal: AbortSignal,
): Promise<void> {
  const client = new grpc.Client(leaderAddr, credentials, {
    'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
  });
  const metadata = new grpc.Metadata();
  metadata.set(FORWARDED_METADATA, '1');
  const wire: RequestIn<'ServiceLogs'> = {
    service: request.service,
    taskIds: request.taskIds,
    follow: request.follow,
    ...(request.tail === undefined ? {} : { tail: request.tail }),
    sinceMs: request.sinceMs,
  };
  const upstream = client.makeServerStreamRequest(
    methodPath('ServiceLogs'),
    serializer('ServiceLogsRequest'),
    deserializer('ServiceLogsResponse'),
    wire,
    metadata,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        upstream.cancel();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const onDrain = (): void => void upstream.resume();
      upstream.on('data', (message: ServiceLogsResponse__Output) => {
        if (signal.aborted) return;
        if (!call.write(message)) {
          upstream.pause();
          call.once('drain', onDrain);
        }
      });
      upstream.on('end', () => {
        signal.removeEventListener('abort', onAbort);
        call.off('drain', onDrain);
        resolve();
      });
      upstream.on('error', (err: grpc.ServiceError) => {
        signal.removeEventListener('abort', onAbort);
        call.off('drain', onDrain);
        if (signal.aborted) resolve();
        // The leader's typed error, rebuilt from its status, leaves through toStatus again.
        else reject(errorFromStatus(err));
      });
    });
  } finally {
    client.close();
  }
}

function stopping(): UnavailableError {
  return new UnavailableError('stopping', 'the manager is stopping; ask again (at another manager)');
}
