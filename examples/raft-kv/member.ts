// One member of a replicated KV store as its own process: RaftNode + disk storage + gRPC peer
// transport. A parent process (the demo, the integration tests, the benchmark) drives it over
// Node's IPC channel with small JSON commands. Configuration comes as JSON in argv[2].

import { performance } from 'node:perf_hooks';
import { createJsonLogger } from '../../src/util/logger.js';
import {
  GrpcRaftTransport,
  RaftNode,
  RaftError,
  openDiskStorage,
  type MemberId,
  type RaftTransport,
} from '../../src/raft/index.js';
import { KvStore, encodeCommand, type KvCommand } from './kv-store.js';

export interface MemberConfig {
  id: MemberId;
  /** host:port this member listens on and is reached at. */
  address: string;
  dataDir: string;
  bootstrap?: Array<{ id: MemberId; address: string }>;
  peers?: Record<MemberId, string>;
  /** Quorum-loss recovery: start as the only member of a new cluster that keeps this data dir's state. */
  forceNewCluster?: boolean;
  heartbeatMs?: number;
  electionMs?: number;
  snapshotEntries?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export type MemberRequest =
  | { id: number; cmd: 'status' }
  | { id: number; cmd: 'write'; op: KvCommand; forward?: boolean }
  | { id: number; cmd: 'read'; key: string }
  | {
      id: number;
      cmd: 'load';
      concurrency: number;
      durationMs: number;
      valueBytes: number;
      warmupMs?: number;
    }
  | { id: number; cmd: 'add-learner'; member: MemberId; address: string }
  | { id: number; cmd: 'promote'; member: MemberId }
  | { id: number; cmd: 'remove'; member: MemberId }
  | { id: number; cmd: 'transfer'; member?: MemberId }
  /** Test hook: drop all Raft traffic to and from these peers (a network partition), or none. */
  | { id: number; cmd: 'partition'; peers: MemberId[] };

export type MemberReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string; leaderId?: string } };

/** Proposals that completed inside the measured window; percentiles are computed here so the
 * reply over IPC stays small however many proposals there were. */
export interface LoadResult {
  count: number;
  /** Length of the measured window (after the warmup). */
  elapsedMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as MemberConfig;
  const logger = createJsonLogger({ level: config.logLevel ?? 'warn', fields: { member: config.id } });
  const store = new KvStore();
  const grpcTransport = new GrpcRaftTransport({ selfId: config.id, logger });
  await grpcTransport.listen(config.address);
  const blocked = new Set<MemberId>();
  // The node sees the gRPC transport through this filter so tests can cut links (partitions).
  const transport: RaftTransport = {
    send: (messages) =>
      grpcTransport.send(blocked.size === 0 ? messages : messages.filter((m) => !blocked.has(m.to))),
    setPeer: (id, address) => grpcTransport.setPeer(id, address),
    removePeer: (id) => grpcTransport.removePeer(id),
    onMessage: (handler) => grpcTransport.onMessage((m) => blocked.has(m.from) || handler(m)),
    onPeerUnreachable: (handler) => grpcTransport.onPeerUnreachable(handler),
  };
  const node = new RaftNode<void>({
    id: config.id,
    address: config.address,
    storage: await openDiskStorage(config.dataDir, { logger }),
    transport,
    stateMachine: store,
    bootstrap: config.bootstrap,
    peers: config.peers,
    forceNewCluster: config.forceNewCluster,
    heartbeatMs: config.heartbeatMs,
    electionMs: config.electionMs,
    snapshotEntries: config.snapshotEntries,
    logger,
  });
  node.on('fatal', (err) => {
    logger.error('fatal', { err });
    process.exit(1);
  });
  await node.start();

  const handle = async (req: MemberRequest): Promise<unknown> => {
    switch (req.cmd) {
      case 'status':
        return {
          ...node.status(),
          pid: process.pid,
          rssMb: process.memoryUsage().rss / 2 ** 20,
          keys: store.size(),
        };
      case 'write': {
        const r = await node.propose(encodeCommand(req.op), { forward: req.forward ?? true });
        return { index: r.index, term: r.term };
      }
      case 'read':
        await node.readIndex();
        return store.get(req.key);
      case 'load':
        return runLoad(node, req.concurrency, req.durationMs, req.valueBytes, req.warmupMs ?? 0);
      case 'add-learner':
        return (await node.addLearner(req.member, req.address)).index;
      case 'promote':
        return (await node.promote(req.member)).index;
      case 'remove':
        return (await node.removeMember(req.member)).index;
      case 'transfer':
        return node.transferLeadership(req.member);
      case 'partition':
        blocked.clear();
        for (const peer of req.peers) blocked.add(peer);
        return [...blocked];
    }
  };

  process.on('message', (raw) => {
    const req = raw as MemberRequest;
    handle(req).then(
      (result) => process.send?.({ id: req.id, ok: true, result } satisfies MemberReply),
      (err: Error) =>
        process.send?.({
          id: req.id,
          ok: false,
          error: {
            code: err instanceof RaftError ? err.code : 'ERROR',
            message: err.message,
            leaderId: (err as { leaderId?: string }).leaderId,
          },
        } satisfies MemberReply),
    );
  });
  const shutdown = (): void => {
    void node
      .stop()
      .then(() => grpcTransport.stop())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  process.send?.({ id: 0, ok: true, result: 'ready' } satisfies MemberReply);
}

/**
 * Closed-loop proposers on this member: each proposes the next value as soon as one commits. They
 * run for warmupMs + durationMs without pause; only proposals completing inside the last
 * durationMs count, so neither the ramp-up nor those still in flight at the end skew the figures.
 */
async function runLoad(
  node: RaftNode<void>,
  concurrency: number,
  durationMs: number,
  valueBytes: number,
  warmupMs: number,
): Promise<LoadResult> {
  const value = 'x'.repeat(valueBytes);
  const latenciesMs: number[] = [];
  let errors = 0;
  const windowStart = performance.now() + warmupMs;
  const windowEnd = windowStart + durationMs;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; performance.now() < windowEnd && i < 10_000_000; i++) {
      const t0 = performance.now();
      try {
        await node.propose(encodeCommand({ op: 'put', key: `k${w}`, value }));
        const t1 = performance.now();
        if (t1 >= windowStart && t1 <= windowEnd) latenciesMs.push(t1 - t0);
      } catch {
        if (performance.now() >= windowStart) errors++;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const sorted = Float64Array.from(latenciesMs).sort();
  // Nearest-rank percentile; NaN when nothing completed.
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return {
    count: sorted.length,
    elapsedMs: durationMs,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: at(1),
    errors,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
