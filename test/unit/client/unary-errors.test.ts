// What a unary call of the client throws when the manager's server goes away in the middle of it
// (a manager stopping, or leaving the cluster): the retryable UnavailableError, whichever status
// gRPC reports for it.

import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { FlotillaClient, UnavailableError } from '../../../src/client/index.js';
import { methodPath } from '../../../src/manager/control/index.js';
import { waitUntil } from '../../support/wait.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A server that takes CreateService calls and never answers them; resolves with its port. */
async function silentManager(server: grpc.Server, calls: { count: number }): Promise<number> {
  server.register(
    methodPath('CreateService'),
    () => {
      calls.count++; // and no answer
    },
    (value: Buffer) => value,
    (value: Buffer) => value,
    'unary',
  );
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

describe('FlotillaClient unary calls', () => {
  it("throw UnavailableError when the manager's server is shut down mid-call", async () => {
    const server = new grpc.Server();
    const calls = { count: 0 };
    const port = await silentManager(server, calls);
    const client = new FlotillaClient({ address: `127.0.0.1:${port}` });
    cleanups.push(() => client.close());
    const created = client.createService({ name: 'web', taskTemplate: { containerSpec: { image: 'b' } } });
    await waitUntil('the call reached the server', () => calls.count === 1);
    server.forceShutdown();
    const err = await created.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ reason: 'unreachable' });
  });
});
