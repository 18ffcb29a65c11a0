// The small readers of what the engine sends: log frames and timestamps, events, `docker info`
// fields, image references; and the shared events stream's bookkeeping, against a fake client.

import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/util/logger.js';
import {
  ContainerEvents,
  toContainerEvent,
  type ContainerEvent,
} from '../../../../src/worker/docker/container-events.js';
import {
  enginePlugins,
  goArchitecture,
  parseEngineLabels,
} from '../../../../src/worker/docker/docker-executor.js';
import { engineMessage } from '../../../../src/worker/docker/engine-errors.js';
import { withDefaultTag } from '../../../../src/worker/docker/images.js';
import { LogDecoder, parseLine } from '../../../../src/worker/docker/log-stream.js';
import { waitUntil } from '../../../support/wait.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('LogDecoder', () => {
  it('demultiplexes frames into stdout and stderr lines with their timestamps', () => {
    const decoder = new LogDecoder(true);
    const lines = decoder.push(
      Buffer.concat([
        frame(1, '2024-05-01T12:00:00.123456789Z out one\n'),
        frame(2, '2024-05-01T12:00:01.5Z err one\n'),
      ]),
    );
    expect(lines).toEqual([
      { stream: 'stdout', timeMs: Date.UTC(2024, 4, 1, 12, 0, 0, 123), line: 'out one' },
      { stream: 'stderr', timeMs: Date.UTC(2024, 4, 1, 12, 0, 1, 500), line: 'err one' },
    ]);
  });

  it('reassembles headers, payloads and UTF-8 characters split across chunks', () => {
    const bytes = Buffer.concat([
      frame(1, '2024-05-01T12:00:00Z héllo\n'),
      frame(2, '2024-05-01T12:00:00Z x\n'),
    ]);
    const decoder = new LogDecoder(true);
    const lines = [];
    for (let i = 0; i < bytes.length; i++) lines.push(...decoder.push(bytes.subarray(i, i + 1)));
    expect(lines.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'héllo'],
      ['stderr', 'x'],
    ]);
  });

  it('reads a TTY container as one raw stdout stream, and keeps a last line without newline', () => {
    const decoder = new LogDecoder(false);
    expect(decoder.push(Buffer.from('2024-05-01T12:00:00Z a\r\n2024-05-01T12:00:00Z b'))).toEqual([
      { stream: 'stdout', timeMs: Date.UTC(2024, 4, 1, 12), line: 'a' },
    ]);
    expect(decoder.end()).toEqual([{ stream: 'stdout', timeMs: Date.UTC(2024, 4, 1, 12), line: 'b' }]);
  });

  it('reads timestamps with an offset', () => {
    expect(parseLine('stdout', '2024-05-01T14:00:00.25+02:00 x')).toEqual({
      stream: 'stdout',
      timeMs: Date.UTC(2024, 4, 1, 12, 0, 0, 250),
      line: 'x',
    });
  });
});

describe('engine events', () => {
  it('reads start, die with its exit code, oom, health and destroy, and ignores the rest', () => {
    const actor = (attributes: Record<string, string> = {}) => ({ ID: 'c1', Attributes: attributes });
    expect(toContainerEvent({ Type: 'container', Action: 'start', Actor: actor() })).toEqual({
      action: 'start',
      containerId: 'c1',
    });
    expect(toContainerEvent({ Type: 'container', Action: 'die', Actor: actor({ exitCode: '3' }) })).toEqual({
      action: 'die',
      containerId: 'c1',
      exitCode: 3,
    });
    expect(
      toContainerEvent({ Type: 'container', Action: 'health_status: unhealthy', Actor: actor() }),
    ).toEqual({
      action: 'health',
      containerId: 'c1',
      health: 'unhealthy',
    });
    expect(
      toContainerEvent({ Type: 'container', Action: 'exec_create: true', Actor: actor() }),
    ).toBeUndefined();
    expect(toContainerEvent({ Type: 'image', Action: 'pull', Actor: actor() })).toBeUndefined();
  });

  it('remembers what it saw before anyone listened, and after a reconnect replays from the last event and asks listeners to look again', async () => {
    const streams: PassThrough[] = [];
    const queries: unknown[] = [];
    const docker = {
      getEvents: async (query: unknown) => {
        queries.push(query);
        const stream = new PassThrough();
        streams.push(stream);
        return stream;
      },
    } as unknown as Dockerode;
    const events = new ContainerEvents({
      docker,
      labelFilters: ['com.flotilla.task.id'],
      logger: silentLogger,
      minBackoffMs: 1,
    });
    await events.ready();
    expect(events.epoch).toBe(1);
    const send = (stream: PassThrough | undefined, event: object): void => {
      stream?.write(JSON.stringify(event) + '\n');
    };
    send(streams[0], {
      Type: 'container',
      Action: 'die',
      Actor: { ID: 'c1', Attributes: { exitCode: '2' } },
      timeNano: 1_500_000_000_123,
    });
    await waitUntil('the die event to be recorded', () => events.seenState('c1')?.exitCode === 2);

    const seen: ContainerEvent[] = [];
    let resyncs = 0;
    let closedWith: Error | undefined;
    events.subscribe('c1', {
      onEvent: (event) => seen.push(event),
      onResync: () => resyncs++,
      onClosed: (error) => (closedWith = error),
    });
    streams[0]?.destroy();
    await waitUntil('the stream to reconnect', () => events.epoch === 2);
    expect(resyncs).toBe(1);
    expect(events.seenState('c1')).toBeUndefined();
    expect(queries[1]).toMatchObject({ since: '1500.000000123' });
    send(streams[1], { Type: 'container', Action: 'start', Actor: { ID: 'c1' } });
    await waitUntil('the start event to reach the listener', () => seen.length === 1);
    expect(seen).toEqual([{ action: 'start', containerId: 'c1' }]);

    await events.close();
    expect(closedWith?.name).toBe('ExecutorClosedError');
    await expect(events.ready()).rejects.toMatchObject({ code: 'EXECUTOR_CLOSED' });
  });
});

describe('node description from docker info', () => {
  it("maps uname machine names to Go's", () => {
    expect(goArchitecture('x86_64')).toBe('amd64');
    expect(goArchitecture('aarch64')).toBe('arm64');
    expect(goArchitecture('armv7l')).toBe('arm');
    expect(goArchitecture('s390x')).toBe('s390x');
  });

  it('parses engine labels and lists plugins sorted by type and name', () => {
    expect(parseEngineLabels(['zone=eu', 'ssd=true', 'flag', 'a=b=c'])).toEqual({
      zone: 'eu',
      ssd: 'true',
      flag: '',
      a: 'b=c',
    });
    expect(enginePlugins({ Volume: ['local'], Network: ['overlay', 'bridge'], Authorization: null })).toEqual(
      [
        { type: 'Network', name: 'bridge' },
        { type: 'Network', name: 'overlay' },
        { type: 'Volume', name: 'local' },
      ],
    );
  });
});

describe('engine answers', () => {
  it("keeps the engine's message without dockerode's prefix", () => {
    const fromJson = Object.assign(new Error('(HTTP code 404) no such container - No such image: x:1 '), {
      statusCode: 404,
      json: { message: 'No such image: x:1' },
    });
    expect(engineMessage(fromJson)).toBe('No such image: x:1');
    const streamed = Object.assign(
      new Error('(HTTP code 500) server error - Get "http://localhost:1/v2/": refused '),
      {
        statusCode: 500,
        json: null,
      },
    );
    expect(engineMessage(streamed)).toBe('Get "http://localhost:1/v2/": refused');
  });

  it('pulls one tag: latest when the reference names none', () => {
    expect(withDefaultTag('busybox')).toBe('busybox:latest');
    expect(withDefaultTag('localhost:5000/team/app')).toBe('localhost:5000/team/app:latest');
    expect(withDefaultTag('localhost:5000/team/app:2')).toBe('localhost:5000/team/app:2');
    expect(withDefaultTag('app@sha256:abc')).toBe('app@sha256:abc');
  });
});
