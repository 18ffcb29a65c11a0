// One manager of the store and scheduler benchmarks as its own process (bench/store.ts and
// bench/scheduler.ts fork it from dist/): runs a Manager (init or join, config as JSON in
// argv[2], like src/daemon/main.ts) and answers the bench's IPC requests (status, seeding writes,
// snapshot and list timings, memory, the stages of a service's tasks and their placement).
//
// Protocol: once up it sends {ready: true, id, address} (or {ready: false, error}); then every
// request {id, type, …} gets exactly one reply {id, ok: true, result} or {id, ok: false, error}.
// Messages use the IPC channel's default JSON serialization: fine for nodes, tasks and services,
// which hold no byte arrays. Stops cleanly on SIGTERM or SIGINT, or when the parent disconnects.

import { performance } from 'node:perf_hooks';
import { Manager } from '../../src/manager/index.js';
import type { ApiOperation } from '../../src/manager/control/context.js';
import { createJsonLogger } from '../../src/util/logger.js';
import { epochMs } from '../support.js';
import { TaskStages } from './task-stages.js';

export interface MemberConfig {
  mode: 'init' | 'join';
  dataDir: string;
  listenAddr: string;
  joinAddr?: string;
  joinToken?: string;
}

export type MemberReady = { ready: true; id: string; address: string } | { ready: false; error: string };

/** Each request type with its parameters and the result its reply carries. */
export interface MemberCalls {
  status: {
    params: Record<string, never>;
    result: {
      id: string;
      address: string;
      isLeader: boolean;
      leaderId: string;
      term: number;
      appliedIndex: number;
      lastIndex: number;
      voters: string[];
    };
  };
  /** The cluster's manager join token, read from this manager's store (no RPC involved). */
  joinToken: { params: Record<string, never>; result: { secret: string } };
  /**
   * `manager.store.update(ops)` here; resolvedAtMs is the wall clock (performance.timeOrigin +
   * performance.now(), comparable across processes on one host) when the update resolved.
   */
  update: {
    params: { ops: ApiOperation[] };
    result: { ids: string[]; version: number; resolvedAtMs: number };
  };
  count: { params: Record<string, never>; result: { tasks: number; nodes: number; services: number } };
  snapshot: { params: { runs: number }; result: { samplesMs: number[]; bytes: number } };
  /** Diagnostic: the in-memory `store.list('task')`, without RPC, encoding or decoding. */
  listLocal: { params: { runs: number }; result: { samplesMs: number[]; tasks: number } };
  /** This process's wall clock, to estimate the offset between the bench's and this clock. */
  clock: { params: Record<string, never>; result: { nowMs: number } };
  memory: { params: Record<string, never>; result: NodeJS.MemoryUsage & { maxRss: number } };
  /** Starts following this store's tasks (TaskStages) until `expected` of them are ASSIGNED. */
  watchTasks: { params: { expected: number }; result: { version: number } };
  /**
   * Waits (up to `timeoutMs`) for the tasks watchTasks follows to be ASSIGNED, and says when each
   * stage was reached, on the wall clock; the watch then ends.
   */
  taskStages: {
    params: { timeoutMs: number };
    result: {
      firstAtMs: number | null;
      allCreatedAtMs: number | null;
      allPendingAtMs: number | null;
      allAssignedAtMs: number | null;
    };
  };
  /** Where the service's tasks are: ASSIGNED ones, per value of the nodes' `label`, on non-workers. */
  placement: {
    params: { serviceName: string; label: string };
    result: { assigned: number; perLabel: Record<string, number>; onNonWorkers: number };
  };
}

export type MemberRequestType = keyof MemberCalls;
export type MemberRequest = {
  [T in MemberRequestType]: { id: number; type: T } & MemberCalls[T]['params'];
}[MemberRequestType];
export type MemberReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

const REQUEST_TYPES: ReadonlySet<string> = new Set<MemberRequestType>([
  'status',
  'joinToken',
  'update',
  'count',
  'snapshot',
  'listLocal',
  'clock',
  'memory',
  'watchTasks',
  'taskStages',
  'placement',
]);

/** The boundary where the parent's messages become typed requests. */
function parseRequest(message: unknown): MemberRequest {
  if (typeof message !== 'object' || message === null) throw new Error('request: not an object');
  const m = message as Record<string, unknown>;
  if (typeof m.id !== 'number') throw new Error('request: id must be a number');
  if (typeof m.type !== 'string' || !REQUEST_TYPES.has(m.type))
    throw new Error(`request: unknown type ${String(m.type)}`);
  if (m.type === 'update' && !Array.isArray(m.ops)) throw new Error('request: update needs an ops array');
  if (m.type === 'watchTasks' && !(Number.isInteger(m.expected) && Number(m.expected) > 0))
    throw new Error('request: watchTasks needs a positive integer expected');
  if (m.type === 'taskStages' && !(typeof m.timeoutMs === 'number' && m.timeoutMs > 0))
    throw new Error('request: taskStages needs a positive timeoutMs');
  if (m.type === 'placement' && (typeof m.serviceName !== 'string' || typeof m.label !== 'string'))
    throw new Error('request: placement needs a serviceName and a label');
  if ((m.type === 'snapshot' || m.type === 'listLocal') && !(Number.isInteger(m.runs) && Number(m.runs) > 0))
    throw new Error(`request: ${m.type} needs a positive integer runs`);
  // The ops themselves are validated by the store (encodeTransaction) like any write.
  return m as unknown as MemberRequest;
}

function timed(runs: number, fn: () => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** What watchTasks started, until taskStages ends it. */
let stages: TaskStages | null = null;

async function handle(manager: Manager, request: MemberRequest): Promise<unknown> {
  switch (request.type) {
    case 'status': {
      const status = manager.raft.status();
      return {
        id: manager.id,
        address: manager.address,
        isLeader: manager.raft.isLeader(),
        leaderId: status.leader,
        term: status.term,
        appliedIndex: status.appliedIndex,
        lastIndex: status.lastIndex,
        voters: [...manager.raft.membership().voters],
      } satisfies MemberCalls['status']['result'];
    }
    case 'joinToken': {
      const [cluster] = manager.store.list('cluster');
      if (!cluster) throw new Error('no cluster object in this manager’s store yet');
      return { secret: cluster.joinTokens.manager } satisfies MemberCalls['joinToken']['result'];
    }
    case 'update': {
      const { version, objects } = await manager.store.update(request.ops);
      const resolvedAtMs = epochMs();
      return {
        ids: objects.map((o) => o.id),
        version,
        resolvedAtMs,
      } satisfies MemberCalls['update']['result'];
    }
    case 'count':
      return {
        tasks: manager.store.count('task'),
        nodes: manager.store.count('node'),
        services: manager.store.count('service'),
      } satisfies MemberCalls['count']['result'];
    case 'snapshot': {
      let bytes = 0;
      const samplesMs = timed(request.runs, () => {
        bytes = manager.store.snapshot().byteLength;
      });
      return { samplesMs, bytes } satisfies MemberCalls['snapshot']['result'];
    }
    case 'listLocal': {
      let tasks = 0;
      const samplesMs = timed(request.runs, () => {
        tasks = manager.store.list('task').length;
      });
      return { samplesMs, tasks } satisfies MemberCalls['listLocal']['result'];
    }
    case 'clock':
      return { nowMs: epochMs() } satisfies MemberCalls['clock']['result'];
    case 'memory':
      // resourceUsage().maxRSS is in KiB: the peak over the process's life, next to the current RSS.
      return {
        ...process.memoryUsage(),
        maxRss: process.resourceUsage().maxRSS * 1024,
      } satisfies MemberCalls['memory']['result'];
    case 'watchTasks':
      if (stages) throw new Error('already following tasks');
      stages = new TaskStages(manager.store, request.expected, epochMs);
      return { version: manager.store.version } satisfies MemberCalls['watchTasks']['result'];
    case 'taskStages': {
      if (!stages) throw new Error('not following tasks: send watchTasks first');
      const following = stages;
      stages = null;
      await following.allAssigned(request.timeoutMs);
      await following.close();
      const { first, allCreated, allPending, allAssigned } = following.at;
      return {
        firstAtMs: first,
        allCreatedAtMs: allCreated,
        allPendingAtMs: allPending,
        allAssignedAtMs: allAssigned,
      } satisfies MemberCalls['taskStages']['result'];
    }
    case 'placement': {
      const service = manager.store.getByName('service', request.serviceName);
      if (!service) throw new Error(`no service ${request.serviceName}`);
      const nodes = new Map(manager.store.list('node').map((n) => [n.id, n]));
      const result: MemberCalls['placement']['result'] = { assigned: 0, perLabel: {}, onNonWorkers: 0 };
      for (const task of manager.store.list('task', { serviceId: service.id })) {
        const node = task.nodeId === undefined ? undefined : nodes.get(task.nodeId);
        if (task.status.state !== 'assigned' || !node) continue;
        result.assigned++;
        if (node.spec.role !== 'worker') result.onNonWorkers++;
        const value = node.spec.labels?.[request.label] ?? '(none)';
        result.perLabel[value] = (result.perLabel[value] ?? 0) + 1;
      }
      return result;
    }
  }
}

function send(message: MemberReady | MemberReply): void {
  // The parent may have gone away while a request ran: then there is nobody left to answer.
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send)
    throw new Error('store-member: must be started with an IPC channel (child_process.fork)');
  const config = JSON.parse(process.argv[2] ?? '{}') as MemberConfig;
  const logger = createJsonLogger({ level: 'warn', fields: { dataDir: config.dataDir } });
  const manager =
    config.mode === 'init'
      ? await Manager.init({ dataDir: config.dataDir, listenAddr: config.listenAddr, logger })
      : await Manager.join({
          dataDir: config.dataDir,
          listenAddr: config.listenAddr,
          logger,
          joinAddr: config.joinAddr ?? '',
          joinToken: config.joinToken ?? '',
        });

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    manager.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('stop failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('disconnect', shutdown);

  process.on('message', (message: unknown) => {
    const id = (message as { id?: unknown } | null)?.id;
    const replyId = typeof id === 'number' ? id : -1;
    Promise.resolve()
      .then(() => handle(manager, parseRequest(message)))
      .then(
        (result) => send({ id: replyId, ok: true, result }),
        (err: unknown) =>
          send({
            id: replyId,
            ok: false,
            error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          }),
      );
  });
  send({ ready: true, id: manager.id, address: manager.address });
}

main().catch((err: unknown) => {
  send({ ready: false, error: err instanceof Error ? err.message : String(err) });
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
