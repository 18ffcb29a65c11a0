// A deterministic world for the dispatcher's tests: a ReplicatedStore applied without Raft
// (localStore) stamped by the same ManualClock the dispatcher, status writer and assignment hub
// wait on, builders for nodes, tasks, secrets and configs, and a way to let promises settle
// while simulated time moves.

import type {
  Config,
  Node,
  NodeDescription,
  NodeState,
  Secret,
  Task,
  TaskState,
  TaskStatus,
} from '../../../src/api/index.js';
import type { ApiStore } from '../../../src/manager/control/index.js';
import { ManualClock } from '../../../src/util/clock.js';
import { localStore, type LocalStore } from '../../support/local-consensus.js';

export const AT = '2026-01-01T00:00:00.000Z';

export interface World {
  clock: ManualClock;
  local: LocalStore;
  store: ApiStore;
}

/** `maxEvents`: how many changes the store keeps for watchers (a small one makes watches overflow). */
export function world(maxEvents?: number): World {
  const clock = new ManualClock();
  const local = localStore({ now: () => new Date(clock.now()), maxEvents });
  return { clock, local, store: local.store };
}

/** Lets pending promise callbacks, watch deliveries and store writes run (no simulated time passes). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Moves simulated time in steps of `stepMs`, letting promises settle between steps, until `done`
 * holds; fails saying what was awaited. Returns the simulated time that passed.
 */
export async function advanceUntil(
  w: World,
  what: string,
  done: () => boolean,
  stepMs = 10,
  maxSteps = 1_000,
): Promise<number> {
  const start = w.clock.now();
  for (let i = 0; i < maxSteps; i++) {
    await settle();
    if (done()) return w.clock.now() - start;
    w.clock.advance(stepMs);
  }
  throw new Error(`gave up after ${maxSteps} steps of ${stepMs} ms waiting for ${what}`);
}

/** Resolves `promise` while moving simulated time (a registration waits for its batched write). */
export async function withTime<T>(w: World, promise: Promise<T>, stepMs = 10): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  await advanceUntil(w, 'the promise to settle', () => outcome !== undefined, stepMs);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.value;
}

export const DESCRIPTION: NodeDescription = {
  hostname: 'worker-1.example',
  platform: { os: 'linux', architecture: 'x86_64' },
  resources: { nanoCpus: 4e9, memoryBytes: 8 * 1024 ** 3 },
  engine: { engineVersion: '27.0.0', labels: { disk: 'ssd' }, plugins: [] },
};

export function makeNode(id: string, state: NodeState = 'ready', addr = '10.0.0.9'): Omit<Node, 'meta'> {
  return {
    id,
    spec: { role: 'worker', availability: 'active', labels: {} },
    status: { state, addr },
  };
}

export interface TaskOptions {
  nodeId?: string;
  state?: TaskState;
  desired?: TaskState;
  service?: string;
  secrets?: string[];
  configs?: string[];
}

export function status(state: TaskState, message: string = state, timestamp = AT): TaskStatus {
  return { state, message, timestamp };
}

export function makeTask(id: string, o: TaskOptions = {}): Omit<Task, 'meta'> {
  const task: Omit<Task, 'meta'> = {
    id,
    labels: {},
    serviceId: o.service ?? 'svc',
    spec: {
      containerSpec: {
        image: 'nginx:1.27',
        ...(o.secrets
          ? {
              secrets: o.secrets.map((secretId) => ({
                secretId,
                secretName: `name-${secretId}`,
                file: { name: `/run/secrets/${secretId}` },
              })),
            }
          : {}),
        ...(o.configs
          ? {
              configs: o.configs.map((configId) => ({
                configId,
                configName: `name-${configId}`,
                file: { name: `/${configId}` },
              })),
            }
          : {}),
      },
    },
    status: status(o.state ?? 'assigned'),
    desiredState: o.desired ?? 'running',
  };
  if (o.nodeId !== undefined) task.nodeId = o.nodeId;
  return task;
}

export function makeSecret(id: string, data = `secret data of ${id}`): Omit<Secret, 'meta'> {
  return { id, spec: { name: `name-${id}`, data: new TextEncoder().encode(data) } };
}

export function makeConfig(id: string, data = `config data of ${id}`): Omit<Config, 'meta'> {
  return { id, spec: { name: `name-${id}`, data: new TextEncoder().encode(data) } };
}

export async function create(
  store: ApiStore,
  objects: {
    nodes?: Array<Omit<Node, 'meta'>>;
    tasks?: Array<Omit<Task, 'meta'>>;
    secrets?: Array<Omit<Secret, 'meta'>>;
    configs?: Array<Omit<Config, 'meta'>>;
  },
): Promise<void> {
  await store.update([
    ...(objects.nodes ?? []).map((object) => ({ op: 'create' as const, kind: 'node' as const, object })),
    ...(objects.secrets ?? []).map((object) => ({ op: 'create' as const, kind: 'secret' as const, object })),
    ...(objects.configs ?? []).map((object) => ({ op: 'create' as const, kind: 'config' as const, object })),
    ...(objects.tasks ?? []).map((object) => ({ op: 'create' as const, kind: 'task' as const, object })),
  ]);
}

/** Replaces fields of a stored task (as an orchestrator or the scheduler would). */
export async function updateTask(
  store: ApiStore,
  id: string,
  change: (task: Omit<Task, 'meta'>) => Omit<Task, 'meta'>,
): Promise<void> {
  const task = store.get('task', id);
  if (!task) throw new Error(`no task ${id}`);
  const copy = structuredClone(task) as unknown as Task;
  await store.update([
    { op: 'update', kind: 'task', object: change(copy), expectedVersion: task.meta.version.index },
  ]);
}
