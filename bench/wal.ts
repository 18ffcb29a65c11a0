// Microbenchmark of the WAL's group commit: 10,000 saves of 16 entries x 256 bytes each, with
// fdatasync on, into a temp directory, in plaintext and then sealed with AES-256-GCM (encryption at
// rest). Prints throughput; asserts nothing.
// Run: npx tsc -p tsconfig.json && node dist/bench/wal.js

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType } from '../src/raft/core/messages.js';
import type { Entry } from '../src/raft/core/messages.js';
import { aesGcmCipher, openDiskStorage } from '../src/raft/storage/index.js';
import type { DiskStorageOptions } from '../src/raft/storage/index.js';

const BATCHES = 10_000;
const ENTRIES_PER_BATCH = 16;
const ENTRY_BYTES = 256;

async function run(label: string, options: DiskStorageOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-wal-bench-'));
  try {
    const storage = await openDiskStorage(dir, { ...options, sync: true });
    const data = new Uint8Array(ENTRY_BYTES).fill(0x5a);
    const latencies = new Float64Array(BATCHES);
    let index = 1;
    const started = process.hrtime.bigint();
    for (let batch = 0; batch < BATCHES; batch++) {
      const entries: Entry[] = [];
      for (let i = 0; i < ENTRIES_PER_BATCH; i++)
        entries.push({ term: 1, index: index++, type: EntryType.Normal, data });
      const before = process.hrtime.bigint();
      await storage.save(null, entries);
      latencies[batch] = Number(process.hrtime.bigint() - before) / 1e6;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await storage.close();

    latencies.sort();
    const percentile = (p: number): string => latencies[Math.floor((BATCHES - 1) * p)]!.toFixed(3);
    const megabytes = (BATCHES * ENTRIES_PER_BATCH * ENTRY_BYTES) / (1024 * 1024);
    console.log(
      `wal (${label}): ${BATCHES} batches x ${ENTRIES_PER_BATCH} entries x ${ENTRY_BYTES} B, fdatasync on, in ${dir}`,
    );
    console.log(`  ${(BATCHES / seconds).toFixed(0)} batches/s`);
    console.log(`  ${((BATCHES * ENTRIES_PER_BATCH) / seconds).toFixed(0)} entries/s`);
    console.log(`  ${(megabytes / seconds).toFixed(1)} MiB/s of entry data`);
    console.log(`  save latency ms: p50 ${percentile(0.5)}, p99 ${percentile(0.99)}, max ${percentile(1)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await run('plaintext', {});
await run('AES-256-GCM', { cipher: aesGcmCipher({ keys: [{ id: 1, key: randomBytes(32) }] }) });
