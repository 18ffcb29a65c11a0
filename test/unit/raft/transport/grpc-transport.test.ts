// The gRPC peer transport between real servers on 127.0.0.x: delivery of every message kind,
// order, reconnection, the send queue bound, the separate snapshot stream, hostile input, and a
// clean stop.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../../src/raft/core/messages.js';
import { serializeBatch } from '../../../../src/raft/transport/codec.js';
import {
  GrpcRaftTransport,
  raftServerOptions,
  type TransportOptions,
} from '../../../../src/raft/transport/index.js';

const started: GrpcRaftTransport[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

/** A transport that is stopped after the test, whatever happens in it. */
function transport(selfId: string, options: Partial<TransportOptions> = {}): GrpcRaftTransport {
  const t = new GrpcRaftTransport({ selfId, reconnectBackoffMs: { initial: 20, max: 200 }, ...options });
  started.push(t);
  return t;
}

/** A transport listening on host, collecting what it receives. */
async function node(selfId: string, host: string, port = 0, options: Partial<TransportOptions> = {}) {
  const t = transport(selfId, options);
  const inbox: Message[] = [];
  t.onMessage((m) => inbox.push(m));
  const boundPort = await t.listen(`${host}:${port}`);
  return { t, inbox, address: `${host}:${boundPort}`, port: boundPort };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A port nobody listens on (it was bound, then released). */
async function freePort(host: string): Promise<number> {
  const t = new GrpcRaftTransport({ selfId: 'probe' });
  const port = await t.listen(`${host}:0`);
  await t.stop();
  return port;
}

const heartbeat = (from: string, to: string, commit: number): Message => ({
  type: 'Heartbeat',
  from,
  to,
  term: 1,
  commit,
  context: '',
});

function append(from: string, to: string, index: number, data: Uint8Array): Message {
  return {
    type: 'App',
    from,
    to,
    term: 2,
    prevLogIndex: index - 1,
    prevLogTerm: 2,
    commit: 0,
    entries: [{ term: 2, index, type: 0, data }],
  };
}

function commits(inbox: Message[]): number[] {
  return inbox.flatMap((m) => (m.type === 'Heartbeat' ? [m.commit] : []));
}

/** Buffers and Uint8Arrays compare by content, not by class. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function everyKind(from: string, to: string): Message[] {
  const b = { from, to, term: 3 };
  return [
    { ...b, type: 'Vote', lastLogIndex: 5, lastLogTerm: 2, transfer: true },
    { ...b, type: 'PreVote', lastLogIndex: 5, lastLogTerm: 2, transfer: false },
    { ...b, type: 'VoteResp', reject: false },
    { ...b, type: 'PreVoteResp', reject: true },
    {
      ...b,
      type: 'App',
      prevLogIndex: 5,
      prevLogTerm: 2,
      commit: 4,
      entries: [{ term: 3, index: 6, type: 1, data: new Uint8Array([1, 2]) }],
    },
    { ...b, type: 'AppResp', reject: false, index: 6, hintIndex: 0, hintTerm: 0 },
    { ...b, type: 'Heartbeat', commit: 6, context: 'ctx' },
    { ...b, type: 'HeartbeatResp', context: 'ctx' },
    {
      ...b,
      type: 'Snap',
      metadata: {
        index: 6,
        term: 3,
        confState: { voters: [from, to], learners: [], addresses: { [from]: 'x:1', [to]: 'y:2' } },
      },
      totalSize: 3,
      offset: 0,
      data: new Uint8Array([7, 7, 7]),
    },
    { ...b, type: 'SnapResp', snapshotIndex: 6, snapshotTerm: 3, received: 3, done: true, reject: false },
    { ...b, type: 'TimeoutNow' },
    { ...b, type: 'Prop', entries: [{ type: 0, data: new Uint8Array([9]) }], contexts: ['c1'] },
    { ...b, type: 'PropResp', contexts: ['c1'], index: 7, entryTerm: 3, rejectReason: '' },
    { ...b, type: 'ReadIndex', context: 'r' },
    { ...b, type: 'ReadIndexResp', context: 'r', index: 6 },
  ];
}

describe('GrpcRaftTransport', () => {
  it('delivers every kind of message, field for field, in both directions', async () => {
    const a = await node('a', '127.0.0.2');
    const b = await node('b', '127.0.0.3');
    a.t.setPeer('b', b.address);
    b.t.setPeer('a', a.address);

    a.t.send(everyKind('a', 'b'));
    b.t.send(everyKind('b', 'a'));
    await waitFor(() => a.inbox.length === 15 && b.inbox.length === 15, 'all 15 kinds on both sides');

    // Snap travels on its own stream, so compare by kind rather than by arrival position.
    const byType = (ms: Message[]) => plain([...ms].sort((x, y) => x.type.localeCompare(y.type)));
    expect(byType(b.inbox)).toEqual(byType(everyKind('a', 'b')));
    expect(byType(a.inbox)).toEqual(byType(everyKind('b', 'a')));
    expect(a.t.stats()).toMatchObject({ sent: 15, received: 15, dropped: 0, rejected: 0 });
  });

  it('preserves the order of messages to a peer across many batches', async () => {
    const a = await node('a', '127.0.0.2');
    const b = await node('b', '127.0.0.3');
    a.t.setPeer('b', b.address);
    const total = 20_000;
    const data = new Uint8Array(64).fill(1);
    let next = 1;
    while (next <= total) {
      // Keep what is in flight below the queue bound so nothing is dropped: this is about order.
      await waitFor(() => next - 1 - b.inbox.length < 2_000, 'the receiver to catch up');
      const burst = 1 + (next % 97);
      const messages: Message[] = [];
      for (let i = 0; i < burst && next <= total; i++, next++) messages.push(append('a', 'b', next, data));
      a.t.send(messages);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => b.inbox.length === total, `${total} messages`);

    const indexes = b.inbox.map((m) => (m.type === 'App' ? m.entries[0]!.index : -1));
    expect(indexes).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(a.t.stats().dropped).toBe(0);
  });

  it('delivers later messages to a peer that was down and comes up', async () => {
    const host = '127.0.0.3';
    const port = await freePort(host);
    const a = await node('a', '127.0.0.2');
    a.t.setPeer('b', `${host}:${port}`);
    a.t.send([heartbeat('a', 'b', 1)]);
    await new Promise((resolve) => setTimeout(resolve, 100)); // let a connection attempt fail first

    const b = await node('b', host, port);
    let commit = 1;
    const sender = setInterval(() => a.t.send([heartbeat('a', 'b', ++commit)]), 10);
    cleanups.push(() => clearInterval(sender));
    await waitFor(() => commits(b.inbox).some((c) => c > 5), 'a heartbeat sent after the peer came up');

    const received = commits(b.inbox);
    expect(received).toEqual([...received].sort((x, y) => x - y));
  });

  it('reconnects to a peer that restarts on the same address', async () => {
    const a = await node('a', '127.0.0.2');
    const b1 = await node('b', '127.0.0.3');
    a.t.setPeer('b', b1.address);
    a.t.send([heartbeat('a', 'b', 1)]);
    await waitFor(() => b1.inbox.length === 1, 'the first heartbeat');

    await b1.t.stop();
    const b2 = await node('b', '127.0.0.3', b1.port);
    let commit = 1;
    const sender = setInterval(() => a.t.send([heartbeat('a', 'b', ++commit)]), 10);
    cleanups.push(() => clearInterval(sender));
    await waitFor(() => b2.inbox.length > 0, 'a heartbeat on the restarted peer');
    expect(a.t.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('follows a peer to its new address', async () => {
    const a = await node('a', '127.0.0.2');
    const old = await node('b', '127.0.0.3');
    const moved = await node('b', '127.0.0.4');
    a.t.setPeer('b', old.address);
    a.t.send([heartbeat('a', 'b', 1)]);
    await waitFor(() => old.inbox.length === 1, 'a heartbeat at the old address');

    a.t.setPeer('b', moved.address);
    a.t.send([heartbeat('a', 'b', 2)]);
    await waitFor(() => moved.inbox.length === 1, 'a heartbeat at the new address');
    expect(commits(moved.inbox)).toEqual([2]);
    expect(old.inbox).toHaveLength(1);
  });

  it('drops and counts messages beyond the send queue bound, and delivers the rest', async () => {
    const host = '127.0.0.3';
    const port = await freePort(host);
    const a = transport('a', { sendQueueLimit: 10 });
    a.setPeer('b', `${host}:${port}`);

    // The peer is unreachable: 10 messages fit, the other 90 are dropped. Handing the 10 to the
    // stream (which waits for its connection) does not free their room until they are sent.
    a.send(Array.from({ length: 100 }, (_, i) => heartbeat('a', 'b', i)));
    await new Promise((resolve) => setImmediate(resolve));
    a.send(Array.from({ length: 100 }, (_, i) => heartbeat('a', 'b', 100 + i)));
    a.send([heartbeat('a', 'nobody', 0)]); // no such peer: dropped too
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.stats()).toMatchObject({ sent: 10, dropped: 191 });

    const b = await node('b', host, port);
    await waitFor(() => b.inbox.length === 10, 'the 10 waiting heartbeats');
    expect(commits(b.inbox)).toEqual(Array.from({ length: 10 }, (_, i) => i));

    // Once they are on the wire the bound has room again.
    a.send(Array.from({ length: 10 }, (_, i) => heartbeat('a', 'b', 200 + i)));
    await waitFor(() => b.inbox.length === 20, '10 more heartbeats');
    expect(a.stats()).toMatchObject({ sent: 20, dropped: 191 });
  });

  it('sends a large snapshot on its own stream while heartbeats keep flowing', async () => {
    const a = await node('a', '127.0.0.2');
    const b = await node('b', '127.0.0.3');
    a.t.setPeer('b', b.address);
    a.t.send([heartbeat('a', 'b', 0)]);
    await waitFor(() => b.inbox.length === 1, 'the connection to come up');

    const chunkBytes = 4 * 1024 * 1024;
    const chunks = 8;
    const metadata = { index: 500, term: 4, confState: { voters: ['a', 'b'], learners: [], addresses: {} } };
    const snap: Message[] = Array.from({ length: chunks }, (_, i) => ({
      type: 'Snap',
      from: 'a',
      to: 'b',
      term: 4,
      metadata,
      totalSize: chunks * chunkBytes,
      offset: i * chunkBytes,
      data: new Uint8Array(chunkBytes).fill(i + 1),
    }));
    // 32 MiB of snapshot first, then a heartbeat: on a shared stream it would wait for all of it.
    a.t.send(snap);
    a.t.send([heartbeat('a', 'b', 1)]);
    await waitFor(
      () => b.inbox.filter((m) => m.type === 'Snap').length === chunks,
      'every snapshot chunk',
      60_000,
    );

    const arrival = b.inbox.map((m) =>
      m.type === 'Snap'
        ? `snap@${m.offset / chunkBytes}`
        : `heartbeat@${m.type === 'Heartbeat' ? m.commit : -1}`,
    );
    expect(arrival.indexOf('heartbeat@1')).toBeGreaterThan(-1);
    expect(arrival.indexOf('heartbeat@1')).toBeLessThan(arrival.indexOf(`snap@${chunks - 1}`));
    const received = b.inbox.flatMap((m) => (m.type === 'Snap' ? [m] : []));
    expect(received.map((m) => m.offset)).toEqual(snap.map((m) => (m.type === 'Snap' ? m.offset : -1)));
    for (const [i, m] of received.entries()) {
      expect(m.data.length).toBe(chunkBytes);
      expect(m.data[0] === i + 1 && m.data[chunkBytes - 1] === i + 1).toBe(true);
    }
  });

  it('drops malformed frames and messages without closing the stream they came on', async () => {
    const b = await node('b', '127.0.0.3');
    const client = new grpc.Client(b.address, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    let ended: { error: grpc.ServiceError | null; ack: Buffer | undefined } | undefined;
    const raw = client.makeClientStreamRequest<Buffer, Buffer>(
      '/flotilla.raft.v1.Raft/Send',
      (frame) => frame,
      (frame) => frame,
      (error, ack) => (ended = { error, ack }),
    );

    raw.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])); // does not parse
    raw.write(
      serializeBatch([
        heartbeat('a', 'b', 1),
        heartbeat('a', '', 2), // no recipient
        { ...heartbeat('a', 'b', 3), term: 2 ** 53 }, // a term a number cannot hold
        heartbeat('a', 'c', 4), // meant for another member
        heartbeat('a', 'b', 5),
      ]),
    );
    raw.write(serializeBatch([heartbeat('a', 'b', 6)]));
    await waitFor(() => commits(b.inbox).includes(6), 'the batch after the malformed ones');

    expect(commits(b.inbox)).toEqual([1, 5, 6]);
    expect(b.t.stats()).toMatchObject({ received: 3, rejected: 4 });
    expect(ended).toBeUndefined(); // the stream survived all of it

    raw.end();
    await waitFor(() => ended !== undefined, 'the ack');
    expect(ended?.error).toBeNull();
  });

  it('keeps delivering after the message handler throws', async () => {
    const a = await node('a', '127.0.0.2');
    const b = transport('b');
    const seen: number[] = [];
    b.onMessage((m) => {
      if (m.type === 'Heartbeat') seen.push(m.commit);
      if (m.type === 'Heartbeat' && m.commit === 1) throw new Error('handler bug');
    });
    const port = await b.listen('127.0.0.3:0');
    a.t.setPeer('b', `127.0.0.3:${port}`);
    a.t.send([heartbeat('a', 'b', 1), heartbeat('a', 'b', 2)]);
    await waitFor(() => seen.length === 2, 'both heartbeats');
    a.t.send([heartbeat('a', 'b', 3)]);
    await waitFor(() => seen.length === 3, 'a heartbeat on the same stream');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('serves the Raft service on a server the caller owns, and lets it shut down', async () => {
    const server = new grpc.Server(raftServerOptions());
    cleanups.push(() => server.forceShutdown());
    const b = transport('b');
    const inbox: Message[] = [];
    b.onMessage((m) => inbox.push(m));
    b.register(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.3:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    const a = await node('a', '127.0.0.2');
    a.t.setPeer('b', `127.0.0.3:${port}`);
    a.t.send([heartbeat('a', 'b', 1)]);
    await waitFor(() => inbox.length === 1, 'the heartbeat');

    // Stopping the transport ends its inbound streams, so a graceful server shutdown completes.
    await b.stop();
    await a.t.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('leaves no socket or timer behind after stop(), even while its peers stay up', async () => {
    const watched = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate'];
    const count = (): Record<string, number> => {
      const resources = process.getActiveResourcesInfo();
      return Object.fromEntries(watched.map((kind) => [kind, resources.filter((r) => r === kind).length]));
    };
    const noMoreThan = (a: Record<string, number>, b: Record<string, number>): boolean =>
      watched.every((kind) => a[kind]! <= b[kind]!);
    const b = await node('b', '127.0.0.3');
    const unreachable = `127.0.0.4:${await freePort('127.0.0.4')}`;
    const before = count();

    const a = await node('a', '127.0.0.2');
    a.t.setPeer('b', b.address);
    a.t.setPeer('c', unreachable); // a stream waiting for its connection
    a.t.send([heartbeat('a', 'b', 1), heartbeat('a', 'c', 1)]);
    await waitFor(() => b.inbox.length === 1, 'the heartbeat');
    expect(noMoreThan(count(), before)).toBe(false);

    await a.t.stop();
    // b stays up: only a closing its own channels releases the connection between them.
    await waitFor(
      () => noMoreThan(count(), before),
      'no more sockets or timers of any kind than before',
      5_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: before ${JSON.stringify(before)}, now ${JSON.stringify(count())}`);
    });
    a.t.send([heartbeat('a', 'b', 2)]);
    expect(a.t.stats().dropped).toBe(1); // sending after stop() drops
  });
});
