// The tunnel's multiplexer over a plain loopback connection (127.0.0.250) that re-cuts the bytes
// into tiny seeded pieces, so frame headers and payloads straddle every read boundary: streams
// carry their bytes intact with a window far smaller than the transfer, FIN crosses as a half
// close, a refused open says why, and a peer that sends garbage loses the tunnel.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptAccepted, ReadForwarder } from '../../../src/mesh/read-forwarder.js';
import { TunnelSession, type TunnelStream } from '../../../src/mesh/tunnel/session.js';
import type { OpenRequest } from '../../../src/mesh/tunnel/frames.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';

const HOST = '127.0.0.250';
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

/** A relay that forwards each direction in pieces of 1..17 bytes (a seeded sequence). */
async function chopper(targetPort: number, seed: number): Promise<number> {
  let state = seed;
  const nextSize = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 1 + (state % 17);
  };
  const chop = (from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length;) {
        const n = Math.min(nextSize(), chunk.length - at);
        to.write(chunk.subarray(at, at + n));
        at += n;
      }
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
  };
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, HOST);
    sockets.add(inbound).add(outbound);
    chop(inbound, outbound);
    chop(outbound, inbound);
  });
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
  });
  return listen(server);
}

const settings = { clock: new ManualClock(), logger: silentLogger, pingIntervalMs: 1000, deadAfterPings: 3 };

function request(taskId: string): OpenRequest {
  return {
    taskId,
    targetPort: 80,
    protocol: 'tcp',
    proxyProtocol: 'off',
    sourceAddress: '10.0.0.9',
    sourcePort: 4000,
    destinationAddress: '10.0.0.1',
    destinationPort: 8080,
    idleTimeoutMs: 0,
  };
}

/** A tunnel whose accepting side connects every stream to an echo server (or refuses `refuse`). */
async function tunnel(
  window: number,
  seed: number,
): Promise<{ client: TunnelSession; opened: OpenRequest[] }> {
  const echo = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const echoPort = await listen(echo);
  const opened: OpenRequest[] = [];
  const tunnelServer = createServer((socket) => {
    const session = new TunnelSession(socket, {
      ...settings,
      side: 'server',
      peerNodeId: 'client-node',
      streamWindow: window,
      onOpen: (stream: TunnelStream, req: OpenRequest) => {
        opened.push(req);
        if (req.taskId === 'refuse') {
          stream.refuse({ code: 'ECONNREFUSED', message: 'nobody home' });
          return;
        }
        const reader = new ReadForwarder();
        const task = connect(
          { host: HOST, port: echoPort, allowHalfOpen: true, onread: reader.onread },
          () => {
            stream.accept();
            stream.attach(task, reader);
          },
        );
        task.on('error', () => {});
      },
    });
    cleanups.push(() => session.destroy());
  });
  const relayPort = await chopper(await listen(tunnelServer), seed);
  const socket = connect(relayPort, HOST);
  await new Promise((r) => socket.once('connect', r));
  const client = new TunnelSession(socket, {
    ...settings,
    side: 'client',
    peerNodeId: 'server-node',
    streamWindow: window,
  });
  cleanups.push(() => client.destroy());
  return { client, opened };
}

/**
 * A local socket pair: `app` is what a client program holds, `proxied` what the mesh attaches
 * (read through `reader`, as the mesh reads the connections it accepts).
 */
async function socketPair(): Promise<{ app: Socket; proxied: Socket; reader: ReadForwarder }> {
  let proxied: Socket | undefined;
  const reader = new ReadForwarder();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
    proxied = adoptAccepted(s, reader);
  });
  const port = await listen(server);
  const app = connect({ host: HOST, port, allowHalfOpen: true });
  await new Promise((r) => app.once('connect', r));
  while (proxied === undefined) await new Promise((r) => setTimeout(r, 1));
  cleanups.push(() => {
    app.destroy();
    proxied?.destroy();
  });
  return { app, proxied, reader };
}

describe('TunnelSession', () => {
  it('carries several streams intact through a tiny window and chopped reads, with half closes', async () => {
    for (const seed of [1, 7, 42]) {
      const { client, opened } = await tunnel(1024, seed);
      const transfers = await Promise.all(
        [0, 1, 2].map(async (n) => {
          const { app, proxied, reader } = await socketPair();
          const stream = client.open(request(`task${n}`));
          await stream.opened;
          stream.attach(proxied, reader);
          const payload = Buffer.alloc(96 * 1024 + n * 7, n + 1);
          for (let i = 0; i < payload.length; i += 97) payload[i] = i % 251;
          const chunks: Buffer[] = [];
          app.on('data', (c: Buffer) => chunks.push(c));
          const ended = new Promise<void>((r) => app.once('end', () => r()));
          app.end(payload);
          await ended;
          return Buffer.concat(chunks).equals(payload);
        }),
      );
      expect(transfers).toEqual([true, true, true]);
      expect(opened.map((r) => r.taskId).sort()).toEqual(['task0', 'task1', 'task2']);
      expect(opened[0]).toMatchObject({ sourceAddress: '10.0.0.9', destinationPort: 8080 });
      while (cleanups.length > 0) await cleanups.pop()!();
    }
  });

  it('rejects the open of a stream the other side refuses, with its reason', async () => {
    const { client } = await tunnel(64 * 1024, 3);
    const stream = client.open(request('refuse'));
    await expect(stream.opened).rejects.toMatchObject({
      code: 'BACKEND_UNREACHABLE',
      details: { remoteCode: 'ECONNREFUSED' },
    });
    // The tunnel itself serves on.
    const ok = client.open(request('fine'));
    await expect(ok.opened).resolves.toBeUndefined();
  });

  it('drops a tunnel whose peer sends bytes that are not frames, resetting its streams', async () => {
    const garbage = createServer((s) => {
      s.on('error', () => {});
      s.resume();
      s.write(Buffer.from([0xee, 0, 0, 0, 1, 0, 0, 0, 0]));
    });
    const port = await listen(garbage);
    const socket = connect(port, HOST);
    await new Promise((r) => socket.once('connect', r));
    const session = new TunnelSession(socket, {
      ...settings,
      side: 'client',
      peerNodeId: 'bad',
      streamWindow: 1024,
    });
    const stream = session.open(request('x'));
    const closed = new Promise<string>((r) => session.onClose((err) => r(err.code)));
    expect(await closed).toBe('TUNNEL_PROTOCOL');
    await expect(stream.opened).rejects.toMatchObject({ code: 'BACKEND_UNREACHABLE' });
  });

  it('declares a silent peer dead after the configured number of ping periods', async () => {
    const silent = createServer((s) => s.on('error', () => {}).resume());
    const port = await listen(silent);
    const socket = connect(port, HOST);
    await new Promise((r) => socket.once('connect', r));
    const clock = new ManualClock();
    const session = new TunnelSession(socket, {
      ...settings,
      clock,
      side: 'client',
      peerNodeId: 'quiet',
      streamWindow: 1024,
    });
    let code = '';
    session.onClose((err) => (code = err.code));
    clock.advance(1000); // heard at start: resets
    clock.advance(2000);
    expect(session.closed).toBe(false);
    clock.advance(1000);
    expect(session.closed).toBe(true);
    expect(code).toBe('TUNNEL_BROKEN');
  });
});
