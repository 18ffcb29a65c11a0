// Reading a task's log files (`<time> <line>` per line, written by the wrapper): stdout and
// stderr merged in time order, with since, tail and follow as `docker service logs` offers.

import { open } from 'node:fs/promises';
import type { Clock } from '../../util/clock.js';
import type { LogLine, LogOptions } from '../executor.js';

interface Source {
  stream: LogLine['stream'];
  file: string;
  /** Bytes consumed so far (up to the last complete line). */
  offset: number;
}

/** One framed line; a line without a parsable time keeps its text with time 0. */
export function parseLogLine(stream: LogLine['stream'], text: string): LogLine {
  const space = text.indexOf(' ');
  const timeMs = space > 0 ? Date.parse(text.slice(0, space)) : NaN;
  return Number.isNaN(timeMs)
    ? { stream, timeMs: 0, line: text }
    : { stream, timeMs, line: text.slice(space + 1) };
}

/** Merges per-stream lines (each already in order) by time; stdout first on equal times. */
export function mergeByTime(streams: LogLine[][]): LogLine[] {
  const all = streams.flatMap((lines, s) => lines.map((line, i) => ({ line, s, i })));
  all.sort((a, b) => a.line.timeMs - b.line.timeMs || a.s - b.s || a.i - b.i);
  return all.map((x) => x.line);
}

async function readNew(source: Source): Promise<LogLine[]> {
  let handle;
  try {
    handle = await open(source.file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size <= source.offset) return [];
    const buffer = Buffer.alloc(size - source.offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, source.offset);
    const chunk = buffer.subarray(0, bytesRead);
    // Only complete lines: the wrapper may be in the middle of writing the last one.
    const end = chunk.lastIndexOf(0x0a);
    if (end < 0) return [];
    source.offset += end + 1;
    return chunk
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .map((text) => parseLogLine(source.stream, text));
  } finally {
    await handle.close();
  }
}

export interface ReadLogsOptions extends LogOptions {
  stdoutFile: string;
  stderrFile: string;
  clock: Clock;
  pollIntervalMs: number;
  /** Whether the task's process has ended (and so its logs will not grow): ends a follow. */
  ended: () => Promise<boolean>;
}

/**
 * The lines, merged. Reads whole files for since/tail (logs are not rotated; see README). A
 * follow polls for new lines every pollIntervalMs and ends when the task has ended and every
 * line it wrote has been read, or when the signal aborts.
 */
export async function* readLogs(options: ReadLogsOptions): AsyncGenerator<LogLine> {
  const sources: Source[] = [
    { stream: 'stdout', file: options.stdoutFile, offset: 0 },
    { stream: 'stderr', file: options.stderrFile, offset: 0 },
  ];
  let lines = mergeByTime(await Promise.all(sources.map(readNew)));
  if (options.sinceMs !== undefined) {
    const since = options.sinceMs;
    lines = lines.filter((l) => l.timeMs >= since);
  }
  if (options.tail !== undefined) lines = options.tail > 0 ? lines.slice(-options.tail) : [];
  for (const line of lines) {
    if (options.signal?.aborted) return;
    yield line;
  }
  if (!options.follow) return;
  for (;;) {
    if (options.signal?.aborted) return;
    // Checked before reading, so lines written just before the end are still read once more.
    const ended = await options.ended();
    const next = mergeByTime(await Promise.all(sources.map(readNew)));
    for (const line of next) {
      if (options.signal?.aborted) return;
      yield line;
    }
    if (ended) return;
    await sleep(options.clock, options.pollIntervalMs, options.signal);
  }
}

function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimer(ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
