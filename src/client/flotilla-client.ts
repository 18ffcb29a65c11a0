// FlotillaClient: the control API with typed methods. Any manager serves it (a follower forwards
// writes to the leader), so one address is enough. Failures are thrown as the same typed errors
// the manager raised: ValidationError { path, rule }, NotFoundError, AlreadyExistsError,
// VersionConflictError { current }, FailedPreconditionError, UnavailableError (retryable), ….

import * as grpc from '@grpc/grpc-js';
import type {
  AdminCertificate,
  ClusterSpec,
  ConfigSpec,
  NodeSpec,
  SecretSpec,
  ServiceSpec,
} from '../api/index.js';
import type { AdminCertificate__Output } from '../generated/flotilla/control/v1/AdminCertificate.js';
import {
  CONTROL_METHODS,
  ControlError,
  deserializer,
  errorFromStatus,
  MAX_RESPONSE_BYTES,
  methodPath,
  serializer,
  UnavailableError,
  type RequestIn,
  type ResponseOut,
  type ListMethod,
  type UnaryMethod,
} from '../manager/control/index.js';
import type { Kind } from '../manager/store/index.js';
import {
  dataBytes,
  decodeObject,
  labelMatches,
  specJson,
  wireListFilter,
  type ListFilter,
  type ObjectsByKind,
  type TaskFilter,
  type WatchEvent,
  type WatchFilter,
} from './objects.js';
import type {
  ServiceLogLine,
  ServiceLogsOptions,
  ServiceLogStream,
  ServiceLogWarning,
} from './service-logs.js';

export interface FlotillaClientOptions {
  /** A manager's control address, `host:port`. */
  address: string;
  /** Default: insecure (mutual TLS arrives with the cluster CA). */
  credentials?: grpc.ChannelCredentials;
  /** Deadline of each unary call; default 30 s (a manager bounds its writes at 5 s itself). */
  timeoutMs?: number;
  channelOptions?: grpc.ChannelOptions;
}

export interface WriteResult {
  id: string;
  /** The Raft index of the write: the object's meta.version.index, and the version to update from. */
  version: number;
}

export interface ReadOptions {
  /** Read what the whole cluster has committed (a Raft ReadIndex barrier), not this manager's view. */
  linearizable?: boolean;
}

export interface Listed<T> {
  items: T[];
  /** The store version the list reflects: watch from it to follow what changes next. */
  version: number;
}

export interface RemoveOptions {
  /** Refuse the removal (VersionConflictError) unless this is still the object's version. */
  version?: number;
}

export interface ClientWatchOptions {
  /** Replay the changes after this version first (typically a list's version). */
  fromVersion?: number;
  /** Ends the watch (the iteration finishes) when aborted. */
  signal?: AbortSignal;
}

/** Create input of a secret or config: data as bytes, or text sent as UTF-8. */
export type SecretInput = Omit<SecretSpec, 'data'> & { data?: Uint8Array | string };
export type ConfigInput = Omit<ConfigSpec, 'data'> & { data: Uint8Array | string };

const DEFAULT_TIMEOUT_MS = 30_000;
const CLIENT_FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

export class FlotillaClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(options: FlotillaClientOptions) {
    this.client = new grpc.Client(options.address, options.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
      // HTTP/2's default 64 KiB window makes a list of 10,000 tasks (4 MiB) wait for ~70 window
      // updates; a wider window lets it stream at once.
      'grpc-node.flow_control_window': CLIENT_FLOW_CONTROL_WINDOW_BYTES,
      ...options.channelOptions,
    });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  close(): void {
    this.client.close();
  }

  // ---- services ---------------------------------------------------------------------------

  async createService(spec: ServiceSpec): Promise<WriteResult> {
    return this.write('CreateService', { specJson: specJson(spec) });
  }

  /** By id, name or unique id prefix. */
  async getService(idOrName: string, options?: ReadOptions): Promise<ObjectsByKind['service']> {
    return this.get('GetService', 'service', idOrName, options);
  }

  async listServices(filter?: ListFilter, options?: ReadOptions): Promise<Array<ObjectsByKind['service']>> {
    return (await this.list('service', filter, options)).items;
  }

  /** `version` is the meta.version.index the spec was read at; a stale one fails with VersionConflictError. */
  async updateService(idOrName: string, version: number, spec: ServiceSpec): Promise<WriteResult> {
    return this.write('UpdateService', { id: idOrName, version, specJson: specJson(spec) });
  }

  /** `docker service rollback`: back to the previous spec, from the version read. */
  async rollbackService(idOrName: string, version: number): Promise<WriteResult> {
    return this.write('UpdateService', { id: idOrName, version, rollback: true });
  }

  async removeService(idOrName: string, options: RemoveOptions = {}): Promise<WriteResult> {
    return this.write('RemoveService', { id: idOrName, version: options.version ?? 0 });
  }

  /**
   * `docker service logs`: the output of the service's tasks that have run (by id, name or unique
   * id prefix; or `{ taskIds }` for chosen tasks), gathered from their nodes and merged in
   * arrival order. Iterate with for-await: without `follow` it ends once every node has sent what
   * it has; with `follow` it goes on until `break` or the signal. A node that cannot serve its
   * part is reported (`warnings`, `onWarning`) while the others go on. Throws the typed errors
   * (NotFoundError for an unknown service, UnavailableError while there is no leader, …).
   */
  serviceLogs(service: string | { taskIds: string[] }, options: ServiceLogsOptions = {}): ServiceLogStream {
    const warnings: ServiceLogWarning[] = [];
    return {
      warnings,
      [Symbol.asyncIterator]: () => this.logLines(service, options, warnings),
    };
  }

  private async *logLines(
    service: string | { taskIds: string[] },
    options: ServiceLogsOptions,
    warnings: ServiceLogWarning[],
  ): AsyncGenerator<ServiceLogLine> {
    const { signal } = options;
    if (signal?.aborted) return;
    const spec = CONTROL_METHODS.ServiceLogs;
    const request: RequestIn<'ServiceLogs'> = {
      ...(typeof service === 'string' ? { service } : { taskIds: service.taskIds }),
      follow: options.follow ?? false,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      sinceMs: options.sinceMs ?? 0,
    };
    // No deadline: logs take as long as the nodes have lines (or forever, following).
    const call = this.client.makeServerStreamRequest(
      methodPath('ServiceLogs'),
      serializer(spec.request),
      deserializer(spec.response),
      request,
    );
    const cancel = (): void => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      // Pulling message by message: a slow consumer holds back the manager, and it the nodes.
      for await (const message of call as AsyncIterable<ResponseOut<'ServiceLogs'>>) {
        for (const w of message.warnings) {
          const warning = { nodeId: w.nodeId, message: w.message };
          warnings.push(warning);
          options.onWarning?.(warning);
        }
        for (const l of message.lines)
          yield {
            taskId: l.taskId,
            serviceId: l.serviceId,
            serviceName: l.serviceName,
            taskSlot: l.taskSlot,
            nodeId: l.nodeId,
            nodeName: l.nodeName,
            stream: l.stream === 'stderr' ? 'stderr' : 'stdout',
            timeMs: l.timeMs,
            line: l.line,
          };
      }
    } catch (err) {
      if (signal?.aborted && isStatus(err) && err.code === grpc.status.CANCELLED) return;
      throw isStatus(err) ? errorFromStatus(err) : err;
    } finally {
      signal?.removeEventListener('abort', cancel);
      // The iteration is over: the cancellation's own CANCELLED status has nobody to go to.
      call.on('error', () => {});
      call.cancel();
    }
  }

  // ---- tasks ------------------------------------------------------------------------------

  async getTask(id: string, options?: ReadOptions): Promise<ObjectsByKind['task']> {
    return this.get('GetTask', 'task', id, options);
  }

  async listTasks(filter?: TaskFilter, options?: ReadOptions): Promise<Array<ObjectsByKind['task']>> {
    return (await this.list('task', filter, options)).items;
  }

  // ---- nodes ------------------------------------------------------------------------------

  async getNode(idOrName: string, options?: ReadOptions): Promise<ObjectsByKind['node']> {
    return this.get('GetNode', 'node', idOrName, options);
  }

  async listNodes(filter?: ListFilter, options?: ReadOptions): Promise<Array<ObjectsByKind['node']>> {
    return (await this.list('node', filter, options)).items;
  }

  /** Changes availability, labels, role or name; `spec` is the whole new NodeSpec. */
  async updateNode(idOrName: string, version: number, spec: NodeSpec): Promise<WriteResult> {
    return this.write('UpdateNode', { id: idOrName, version, specJson: specJson(spec) });
  }

  /** A node that is up is only removed with `force`; a manager must be demoted first. */
  async removeNode(
    idOrName: string,
    options: RemoveOptions & { force?: boolean } = {},
  ): Promise<WriteResult> {
    return this.write('RemoveNode', {
      id: idOrName,
      version: options.version ?? 0,
      force: options.force ?? false,
    });
  }

  // ---- secrets and configs ----------------------------------------------------------------

  async createSecret(spec: SecretInput): Promise<WriteResult> {
    const { data, ...rest } = spec;
    return this.write('CreateSecret', {
      specJson: specJson(rest),
      data: data === undefined ? Buffer.alloc(0) : dataBytes(data),
    });
  }

  /** The secret's metadata; its data is never returned. */
  async getSecret(idOrName: string, options?: ReadOptions): Promise<ObjectsByKind['secret']> {
    return this.get('GetSecret', 'secret', idOrName, options);
  }

  async listSecrets(filter?: ListFilter, options?: ReadOptions): Promise<Array<ObjectsByKind['secret']>> {
    return (await this.list('secret', filter, options)).items;
  }

  async removeSecret(idOrName: string, options: RemoveOptions = {}): Promise<WriteResult> {
    return this.write('RemoveSecret', { id: idOrName, version: options.version ?? 0 });
  }

  async createConfig(spec: ConfigInput): Promise<WriteResult> {
    const { data, ...rest } = spec;
    return this.write('CreateConfig', { specJson: specJson(rest), data: dataBytes(data) });
  }

  async getConfig(idOrName: string, options?: ReadOptions): Promise<ObjectsByKind['config']> {
    return this.get('GetConfig', 'config', idOrName, options);
  }

  async listConfigs(filter?: ListFilter, options?: ReadOptions): Promise<Array<ObjectsByKind['config']>> {
    return (await this.list('config', filter, options)).items;
  }

  async removeConfig(idOrName: string, options: RemoveOptions = {}): Promise<WriteResult> {
    return this.write('RemoveConfig', { id: idOrName, version: options.version ?? 0 });
  }

  // ---- cluster ----------------------------------------------------------------------------

  async getCluster(options?: ReadOptions): Promise<ObjectsByKind['cluster']> {
    return this.get('GetCluster', 'cluster', '', options);
  }

  async updateCluster(version: number, spec: ClusterSpec): Promise<WriteResult> {
    return this.write('UpdateCluster', { id: '', version, specJson: specJson(spec) });
  }

  /**
   * A client certificate (role admin) for `csr`: with it and the returned roots, FlotillaClient
   * reaches any manager's TCP address (`credentials: grpc.credentials.createSsl(...)`). `name`
   * labels it in listAdminCertificates; `id` (its CN) is unique to it and revokes it.
   */
  async issueAdminCertificate(
    csr: string,
    options: { name?: string } = {},
  ): Promise<{ id: string; certificateChain: string; rootCa: string }> {
    const { id, certificateChain, rootCa } = await this.call('IssueAdminCertificate', {
      csr,
      name: options.name ?? '',
    });
    return { id, certificateChain, rootCa };
  }

  /** The admin certificates the cluster issued that have not expired, in issue order. */
  async listAdminCertificates(options: ReadOptions = {}): Promise<AdminCertificate[]> {
    const { certificates } = await this.call('ListAdminCertificates', {
      linearizable: options.linearizable ?? false,
    });
    return certificates.map(adminCertificateFromWire);
  }

  /**
   * Revokes the admin certificate `idOrName` names (an id, a name only one has, or a unique id
   * prefix): every manager refuses it from the returned version on. Unknown: ControlError NOT_FOUND.
   */
  async revokeAdminCertificate(
    idOrName: string,
  ): Promise<{ certificate: AdminCertificate; version: number }> {
    const { certificate, version } = await this.call('RevokeAdminCertificate', { id: idOrName });
    if (!certificate)
      throw new ControlError('INTERNAL', 'the manager answered a revocation without the certificate');
    return { certificate: adminCertificateFromWire(certificate), version };
  }

  /** Starts a root CA rotation; it finishes once every node that is up has moved to the new root. */
  async rotateRootCA(): Promise<WriteResult> {
    return this.write('RotateRootCA', {});
  }

  /** The cluster's unlock key ('' when it is not autolocked). */
  async getUnlockKey(): Promise<string> {
    return (await this.call('GetUnlockKey', {})).unlockKey;
  }

  /** Replaces the unlock key of an autolocked cluster and returns the new one. */
  async rotateUnlockKey(): Promise<string> {
    return (await this.call('RotateUnlockKey', {})).unlockKey;
  }

  /** New join tokens for the roles named; the old ones stop working at once. */
  async rotateJoinTokens(roles: { worker?: boolean; manager?: boolean }): Promise<WriteResult> {
    return this.write('RotateJoinTokens', { worker: roles.worker ?? false, manager: roles.manager ?? false });
  }

  // ---- generic reads and watch ------------------------------------------------------------

  /** A filtered list with the store version it reflects (to watch from). */
  async list<K extends Exclude<Kind, 'cluster'>>(
    kind: K,
    filter?: K extends 'task' ? TaskFilter : ListFilter,
    options: ReadOptions = {},
  ): Promise<Listed<ObjectsByKind[K]>> {
    const method = LIST_METHODS[kind];
    const spec = CONTROL_METHODS[method];
    const request: RequestIn<typeof method> = {
      filter: wireListFilter(filter),
      linearizable: options.linearizable ?? false,
    };
    const call = this.client.makeServerStreamRequest(
      methodPath(method),
      serializer(spec.request),
      deserializer(spec.response),
      request,
      { deadline: Date.now() + this.timeoutMs },
    );
    // Chunks are decoded as they arrive, while the manager encodes the next ones.
    const items: Array<ObjectsByKind[K]> = [];
    let version = -1;
    try {
      for await (const chunk of call as AsyncIterable<ResponseOut<typeof method>>) {
        version = chunk.storeVersion;
        for (const json of chunk.objectsJson) items.push(decodeObject(kind, json));
      }
    } catch (err) {
      throw isStatus(err) ? errorFromStatus(err) : err;
    }
    if (version < 0) throw new ControlError('INTERNAL', `the manager ended the ${kind} list without a chunk`);
    return { items, version };
  }

  /**
   * Changes in commit order. Iterate with for-await; `break` or the abort signal ends the watch.
   * Throws CompactedError when `fromVersion` is older than the manager retains (re-list and
   * watch from the list's version), UnavailableError when the manager stops.
   */
  watch(filter: WatchFilter = {}, options: ClientWatchOptions = {}): AsyncIterable<WatchEvent> {
    return { [Symbol.asyncIterator]: () => this.watchEvents(filter, options) };
  }

  private async *watchEvents(filter: WatchFilter, options: ClientWatchOptions): AsyncGenerator<WatchEvent> {
    const { signal } = options;
    if (signal?.aborted) return;
    const spec = CONTROL_METHODS.Watch;
    const request: RequestIn<'Watch'> = {
      kinds: filter.kinds ?? [],
      ids: filter.ids ?? [],
      labels: labelMatches(filter.labels),
      types: filter.types ?? [],
      ...(options.fromVersion === undefined ? {} : { fromVersion: options.fromVersion }),
    };
    const call = this.client.makeServerStreamRequest(
      methodPath('Watch'),
      serializer(spec.request),
      deserializer(spec.response),
      request,
    );
    const cancel = (): void => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call as AsyncIterable<ResponseOut<'Watch'>>) {
        const kind = message.kind as Kind;
        yield {
          version: message.version,
          kind,
          type: message.type,
          object: decodeObject(kind, message.objectJson),
          ...(message.previousJson.length > 0 ? { previous: decodeObject(kind, message.previousJson) } : {}),
        } as WatchEvent;
      }
    } catch (err) {
      if (signal?.aborted && isStatus(err) && err.code === grpc.status.CANCELLED) return;
      throw isStatus(err) ? errorFromStatus(err) : err;
    } finally {
      signal?.removeEventListener('abort', cancel);
      // The iteration is over: the cancellation's own CANCELLED status has nobody to go to.
      call.on('error', () => {});
      call.cancel();
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private async get<K extends Kind>(
    method: 'GetService' | 'GetTask' | 'GetNode' | 'GetSecret' | 'GetConfig' | 'GetCluster',
    kind: K,
    id: string,
    options: ReadOptions = {},
  ): Promise<ObjectsByKind[K]> {
    const response = await this.call(method, { id, linearizable: options.linearizable ?? false });
    return decodeObject(kind, response.objectJson);
  }

  private async write<M extends WriteMethod>(method: M, request: RequestIn<M>): Promise<WriteResult> {
    const response = await this.call(method, request);
    return { id: response.id, version: response.version };
  }

  private call<M extends UnaryMethod>(method: M, request: RequestIn<M>): Promise<ResponseOut<M>> {
    const spec = CONTROL_METHODS[method];
    return new Promise<ResponseOut<M>>((resolve, reject) => {
      this.client.makeUnaryRequest(
        methodPath(method),
        serializer(spec.request) as (value: RequestIn<M>) => Buffer,
        deserializer(spec.response) as (frame: Buffer) => ResponseOut<M>,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + this.timeoutMs },
        (err, response) => {
          if (err) reject(unaryCallError(err));
          else if (response === undefined) reject(new ControlError('INTERNAL', `${method}: empty response`));
          else resolve(response);
        },
      );
    });
  }
}

/**
 * This client never cancels a unary call (it gives each a deadline): a CANCELLED status comes from
 * the manager's end, its server going away mid-call (a manager stopping or leaving), and leaves the
 * outcome as unknown as an unreachable manager does. So it is the same retryable error.
 */
function unaryCallError(err: grpc.ServiceError): Error {
  if (err.code === grpc.status.CANCELLED) return new UnavailableError('unreachable', err.details);
  return errorFromStatus(err);
}

type WriteMethod = {
  [M in UnaryMethod]: (typeof CONTROL_METHODS)[M]['response'] extends 'WriteResponse' ? M : never;
}[UnaryMethod];

const LIST_METHODS = {
  service: 'ListServices',
  task: 'ListTasks',
  node: 'ListNodes',
  secret: 'ListSecrets',
  config: 'ListConfigs',
} as const satisfies Record<Exclude<Kind, 'cluster'>, ListMethod>;

function isStatus(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

function adminCertificateFromWire(wire: AdminCertificate__Output): AdminCertificate {
  const { id, name, serial, issuedAt, expiresAt, revokedAt } = wire;
  return { id, name, serial, issuedAt, expiresAt, ...(revokedAt === '' ? {} : { revokedAt }) };
}
