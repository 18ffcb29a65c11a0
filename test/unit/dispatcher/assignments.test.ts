// The AssignmentHub on a ManualClock over a real store applied without Raft: a node's COMPLETE
// set (its tasks from ASSIGNED on, exactly the secrets and configs they need), then INCREMENTAL
// changes gathered per batch window, held back while the stream is full, and nothing after stop.

import { afterEach, describe, expect, it } from 'vitest';
import { withServiceDefaults, type Task } from '../../../src/api/index.js';
import { AssignmentHub, type AssignmentSink } from '../../../src/dispatcher/assignments.js';
import type { AssignmentsMessage } from '../../../src/generated/flotilla/dispatcher/v1/AssignmentsMessage.js';
import type { Payload } from '../../../src/generated/flotilla/dispatcher/v1/Payload.js';
import {
  create,
  makeConfig,
  makeNode,
  makeSecret,
  makeTask,
  settle,
  status,
  updateTask,
  world,
  type World,
} from './helpers.js';

const BATCH = 10;

const hubs: AssignmentHub[] = [];
afterEach(async () => {
  while (hubs.length > 0) await hubs.pop()!.stop();
});

/** Records what a node is sent; `full` makes write() report a full stream until drain(). */
class RecordingSink implements AssignmentSink {
  readonly messages: AssignmentsMessage[] = [];
  full = false;
  private waiting: Array<() => void> = [];

  write(message: AssignmentsMessage): boolean {
    this.messages.push(message);
    return !this.full;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  drain(): void {
    this.full = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  get last(): Decoded {
    return decode(this.messages.at(-1)!);
  }
}

interface Decoded {
  type: string;
  tasks: Record<string, Task>;
  removedTasks: string[];
  secrets: Record<string, string>;
  removedSecrets: string[];
  configs: Record<string, string>;
  removedConfigs: string[];
  serviceNames: Record<string, string>;
  serviceLabels: Record<string, Record<string, string>>;
}

const text = (p: Payload): [string, string] => [p.id!, Buffer.from(p.data!).toString('utf8')];

function decode(m: AssignmentsMessage): Decoded {
  const tasks = (m.tasks ?? []).map((a) => ({
    task: JSON.parse(Buffer.from(a.task!).toString('utf8')) as Task,
    serviceName: a.serviceName ?? '',
    serviceLabels: a.serviceLabels ?? {},
  }));
  return {
    type: String(m.type),
    tasks: Object.fromEntries(tasks.map(({ task }) => [task.id, task])),
    removedTasks: [...(m.removedTasks ?? [])].sort(),
    secrets: Object.fromEntries((m.secrets ?? []).map(text)),
    removedSecrets: [...(m.removedSecrets ?? [])].sort(),
    configs: Object.fromEntries((m.configs ?? []).map(text)),
    removedConfigs: [...(m.removedConfigs ?? [])].sort(),
    serviceNames: Object.fromEntries(tasks.map(({ task, serviceName }) => [task.id, serviceName])),
    serviceLabels: Object.fromEntries(tasks.map(({ task, serviceLabels }) => [task.id, serviceLabels])),
  };
}

/** An INCREMENTAL message with only the given fields set (the others empty). */
function incremental(fields: Partial<Decoded>): Decoded {
  return {
    type: 'INCREMENTAL',
    tasks: {},
    removedTasks: [],
    secrets: {},
    removedSecrets: [],
    configs: {},
    removedConfigs: [],
    serviceNames: {},
    serviceLabels: {},
    ...fields,
  };
}

function hub(w: World): AssignmentHub {
  const h = new AssignmentHub({ store: w.store, clock: w.clock, batchMs: BATCH });
  hubs.push(h);
  h.start();
  return h;
}

/** Lets the watch deliver what was written, then runs one batch window. */
async function window(w: World): Promise<void> {
  await settle();
  w.clock.advance(BATCH);
  await settle();
}

/** n1 runs web.1 (secret s1, config c1) and db.1 (secrets s1, s2); n2 runs other.1 (s3). */
async function seeded(): Promise<World> {
  const w = world();
  await w.store.update([
    {
      op: 'create',
      kind: 'service',
      object: {
        id: 'svc',
        spec: withServiceDefaults({
          name: 'web',
          labels: { tier: 'front' },
          taskTemplate: { containerSpec: { image: 'nginx:1.27' } },
          mode: { replicated: { replicas: 2 } },
        }),
      },
    },
  ]);
  await create(w.store, {
    nodes: [makeNode('n1'), makeNode('n2')],
    secrets: ['s1', 's2', 's3', 's4', 's5'].map((id) => makeSecret(id)),
    configs: ['c1', 'c2'].map((id) => makeConfig(id)),
    tasks: [
      makeTask('web.1', { nodeId: 'n1', state: 'running', secrets: ['s1'], configs: ['c1'] }),
      makeTask('db.1', { nodeId: 'n1', state: 'assigned', secrets: ['s1', 's2'] }),
      makeTask('other.1', { nodeId: 'n2', state: 'running', secrets: ['s3'], configs: ['c2'] }),
    ],
  });
  return w;
}

describe('AssignmentHub', () => {
  it("sends a COMPLETE set of exactly the node's tasks from ASSIGNED on and the payloads its live tasks need", async () => {
    const w = await seeded();
    await create(w.store, {
      tasks: [
        // Not yet the node's: the scheduler's choice is not final until ASSIGNED.
        makeTask('queued.1', { nodeId: 'n1', state: 'pending', secrets: ['s4'] }),
        // Kept as history, but its payloads are not needed any more.
        makeTask('done.1', { nodeId: 'n1', state: 'complete', desired: 'shutdown', secrets: ['s4'] }),
        makeTask('stopping.1', { nodeId: 'n1', state: 'running', desired: 'shutdown', secrets: ['s5'] }),
        makeTask('unplaced.1', { state: 'pending', secrets: ['s4'] }),
      ],
    });
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    expect(sink.messages).toHaveLength(1);
    const m = sink.last;
    expect(m.type).toBe('COMPLETE');
    expect(Object.keys(m.tasks).sort()).toEqual(['db.1', 'done.1', 'stopping.1', 'web.1']);
    expect(m.tasks['web.1']).toEqual(JSON.parse(JSON.stringify(w.store.get('task', 'web.1'))));
    expect(m.serviceNames['web.1']).toBe('web');
    expect(m.serviceLabels['web.1']).toEqual({ tier: 'front' });
    expect(m.secrets).toEqual({ s1: 'secret data of s1', s2: 'secret data of s2' });
    expect(m.configs).toEqual({ c1: 'config data of c1' });
  });

  it('sends an empty COMPLETE set to a node with nothing assigned', async () => {
    const w = await seeded();
    await create(w.store, { nodes: [makeNode('idle')] });
    const sink = new RecordingSink();
    hub(w).subscribe('idle', sink);
    expect(sink.messages).toEqual([
      { type: 'COMPLETE', tasks: [], secrets: [], configs: [] } satisfies AssignmentsMessage,
    ]);
  });

  it('adds a newly assigned task with the payloads only it needs', async () => {
    const w = await seeded();
    await create(w.store, {
      tasks: [makeTask('new.1', { nodeId: 'n1', state: 'pending', secrets: ['s1', 's4'] })],
    });
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    await window(w);
    expect(sink.messages).toHaveLength(1);

    await updateTask(w.store, 'new.1', (t) => ({ ...t, status: status('assigned') }));
    await window(w);
    expect(sink.messages).toHaveLength(2);
    const m = sink.last;
    expect(m).toEqual(
      incremental({
        tasks: { 'new.1': m.tasks['new.1']! },
        secrets: { s4: 'secret data of s4' },
        serviceNames: { 'new.1': 'web' },
        serviceLabels: { 'new.1': { tier: 'front' } },
      }),
    );
    expect(m.tasks['new.1']!.status.state).toBe('assigned');
  });

  it('sends a task again when its desired state changes', async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    await updateTask(w.store, 'web.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await window(w);
    expect(sink.messages).toHaveLength(2);
    const m = sink.last;
    expect(Object.keys(m.tasks)).toEqual(['web.1']);
    expect(m.tasks['web.1']!.desiredState).toBe('shutdown');
    // s1 is still needed by db.1; c1 only by web.1, which is to stop.
    expect(m.removedSecrets).toEqual([]);
    expect(m.removedConfigs).toEqual(['c1']);
  });

  it('removes a task deleted from the store, with the payloads nothing else needs', async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    await w.store.update([{ op: 'delete', kind: 'task', id: 'db.1' }]);
    await window(w);
    expect(sink.messages).toHaveLength(2);
    expect(sink.last).toEqual(incremental({ removedTasks: ['db.1'], removedSecrets: ['s2'] }));
  });

  it('removes the secret of a task that ended once no other task of the node needs it', async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    await updateTask(w.store, 'db.1', (t) => ({ ...t, status: status('failed') }));
    await window(w);
    expect(sink.last.removedSecrets).toEqual(['s2']);
    expect(sink.last.removedTasks).toEqual([]);

    await updateTask(w.store, 'web.1', (t) => ({ ...t, status: status('complete') }));
    await window(w);
    expect(sink.last.removedSecrets).toEqual(['s1']);
    expect(sink.last.removedConfigs).toEqual(['c1']);
  });

  it("does not send the node's own status reports back to it", async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    for (const state of ['accepted', 'preparing', 'ready', 'starting', 'running'] as const) {
      await updateTask(w.store, 'db.1', (t) => ({ ...t, status: status(state) }));
      await window(w);
    }
    expect(sink.messages).toHaveLength(1);
    // Ending still frees the payloads only it needed; the task itself is not sent again.
    await updateTask(w.store, 'db.1', (t) => ({ ...t, status: status('failed') }));
    await window(w);
    expect(sink.last).toEqual(incremental({ removedSecrets: ['s2'] }));
    // A change of anything else is sent.
    await updateTask(w.store, 'db.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await window(w);
    expect(Object.keys(sink.last.tasks)).toEqual(['db.1']);
    expect(sink.last.tasks['db.1']!.status.state).toBe('failed');
  });

  it("sends nothing about other nodes' tasks", async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    await updateTask(w.store, 'other.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await create(w.store, { tasks: [makeTask('other.2', { nodeId: 'n2', secrets: ['s4'] })] });
    await w.store.update([{ op: 'delete', kind: 'task', id: 'other.1' }]);
    await window(w);
    w.clock.advance(10 * BATCH);
    await settle();
    expect(sink.messages).toHaveLength(1);
  });

  it('moves a task reassigned to another node from the first node to the second', async () => {
    const w = await seeded();
    const first = new RecordingSink();
    const second = new RecordingSink();
    const h = hub(w);
    h.subscribe('n1', first);
    h.subscribe('n2', second);
    await updateTask(w.store, 'db.1', (t) => ({ ...t, nodeId: 'n2' }));
    await window(w);
    expect(first.last).toEqual(incremental({ removedTasks: ['db.1'], removedSecrets: ['s2'] }));
    expect(Object.keys(second.last.tasks)).toEqual(['db.1']);
    expect(second.last.secrets).toEqual({ s1: 'secret data of s1', s2: 'secret data of s2' });
  });

  it('sends a changed config to the nodes that have it', async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    const c1 = w.store.get('config', 'c1')!;
    const c2 = w.store.get('config', 'c2')!;
    await w.store.update([
      {
        op: 'update',
        kind: 'config',
        object: { ...c1, spec: { ...c1.spec, data: new TextEncoder().encode('v2') } },
        expectedVersion: c1.meta.version.index,
      },
      {
        op: 'update',
        kind: 'config',
        object: { ...c2, spec: { ...c2.spec, data: new TextEncoder().encode('v2') } },
        expectedVersion: c2.meta.version.index,
      },
    ]);
    await window(w);
    expect(sink.last).toEqual(incremental({ configs: { c1: 'v2' } }));
  });

  it('gathers the changes made within one batch window into one message', async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    await create(w.store, { tasks: [makeTask('a.1', { nodeId: 'n1', secrets: ['s4'] })] });
    await create(w.store, { tasks: [makeTask('a.2', { nodeId: 'n1' })] });
    await updateTask(w.store, 'web.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await w.store.update([{ op: 'delete', kind: 'task', id: 'db.1' }]);
    await window(w);
    expect(sink.messages).toHaveLength(2);
    const m = sink.last;
    expect(Object.keys(m.tasks).sort()).toEqual(['a.1', 'a.2', 'web.1']);
    expect(m.removedTasks).toEqual(['db.1']);
    expect(m.secrets).toEqual({ s4: 'secret data of s4' });
    expect(m.removedSecrets).toEqual(['s1', 's2']);
    expect(m.removedConfigs).toEqual(['c1']);
  });

  it('holds changes while the stream is full and sends them as one message once it drains', async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    sink.full = true;
    hub(w).subscribe('n1', sink);
    expect(sink.messages).toHaveLength(1);
    for (let i = 1; i <= 5; i++) {
      await create(w.store, { tasks: [makeTask(`burst.${i}`, { nodeId: 'n1' })] });
      await window(w);
    }
    await updateTask(w.store, 'burst.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await w.store.update([{ op: 'delete', kind: 'task', id: 'burst.5' }]);
    await window(w);
    expect(sink.messages).toHaveLength(1);

    sink.drain();
    await window(w);
    expect(sink.messages).toHaveLength(2);
    const m = sink.last;
    expect(Object.keys(m.tasks).sort()).toEqual(['burst.1', 'burst.2', 'burst.3', 'burst.4']);
    expect(m.tasks['burst.1']!.desiredState).toBe('shutdown');
    // Created and deleted while held back: the node never heard of it.
    expect(m.removedTasks).toEqual([]);
  });

  it('sends a COMPLETE set again when its watch lost events, and goes on from there', async () => {
    const w = world(8);
    await create(w.store, { nodes: [makeNode('n1')], secrets: [makeSecret('s1')] });
    const sink = new RecordingSink();
    hub(w).subscribe('n1', sink);
    // More changes in one transaction than the store keeps for watchers.
    await create(w.store, {
      tasks: Array.from({ length: 20 }, (_, i) => makeTask(`t${i}`, { nodeId: 'n1' })),
    });
    await window(w);
    expect(sink.messages.map((m) => m.type)).toEqual(['COMPLETE', 'COMPLETE']);
    expect(Object.keys(sink.last.tasks)).toHaveLength(20);

    await w.store.update([{ op: 'delete', kind: 'task', id: 't1' }]);
    await create(w.store, { tasks: [makeTask('t-secret', { nodeId: 'n1', secrets: ['s1'] })] });
    await window(w);
    expect(sink.messages).toHaveLength(3);
    expect(sink.last.removedTasks).toEqual(['t1']);
    expect(Object.keys(sink.last.tasks)).toEqual(['t-secret']);
    expect(sink.last.secrets).toEqual({ s1: 'secret data of s1' });
  });

  it('starts over with a COMPLETE set when a node subscribes again, and stops the older stream', async () => {
    const w = await seeded();
    const old = new RecordingSink();
    const fresh = new RecordingSink();
    const h = hub(w);
    h.subscribe('n1', old);
    h.subscribe('n1', fresh);
    await updateTask(w.store, 'web.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await window(w);
    expect(old.messages).toHaveLength(1);
    expect(fresh.messages.map((m) => m.type)).toEqual(['COMPLETE', 'INCREMENTAL']);
  });

  it('sends nothing more once unsubscribed', async () => {
    const w = await seeded();
    const sink = new RecordingSink();
    const unsubscribe = hub(w).subscribe('n1', sink);
    await updateTask(w.store, 'web.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await settle();
    unsubscribe();
    expect(w.clock.pending).toBe(0);
    await window(w);
    expect(sink.messages).toHaveLength(1);
  });

  it('ends every stream on stop, leaving no timer behind', async () => {
    const w = await seeded();
    const sinks = [new RecordingSink(), new RecordingSink()];
    const h = hub(w);
    h.subscribe('n1', sinks[0]!);
    h.subscribe('n2', sinks[1]!);
    await updateTask(w.store, 'web.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await updateTask(w.store, 'other.1', (t) => ({ ...t, desiredState: 'shutdown' }));
    await settle();
    await h.stop();
    expect(w.clock.pending).toBe(0);
    await create(w.store, { tasks: [makeTask('late.1', { nodeId: 'n1' })] });
    await window(w);
    expect(sinks.map((s) => s.messages.length)).toEqual([1, 1]);
  });
});
