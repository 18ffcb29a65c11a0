// The locked state of an autolocked manager (proto/unlock.proto): on its admin socket it serves
// only Unlock, which checks the key against the key files and node.key (both wrapped by it) before
// anything else happens; the daemon then starts the manager with it. Plus the client call
// `flotilla unlock` makes.

import { rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { UnlockRequest__Output } from '../generated/flotilla/unlock/v1/UnlockRequest.js';
import type { UnlockResponse } from '../generated/flotilla/unlock/v1/UnlockResponse.js';
import type { ProtoGrpcType } from '../generated/unlock.js';
import type { Logger } from '../util/logger.js';
import { CertificateError } from '../ca/index.js';
import { ControlError, toStatus } from './control/index.js';
import { KeyError } from './keys/index.js';
import { openKeysAndCertificates } from './manager-parts.js';
import { loadProtoPackage } from '../util/proto-package.js';
import { callUnary } from '../client/unary.js';

function lockedService(): ProtoGrpcType['flotilla']['unlock']['v1']['Locked'] {
  return loadProtoPackage<ProtoGrpcType>('unlock.proto').flotilla.unlock.v1.Locked;
}

/**
 * Serves Unlock on `socketPath` until a key opens what Manager.start opens with it in `dataDir`
 * (the key files, then node.key); resolves with that key once the socket is closed again (the
 * manager binds it next). A key that does not is answered with why, and nothing on disk changes.
 */
export async function waitForUnlock(
  socketPath: string,
  dataDir: string,
  log: Logger,
  onListening: () => void = () => {},
): Promise<string> {
  const server = new grpc.Server();
  let unlocked: (key: string) => void = () => {};
  const done = new Promise<string>((resolve) => (unlocked = resolve));
  server.addService(lockedService().service, {
    Unlock: (
      call: grpc.ServerUnaryCall<UnlockRequest__Output, UnlockResponse>,
      callback: grpc.sendUnaryData<UnlockResponse>,
    ) => {
      const key = call.request.unlockKey;
      openKeysAndCertificates(dataDir, key).then(
        () => {
          callback(null, {});
          unlocked(key);
        },
        (err: unknown) => callback(toStatus(asApiError(err), log, { method: 'Unlock' })),
      );
    },
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  log.warn('this manager is locked: run `flotilla unlock` with the cluster unlock key');
  onListening();
  const key = await done;
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return key;
}

function asApiError(err: unknown): unknown {
  // The key opened the key files, yet node.key is damaged or missing: the message names the file.
  if (err instanceof CertificateError) return new ControlError('FAILED_PRECONDITION', err.message);
  if (!(err instanceof KeyError)) return err;
  if (err.code === 'KEYS_WRONG_UNLOCK_KEY') return new ControlError('PERMISSION_DENIED', err.message);
  if (err.code === 'KEYS_BAD_UNLOCK_KEY') return new ControlError('INVALID_ARGUMENT', err.message);
  return new ControlError('FAILED_PRECONDITION', err.message);
}

/** Unlocks the locked manager whose admin socket is `socketPath`. */
export async function callUnlock(socketPath: string, unlockKey: string, timeoutMs = 10_000): Promise<void> {
  const Client = lockedService();
  await callUnary(
    new Client(`unix:${socketPath}`, grpc.credentials.createInsecure()),
    timeoutMs,
    (c, o, cb) => c.unlock({ unlockKey }, o, cb),
  );
}
