// ReadForwarder against a fake client socket that completes some writes at once and queues
// others (keeping a reference to the chunk, as a real socket does until the kernel takes it),
// with reads simulated the way libuv does them: into the buffer `onread.buffer()` gives, then
// the callback. Nothing may reach the client changed, whatever mix of the two happens.

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  READ_BUFFER_MAX_BYTES,
  READ_BUFFER_MIN_BYTES,
  ReadForwarder,
} from '../../../src/mesh/task-connect.js';

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
  forwarder.start(source as unknown as Socket, client as unknown as Socket);
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
