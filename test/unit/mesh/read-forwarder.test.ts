// ReadForwarder against a fake client socket that completes some writes at once and queues
// others (keeping a reference to the chunk, as a real socket does until the kernel takes it),
// with reads simulated the way libuv does them: into the buffer `onread.buffer()` gives, then
// the callback. Nothing may reach the client changed, whatever mix of the two happens.
// adoptAccepted on real loopback sockets (127.0.0.250): an accepted connection reads through a
// forwarder, keeps its addresses and ends, and no longer holds its server open.

import { EventEmitter, once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  adoptAccepted,
  READ_BUFFER_MAX_BYTES,
  READ_BUFFER_MIN_BYTES,
  ReadForwarder,
} from '../../../src/mesh/read-forwarder.js';

/** A client socket whose writes complete at once unless `queueing`; queued chunks are kept by reference. */
class FakeClient extends EventEmitter {
  queueing = false;
  readonly delivered: Buffer[] = [];
  private readonly queue: Buffer[] = [];
  destroyed = false;
  writableEnded = false;

  get writableLength(): number {
    return this.queue.reduce((n, c) => n + c.length, 0);
  }

  write(chunk: Buffer): boolean {
    if (this.queueing || this.queue.length > 0) this.queue.push(chunk);
    else this.delivered.push(Buffer.from(chunk)); // the kernel copied it
    return this.writableLength < 16 * 1024;
  }

  /** The kernel takes everything queued (copying it only now), then 'drain'. */
  flush(): void {
    for (const chunk of this.queue.splice(0)) this.delivered.push(Buffer.from(chunk));
    this.emit('drain');
  }
}

class FakeSource {
  paused = true;
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

function setup(): {
  forwarder: ReadForwarder;
  client: FakeClient;
  source: FakeSource;
  read: (data: Buffer) => number;
} {
  const forwarder = new ReadForwarder();
  const client = new FakeClient();
  const source = new FakeSource();
  forwarder.startToSocket(source as unknown as Socket, client as unknown as Socket);
  const { buffer, callback } = forwarder.onread as {
    buffer: () => Uint8Array;
    callback: (n: number, b: Uint8Array) => boolean;
  };
  return {
    forwarder,
    client,
    source,
    /** One read of (the start of) `data`; how many bytes it took. */
    read: (data: Buffer): number => {
      const target = buffer();
      const n = Math.min(data.length, target.length);
      target.set(data.subarray(0, n));
      if (callback(n, target) === false) source.pause();
      return n;
    },
  };
}

describe('ReadForwarder', () => {
  it('delivers every byte unchanged through any mix of completed and queued writes', () => {
    const { client, source, read } = setup();
    const sent: Buffer[] = [];
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      if (source.paused) {
        client.flush();
        continue;
      }
      client.queueing = random() < 0.3;
      const chunk = Buffer.alloc(1 + Math.floor(random() * 40_000), i % 251);
      sent.push(chunk.subarray(0, read(chunk)));
      if (random() < 0.2) client.flush();
    }
    client.flush();
    const expected = Buffer.concat(sent);
    const got = Buffer.concat(client.delivered);
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
  });

  it('pauses the task socket while the client is full and resumes it on drain', () => {
    const { client, source, read } = setup();
    expect(source.paused).toBe(false);
    client.queueing = true;
    read(Buffer.alloc(20_000, 1));
    expect(source.paused).toBe(true);
    client.flush();
    expect(source.paused).toBe(false);
  });

  it('grows its buffer while reads fill it and shrinks it while they are small', () => {
    const { forwarder, read } = setup();
    const size = (): number => (forwarder.onread as { buffer: () => Uint8Array }).buffer().length;
    expect(size()).toBe(READ_BUFFER_MIN_BYTES);
    for (let i = 0; i < 10; i++) read(Buffer.alloc(size(), 2));
    expect(size()).toBe(READ_BUFFER_MAX_BYTES);
    for (let i = 0; i < 10; i++) read(Buffer.alloc(100, 3));
    expect(size()).toBe(READ_BUFFER_MIN_BYTES);
  });

  it('forwards nothing once stopped or once the client is gone', () => {
    const { forwarder, client, read } = setup();
    read(Buffer.from('one'));
    forwarder.stop();
    read(Buffer.from('two'));
    expect(Buffer.concat(client.delivered).toString()).toBe('one');
  });
});

describe('adoptAccepted', () => {
  const HOST = '127.0.0.250';

  it('reads an accepted connection through the forwarder, with its addresses, writes and end', async () => {
    const reader = new ReadForwarder();
    const received: Buffer[] = [];
    const adopted = new Promise<Socket>((resolve) => {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (accepted) => {
        const socket = adoptAccepted(accepted, reader);
        // Paused until the forwarder starts: nothing is read before a sink is named.
        setTimeout(() => {
          reader.start(socket, (chunk) => {
            received.push(Buffer.from(chunk));
            return false;
          });
          resolve(socket);
        }, 20);
        server.close();
      });
      server.listen(0, HOST, () => {
        const client = connect({ host: HOST, port: (server.address() as { port: number }).port });
        client.on('connect', () => {
          client.write('hello ');
          client.write('mesh');
          client.on('data', (d: Buffer) => {
            expect(d.toString()).toBe('reply');
            client.end();
          });
        });
        client.once('close', () => client.destroy());
      });
    });
    const socket = await adopted;
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect(socket.localAddress).toBe(HOST);
    // The server closed without waiting for this connection: it left the server's count.
    socket.write('reply');
    await once(socket, 'end');
    expect(Buffer.concat(received).toString()).toBe('hello mesh');
    expect(socket.bytesRead).toBe(10);
    socket.end();
    await once(socket, 'close');
  });

  it('lets the server close while an adopted connection is still open', async () => {
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      adoptAccepted(accepted, new ReadForwarder());
    });
    await new Promise<void>((r) => server.listen(0, HOST, () => r()));
    const client = connect({ host: HOST, port: (server.address() as { port: number }).port });
    await once(client, 'connect');
    await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    client.destroy();
  });

  it('feeds the sink from data events where there is no handle to move', () => {
    const accepted = new (class extends EventEmitter {
      readonly _handle = null;
      pause(): void {}
      resume(): void {}
    })();
    const reader = new ReadForwarder();
    const socket = adoptAccepted(accepted as unknown as Socket, reader);
    expect(socket).toBe(accepted);
    const received: string[] = [];
    reader.start(socket, (chunk) => {
      received.push(chunk.toString());
      return true;
    });
    accepted.emit('data', Buffer.from('as is'));
    expect(received).toEqual(['as is']);
  });
});
