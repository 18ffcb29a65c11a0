// Runs the etcd reference benchmark alone and prints a table:
//   npx tsc -p tsconfig.json && node dist/bench/reference/etcd-main.js
// `npm run bench:raft` imports runEtcdReference from etcd.ts instead.

import { runEtcdReference } from './etcd.js';

const result = await runEtcdReference({
  concurrencies: [1, 64, 256],
  durationMs: 5000,
  valueBytes: 256,
  log: (line) => console.error(line),
});

if (!result.available) {
  console.log(`etcd reference unavailable: ${result.reason}`);
  process.exitCode = 1;
} else {
  console.log(
    `etcd ${result.version}, 3 members, puts of 256 B at the leader; leader RSS ${result.rssMbLeader.toFixed(1)} MB`,
  );
  console.log(['concurrency', 'commits/s', 'p50 ms', 'p99 ms', 'puts'].map((h) => h.padStart(12)).join(''));
  for (const level of result.levels) {
    console.log(
      [
        String(level.concurrency),
        level.commitsPerSecond.toFixed(0),
        level.p50Ms.toFixed(2),
        level.p99Ms.toFixed(2),
        String(level.operations),
      ]
        .map((cell) => cell.padStart(12))
        .join(''),
    );
  }
}
