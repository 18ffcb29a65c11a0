// Microbenchmark of the gRPC peer transport: two transports in one process on 127.0.0.x stream
// 200,000 App messages of one 1 KiB entry each, then 2,000 heartbeat round trips one at a time.
// Prints throughput and latency and writes bench/results/transport.json (relative to the working
// directory: run it from the package root); asserts nothing.
// Run: npx tsc -p tsconfig.json && node dist/bench/transport.js

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EntryType, type Message } from '../src/raft/core/messages.js';
import { GrpcRaftTransport } from '../src/raft/transport/index.js';

const MESSAGES = 200_000;
const ENTRY_BYTES = 1024;
/** Messages per send() call, as a leader's Ready would hand them over. */
const BURST = 64;
/** Sent but not yet received: kept under the send queue bound, so nothing is dropped. */
const WINDOW = 3_000;
const ROUND_TRIPS = 2_000;

async function main(): Promise<void> {
  const a = new GrpcRaftTransport({ selfId: 'a' });
  const b = new GrpcRaftTransport({ selfId: 'b' });
  try {
    const portA = await a.listen('127.0.0.2:0');
    const portB = await b.listen('127.0.0.3:0');
    a.setPeer('b', `127.0.0.3:${portB}`);
    b.setPeer('a', `127.0.0.2:${portA}`);

    let received = 0;
    let wake: (() => void) | null = null;
    let wakeAt = 0;
    const progress = (): void => {
      if (wake !== null && received >= wakeAt) {
        const w = wake;
        wake = null;
        w();
      }
    };
    /** Resolves once `count` App messages arrived; fails rather than hangs if some never do. */
    const until = (count: number): Promise<void> =>
      received >= count
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `only ${received} of ${count} messages arrived; sender ${JSON.stringify(a.stats())}`,
                  ),
                ),
              30_000,
            );
            wakeAt = count;
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });

    b.onMessage((m) => {
      if (m.type === 'App') {
        received++;
        progress();
      } else if (m.type === 'Heartbeat') {
        b.send([{ type: 'HeartbeatResp', from: 'b', to: 'a', term: m.term, context: m.context }]);
      }
    });

    // Warm up the connection and the JIT.
    const data = new Uint8Array(ENTRY_BYTES).fill(0x5a);
    const app = (index: number): Message => ({
      type: 'App',
      from: 'a',
      to: 'b',
      term: 1,
      prevLogIndex: index - 1,
      prevLogTerm: 1,
      commit: index - 1,
      entries: [{ term: 1, index, type: EntryType.Normal, data }],
    });
    const warmup: Message[] = [];
    for (let i = 1; i <= 2_000; i++) warmup.push(app(i));
    a.send(warmup);
    await until(2_000);
    received = 0;

    const startedAt = process.hrtime.bigint();
    let index = 1;
    while (index <= MESSAGES) {
      if (index - 1 - received > WINDOW) await until(index - 1 - WINDOW / 2);
      const burst: Message[] = [];
      for (let i = 0; i < BURST && index <= MESSAGES; i++) burst.push(app(index++));
      a.send(burst);
      // Yield now and then, as a real node does between Ready cycles.
      if (index % (BURST * 8) === 1) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(MESSAGES);
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;

    const latencies = new Float64Array(ROUND_TRIPS);
    let answered: (() => void) | null = null;
    a.onMessage((m) => {
      if (m.type === 'HeartbeatResp') answered?.();
    });
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const before = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        answered = resolve;
        a.send([{ type: 'Heartbeat', from: 'a', to: 'b', term: 1, commit: 0, context: String(i) }]);
      });
      latencies[i] = Number(process.hrtime.bigint() - before) / 1e6;
    }
    latencies.sort();
    const percentile = (p: number): number => latencies[Math.floor((ROUND_TRIPS - 1) * p)]!;

    const stats = a.stats();
    const result = {
      messages: MESSAGES,
      entryBytes: ENTRY_BYTES,
      seconds,
      messagesPerSecond: MESSAGES / seconds,
      mibPerSecond: (MESSAGES * ENTRY_BYTES) / (1024 * 1024) / seconds,
      dropped: stats.dropped,
      roundTripMs: { p50: percentile(0.5), p99: percentile(0.99), max: percentile(1) },
    };
    console.log(
      `transport: ${MESSAGES} App messages x 1 entry of ${ENTRY_BYTES} B, 127.0.0.2 -> 127.0.0.3, one process`,
    );
    console.log(`  ${result.messagesPerSecond.toFixed(0)} messages/s`);
    console.log(`  ${result.mibPerSecond.toFixed(1)} MiB/s of entry data`);
    console.log(`  dropped ${result.dropped}`);
    console.log(
      `  heartbeat round trip ms (${ROUND_TRIPS}, one at a time): p50 ${percentile(0.5).toFixed(3)}, p99 ${percentile(0.99).toFixed(3)}, max ${percentile(1).toFixed(3)}`,
    );
    // Run from the package root (as npm scripts are), for both the source and the dist/ build.
    const resultsDir = join(process.cwd(), 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    await writeFile(join(resultsDir, 'transport.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

await main();
