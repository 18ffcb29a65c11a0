// resetSocket: a reset when one is possible, a plain destroy for a socket already ending — where
// Node's resetAndDestroy would leave the handle open forever (it never emits 'close').

import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resetSocket } from '../../../src/mesh/socket-reset.js';
import { waitUntil } from '../../support/wait.js';

const HOST = '127.0.0.250';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A connected pair: `ours` (the side we reset) and `peer` (the server side). */
async function pair(): Promise<{ ours: Socket; peer: Socket; peerEvents: string[] }> {
  const peerEvents: string[] = [];
  let peer: Socket | undefined;
  const server = createServer({ allowHalfOpen: true }, (s) => {
    peer = s;
    s.on('error', (err) => peerEvents.push((err as NodeJS.ErrnoException).code ?? 'error'));
    s.on('end', () => peerEvents.push('end'));
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  const ours = connect({
    host: HOST,
    port: (server.address() as { port: number }).port,
    allowHalfOpen: true,
  });
  ours.on('error', () => {});
  await new Promise((r) => ours.once('connect', r));
  await waitUntil('the server to accept', () => peer !== undefined);
  cleanups.push(() => {
    ours.destroy();
    peer?.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { ours, peer: peer!, peerEvents };
}

describe('resetSocket', () => {
  it('resets an open connection: the peer sees ECONNRESET', async () => {
    const { ours, peerEvents } = await pair();
    const closed = new Promise<void>((r) => ours.once('close', () => r()));
    resetSocket(ours);
    await closed;
    await waitUntil('the peer to see the reset', () => peerEvents.includes('ECONNRESET'));
  });

  it('closes a connection whose FIN is already queued instead of leaving its handle open', async () => {
    const { ours } = await pair();
    ours.end();
    const closed = new Promise<void>((r) => ours.once('close', () => r()));
    resetSocket(ours);
    await closed; // with resetAndDestroy, 'close' never comes (and libuv keeps polling the socket)
    expect(ours.destroyed).toBe(true);
  });
});
