// In-process managers for control API tests: a ReplicatedStore over a RaftNode (memory storage,
// an in-process transport, fast timings) behind a real gRPC server on 127.0.0.1, and a
// FlotillaClient to it. Everything started is registered with the caller's cleanups.

import * as grpc from '@grpc/grpc-js';
import { FlotillaClient } from '../../src/index.js';
import {
  controlServerOptions,
  registerControlService,
  type ApiObjectTypes,
  type ApiStore,
  type ControlService,
} from '../../src/manager/control/index.js';
import { ReplicatedStore, type TransactionResult } from '../../src/manager/store/index.js';
import { LocalHub, MemoryStorage, RaftNode } from '../../src/raft/index.js';

export type Cleanups = Array<() => Promise<void> | void>;

export interface TestManager {
  id: string;
  node: RaftNode<TransactionResult>;
  store: ApiStore;
  control: ControlService;
  client: FlotillaClient;
  address: string;
}

export interface TestManagerOptions {
  hub?: LocalHub;
  /** The founding members; defaults to this one alone. */
  members?: string[];
  maxEvents?: number;
  maxRequestBytes?: number;
  writeTimeoutMs?: number;
}

export async function startTestManager(
  id: string,
  cleanups: Cleanups,
  options: TestManagerOptions = {},
): Promise<TestManager> {
  const members = options.members ?? [id];
  const store = new ReplicatedStore<ApiObjectTypes>({ maxEvents: options.maxEvents });
  const node = new RaftNode<TransactionResult>({
    id,
    address: id,
    storage: new MemoryStorage(),
    transport: (options.hub ?? new LocalHub()).transport(id),
    stateMachine: store,
    bootstrap: members.map((m) => ({ id: m, address: m })),
    heartbeatMs: 10,
    electionMs: 100,
  });
  store.attach(node);
  await node.start();
  cleanups.push(() => node.stop());
  const server = new grpc.Server(controlServerOptions());
  const control = registerControlService(server, {
    store,
    node,
    maxRequestBytes: options.maxRequestBytes,
    writeTimeoutMs: options.writeTimeoutMs,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  cleanups.push(() => {
    control.stop();
    server.forceShutdown();
  });
  const address = `127.0.0.1:${port}`;
  const client = new FlotillaClient({ address });
  cleanups.push(() => client.close());
  return { id, node, store, control, client, address };
}
