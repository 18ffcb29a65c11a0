// Reading a container's logs as the engine sends them with timestamps=true: without a TTY, frames
// of an 8-byte header (stream type, 3 zero bytes, big-endian payload length) and the payload;
// with a TTY, raw stdout. Every line starts with an RFC3339Nano timestamp and a space.

import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../executor.js';

type StreamName = LogLine['stream'];

/** Turns the engine's bytes into lines; feed it chunks as they come, then call end(). */
export class LogDecoder {
  /** The start of a frame header split across chunks. */
  private pending: Buffer | undefined;
  private frameStream: StreamName = 'stdout';
  private frameRemaining = 0;
  private readonly text: Record<StreamName, { decoder: StringDecoder; partial: string }> = {
    stdout: { decoder: new StringDecoder('utf8'), partial: '' },
    stderr: { decoder: new StringDecoder('utf8'), partial: '' },
  };

  /** `multiplexed` is false for a container with a TTY: its output is one raw stream. */
  constructor(private readonly multiplexed: boolean) {}

  push(chunk: Buffer): LogLine[] {
    const lines: LogLine[] = [];
    if (!this.multiplexed) {
      this.addText('stdout', chunk, lines);
      return lines;
    }
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (data.length > 0) {
      if (this.frameRemaining === 0) {
        if (data.length < 8) {
          this.pending = Buffer.from(data);
          break;
        }
        // 1 stdout, 2 stderr (0 stdin never appears in logs).
        this.frameStream = data[0] === 2 ? 'stderr' : 'stdout';
        this.frameRemaining = data.readUInt32BE(4);
        data = data.subarray(8);
        continue;
      }
      const take = Math.min(this.frameRemaining, data.length);
      this.addText(this.frameStream, data.subarray(0, take), lines);
      this.frameRemaining -= take;
      data = data.subarray(take);
    }
    return lines;
  }

  /** Lines left without a final newline when the stream ended. */
  end(): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const state = this.text[stream];
      const rest = state.partial + state.decoder.end();
      state.partial = '';
      if (rest !== '') lines.push(parseLine(stream, rest));
    }
    return lines;
  }

  private addText(stream: StreamName, bytes: Buffer, lines: LogLine[]): void {
    const state = this.text[stream];
    const text = state.partial + state.decoder.write(bytes);
    const parts = text.split('\n');
    state.partial = parts.pop() ?? '';
    for (const part of parts) lines.push(parseLine(stream, part.endsWith('\r') ? part.slice(0, -1) : part));
  }
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d) ?/;

/** One `TIMESTAMP text` line; a line without a timestamp (should not happen) gets time 0. */
export function parseLine(stream: StreamName, raw: string): LogLine {
  const match = TIMESTAMP.exec(raw);
  if (match === null) return { stream, timeMs: 0, line: raw };
  return { stream, timeMs: parseRfc3339Nano(match), line: raw.slice(match[0].length) };
}

function parseRfc3339Nano(match: RegExpExecArray): number {
  // Date.parse reads milliseconds only, so the fraction is cut to three digits.
  const fraction = (match[2] ?? '').slice(0, 3).padEnd(3, '0');
  return Date.parse(`${match[1] ?? ''}.${fraction}${match[3] ?? 'Z'}`);
}
