// Every way a control request can fail, end to end: the gRPC status code and message a raw
// client sees, the typed error FlotillaClient rethrows, and that nothing changed. Bad input of
// every sort (malformed specs, unknown fields, wrong types, huge payloads, frames that do not
// decode) gets a clear error and the manager keeps serving.

import * as grpc from '@grpc/grpc-js';
import { startTestManager } from '../../../support/control-harness.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../../src/api/index.js';
import {
  AlreadyExistsError,
  CompactedError,
  FailedPreconditionError,
  FlotillaClient,
  NotFoundError,
  UnavailableError,
  ValidationError,
  VersionConflictError,
} from '../../../../src/index.js';
import {
  CONTROL_METHODS,
  methodPath,
  serializer,
  type ApiStore,
  type ControlService,
  type RequestIn,
  type MethodName,
  type UnaryMethod,
} from '../../../../src/manager/control/index.js';

interface Manager {
  store: ApiStore;
  client: FlotillaClient;
  control: ControlService;
  address: string;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startManager(
  options: { maxEvents?: number; maxRequestBytes?: number } = {},
): Promise<Manager> {
  const m = await startTestManager('m1', cleanups, options);
  await m.node.waitForLeader(5_000);
  return { store: m.store, client: m.client, control: m.control, address: m.address };
}

/** A call with hand-made bytes, to see the status exactly as any gRPC client would. */
async function rawCall(address: string, method: UnaryMethod, body: Uint8Array): Promise<grpc.ServiceError> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<grpc.ServiceError>((resolve, reject) =>
      client.makeUnaryRequest(
        methodPath(method),
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(body),
        (err) => (err ? resolve(err) : reject(new Error(`${method} succeeded`))),
      ),
    );
  } finally {
    client.close();
  }
}

function encode<M extends MethodName>(method: M, request: RequestIn<M>): Buffer {
  return (serializer(CONTROL_METHODS[method].request) as (value: RequestIn<M>) => Buffer)(request);
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function webSpec(overrides: Record<string, unknown> = {}): ServiceSpec {
  return {
    name: 'web',
    taskTemplate: { containerSpec: { image: 'nginx:1.27' } },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('invalid specs', () => {
  it('answer INVALID_ARGUMENT naming the field path and rule, and change nothing', async () => {
    const { address, client, store } = await startManager();
    const before = store.version;
    const spec = { name: 'web', taskTemplate: { containerSpec: {} } };
    const status = await rawCall(address, 'CreateService', encode('CreateService', { specJson: json(spec) }));
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toBe('spec.taskTemplate.containerSpec.image: required');
    expect(status.metadata.get('flotilla-path')).toEqual(['spec.taskTemplate.containerSpec.image']);
    expect(status.metadata.get('flotilla-rule')).toEqual(['required']);

    const err = await rejection(client.createService(spec as ServiceSpec));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ path: 'spec.taskTemplate.containerSpec.image', rule: 'required' });
    expect(store.version).toBe(before);
    expect(store.count('service')).toBe(0);
  });

  it('name unknown fields, wrong types and label keys beyond ASCII', async () => {
    const { client } = await startManager();
    await expect(client.createService(webSpec({ replicas: 3 }))).rejects.toMatchObject({
      path: 'spec.replicas',
      rule: 'unknown field',
    });
    await expect(client.createService(webSpec({ name: 42 }))).rejects.toMatchObject({ path: 'spec.name' });
    await expect(client.createService(webSpec({ labels: { é: 7 } }))).rejects.toMatchObject({
      path: 'spec.labels["é"]',
    });
    await expect(client.createService(webSpec({ big: 1n }))).rejects.toThrow(
      /spec: must be JSON-serialisable/,
    );
  });

  it('refuse malformed JSON, an empty spec and a frame that is not a protobuf message', async () => {
    const { address, client } = await startManager();
    const notJson = await rawCall(
      address,
      'CreateService',
      encode('CreateService', { specJson: Buffer.from('{"name":') }),
    );
    expect(notJson.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(notJson.details).toMatch(/^spec: not valid JSON \(/);
    const notUtf8 = await rawCall(
      address,
      'CreateSecret',
      encode('CreateSecret', { specJson: Buffer.from([0xc3, 0x28]) }),
    );
    expect(notUtf8.details).toBe('spec: not valid UTF-8');
    const empty = await rawCall(address, 'CreateService', encode('CreateService', {}));
    expect(empty.details).toBe('spec: required');
    for (const garbage of [Buffer.from([0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x05, 0x01])]) {
      const status = await rawCall(address, 'CreateService', garbage);
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toMatch(/^request: not a valid CreateRequest message/);
    }
    // The manager is still serving.
    await client.createService(webSpec());
  });

  it('keep the status small when the offending field path echoes a huge or malformed label key', async () => {
    const { client } = await startManager();
    const huge = 'k'.repeat(200_000);
    const err = await rejection(client.createService(webSpec({ labels: { [huge]: 7 } })));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).path).toMatch(/^spec\.labels\.k+…$/);
    expect(err.message.length).toBeLessThanOrEqual(2048);
    await expect(client.createService(webSpec({ labels: { '\ud800': 7 } }))).rejects.toMatchObject({
      path: 'spec.labels["\\ud800"]',
    });
    // The connection is still good.
    await client.createService(webSpec());
  });

  it('refuse a spec nested a hundred thousand levels deep at the first level too deep', async () => {
    const { address } = await startManager();
    const depth = 100_000;
    const labels = '['.repeat(depth) + ']'.repeat(depth);
    const text = `{"name":"web","taskTemplate":{"containerSpec":{"image":"x","labels":${labels}}}}`;
    const status = await rawCall(
      address,
      'CreateService',
      encode('CreateService', { specJson: Buffer.from(text) }),
    );
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(
      /^spec\.taskTemplate\.containerSpec\.labels(\[0\])+: must not nest deeper than 32/,
    );
  });

  it('refuse references to secrets that do not exist and data given twice', async () => {
    const { client, address } = await startManager();
    const secrets = [{ secretId: 'x'.repeat(25), secretName: 'token', file: { name: 'token' } }];
    const spec = webSpec({ taskTemplate: { containerSpec: { image: 'nginx', secrets } } });
    await expect(client.createService(spec)).rejects.toThrow(
      'spec.taskTemplate.containerSpec.secrets[0].secretId: no secret has this id',
    );
    const twice = encode('CreateSecret', {
      specJson: json({ name: 's', data: Buffer.from('a').toString('base64') }),
      data: Buffer.from('b'),
    });
    expect((await rawCall(address, 'CreateSecret', twice)).details).toMatch(/^spec.data: given twice/);
  });
});

describe('payload limits', () => {
  it('refuse a spec over the size limit, naming the limit', async () => {
    const { client } = await startManager();
    const err = await rejection(client.createService(webSpec({ labels: { big: 'x'.repeat(600 * 1024) } })));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe('spec: must be at most 524288 bytes as JSON');
  });

  it('refuse a message over the gRPC limit with RESOURCE_EXHAUSTED before reading it', async () => {
    const { address, client } = await startManager();
    const huge = encode('CreateService', { specJson: Buffer.alloc(5 * 1024 * 1024, 0x20) });
    const status = await rawCall(address, 'CreateService', huge);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/larger than max/);
    await expect(client.createService(webSpec())).resolves.toHaveProperty('id');
  });

  it("refuse a message over the control API's own limit on a server that accepts larger ones", async () => {
    const { address } = await startManager({ maxRequestBytes: 1024 });
    const status = await rawCall(
      address,
      'CreateService',
      encode('CreateService', { specJson: Buffer.alloc(4096, 0x20) }),
    );
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(
      /request too large: a CreateRequest of \d+ bytes exceeds the limit of 1024 bytes/,
    );
  });
});

describe('conflicts and lookups', () => {
  it('refuse a duplicate name with ALREADY_EXISTS naming the holder', async () => {
    const { client, address } = await startManager();
    const { id } = await client.createService(webSpec());
    const err = await rejection(client.createService(webSpec()));
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(err).toMatchObject({ kind: 'service', objectName: 'web', existingId: id });
    const status = await rawCall(
      address,
      'CreateService',
      encode('CreateService', { specJson: json(webSpec()) }),
    );
    expect(status.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(status.details).toBe(`a service named "web" already exists (${id})`);
  });

  it('refuse a stale version with ABORTED carrying the current version, and apply nothing', async () => {
    const { client, address } = await startManager();
    const created = await client.createService(webSpec());
    const updated = await client.updateService('web', created.version, webSpec({ labels: { v: '2' } }));
    const err = await rejection(
      client.updateService('web', created.version, webSpec({ labels: { v: '3' } })),
    );
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err).toMatchObject({ expected: created.version, current: updated.version });
    expect(err.message).toContain(`current version is ${updated.version}`);
    expect((await client.getService('web')).spec.labels).toEqual({ v: '2' });
    const request = encode('UpdateService', {
      id: created.id,
      version: created.version,
      specJson: json(webSpec()),
    });
    const status = await rawCall(address, 'UpdateService', request);
    expect(status.code).toBe(grpc.status.ABORTED);
    expect(status.metadata.get('flotilla-current-version')).toEqual([String(updated.version)]);
    await expect(client.removeService('web', { version: created.version })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
  });

  it('require a version on updates, and refuse renaming a service or changing its mode', async () => {
    const { client } = await startManager();
    const { version } = await client.createService(webSpec());
    await expect(client.updateService('web', 0, webSpec())).rejects.toMatchObject({ path: 'version' });
    await expect(client.updateService('web', version, webSpec({ name: 'www' }))).rejects.toThrow(
      'spec.name: cannot be changed (the service is named "web")',
    );
    await expect(client.updateService('web', version, webSpec({ mode: { global: {} } }))).rejects.toThrow(
      'spec.mode: cannot change from replicated to global',
    );
  });

  it('answer NOT_FOUND for ids and names that name nothing', async () => {
    const { client, address } = await startManager();
    const err = await rejection(client.getService('nope'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ kind: 'service', id: 'nope', message: 'service nope not found' });
    await expect(client.removeSecret('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      client.updateNode('nope', 1, { role: 'worker', availability: 'active' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const status = await rawCall(address, 'GetTask', encode('GetTask', { id: 'nope' }));
    expect(status.code).toBe(grpc.status.NOT_FOUND);
    await expect(client.getService('')).rejects.toMatchObject({ path: 'id', rule: 'required' });
  });

  it('refuse filters that cannot match anything sensible', async () => {
    const { client } = await startManager();
    await expect(client.listTasks({ desiredStates: 'bogus' as 'running' })).rejects.toThrow(
      /^filter.desiredStates\[0\]: must be one of new, pending/,
    );
    await expect(client.listServices({ services: 'web' } as never)).rejects.toThrow(
      'filter.serviceIds: only tasks can be filtered by it',
    );
  });

  it('answer FAILED_PRECONDITION for a cluster that is not initialised', async () => {
    const { client } = await startManager();
    await expect(client.getCluster()).rejects.toBeInstanceOf(FailedPreconditionError);
  });
});

describe('node removal', () => {
  it('is refused for a ready node unless forced, and for a manager even when forced', async () => {
    const { client, store, address } = await startManager();
    const node = (name: string, state: 'ready' | 'down', role: 'worker' | 'manager') => ({
      op: 'create' as const,
      kind: 'node' as const,
      object: { spec: { name, role, availability: 'active' as const }, status: { state, addr: '10.0.0.2' } },
    });
    await store.update([node('up', 'ready', 'worker'), node('boss', 'ready', 'manager')]);

    const status = await rawCall(address, 'RemoveNode', encode('RemoveNode', { id: 'up' }));
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(status.details).toMatch(/is not down and can't be removed/);
    await expect(client.removeNode('up')).rejects.toBeInstanceOf(FailedPreconditionError);
    expect(store.count('node')).toBe(2);
    await client.removeNode('up', { force: true });
    expect(store.count('node')).toBe(1);

    await expect(client.removeNode('boss', { force: true })).rejects.toThrow(/demote it to a worker/);
    const boss = await client.getNode('boss');
    await expect(
      client.updateNode('boss', boss.meta.version.index, { ...boss.spec, role: 'worker' }),
    ).rejects.toThrow(/last manager/);
  });
});

describe('secret data', () => {
  it('is in no response: not the create, get or list answers', async () => {
    const { address, client } = await startManager();
    const needle = 'very-secret-value-4711';
    const base64 = Buffer.from(needle).toString('base64');
    const received: Buffer[] = [];
    const capture = async (method: UnaryMethod, body: Buffer): Promise<void> => {
      const raw = new grpc.Client(address, grpc.credentials.createInsecure());
      received.push(
        await new Promise<Buffer>((resolve, reject) =>
          raw.makeUnaryRequest(
            methodPath(method),
            (b: Buffer) => b,
            (b: Buffer) => b,
            body,
            (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res)),
          ),
        ),
      );
      raw.close();
    };
    await capture(
      'CreateSecret',
      encode('CreateSecret', { specJson: json({ name: 'pw' }), data: Buffer.from(needle) }),
    );
    await capture('GetSecret', encode('GetSecret', { id: 'pw' }));
    // Lists are streams of chunks: every chunk's bytes are checked.
    const rawList = new grpc.Client(address, grpc.credentials.createInsecure());
    const chunks = rawList.makeServerStreamRequest(
      methodPath('ListSecrets'),
      (b: Buffer) => b,
      (b: Buffer) => b,
      encode('ListSecrets', {}),
    );
    for await (const chunk of chunks as AsyncIterable<Buffer>) received.push(chunk);
    rawList.close();
    for (const bytes of received) {
      expect(bytes.includes(needle)).toBe(false);
      expect(bytes.includes(base64)).toBe(false);
      expect(bytes.includes('"pw"')).toBe(true);
    }
    expect((await client.getSecret('pw')).spec).not.toHaveProperty('data');
  });
});

describe('watch errors', () => {
  it('end a watch from a compacted version with CompactedError, and bad filters with ValidationError', async () => {
    const { client } = await startManager({ maxEvents: 2 });
    for (const name of ['a', 'b', 'c', 'd']) await client.createService(webSpec({ name }));
    const iterate = async (watch: AsyncIterable<unknown>): Promise<void> => {
      for await (const _ of watch) break;
    };
    const err = await rejection(iterate(client.watch({}, { fromVersion: 1 })));
    expect(err).toBeInstanceOf(CompactedError);
    expect((err as CompactedError).oldest).toBeGreaterThan(1);
    await expect(iterate(client.watch({ kinds: ['bogus' as 'service'] }))).rejects.toThrow(
      /^kinds\[0\]: must be one of/,
    );
  });

  it('end open watches with UnavailableError when the service stops', async () => {
    const { client, control } = await startManager();
    const start = (await client.list('service')).version;
    const watching = (async () => {
      for await (const _ of client.watch({}, { fromVersion: start })) {
        // No events are expected before the stop.
      }
    })();
    const deadline = Date.now() + 5_000;
    while (control.openWatches === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(control.openWatches).toBe(1);
    control.stop();
    const err = await rejection(watching);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ reason: 'stopping', retryable: true });
  });
});
