// The scheduler's filters through one pure pass (SchedulerState.plan): which nodes a task may
// go to, and what an unplaceable task is told.

import { describe, expect, it } from 'vitest';
import type { Node, Task } from '../../../../src/api/index.js';
import { SchedulerState, type SchedulingDecision } from '../../../../src/manager/scheduler/index.js';
import type { DeepReadonly } from '../../../../src/manager/store/index.js';
import { AT, node, pendingTasks, task, type TaskOptions } from './helpers.js';

interface Outcome {
  decisions: SchedulingDecision[];
  /** taskId → nodeId */
  placed: Map<string, string>;
  /** taskId → err */
  errors: Map<string, string>;
  state: SchedulerState;
}

function plan(
  nodes: Array<DeepReadonly<Node>>,
  tasks: Array<DeepReadonly<Task>>,
  hostPortsOf: (serviceId: string) => readonly string[] = () => [],
): Outcome {
  const state = SchedulerState.from(nodes, tasks, hostPortsOf);
  return outcome(state, state.plan(AT));
}

/** Takes the decisions in as if committed (the driver applies what the store wrote). */
function commit(state: SchedulerState, decisions: SchedulingDecision[]): Outcome {
  for (const d of decisions)
    state.applyTask({
      ...d.updated,
      meta: { ...d.task.meta, version: { index: d.task.meta.version.index + 1 } },
    });
  return outcome(state, decisions);
}

function outcome(state: SchedulerState, decisions: SchedulingDecision[]): Outcome {
  const placed = new Map<string, string>();
  const errors = new Map<string, string>();
  for (const d of decisions) {
    if (d.nodeId !== undefined) placed.set(d.task.id, d.nodeId);
    else errors.set(d.task.id, d.updated.status.err ?? '');
  }
  return { decisions, placed, errors, state };
}

const constrained = (...constraints: string[]): TaskOptions => ({ placement: { constraints } });

describe('node status and availability', () => {
  it('places tasks only on nodes that are ready and active', () => {
    const { placed, errors } = plan(
      [
        node('down', { state: 'down' }),
        node('disc', { state: 'disconnected' }),
        node('unknown', { state: 'unknown' }),
        node('paused', { availability: 'pause' }),
        node('drained', { availability: 'drain' }),
        node('ok'),
      ],
      pendingTasks('t', 3),
    );
    expect([...placed.values()]).toEqual(['ok', 'ok', 'ok']);
    expect(errors.size).toBe(0);
  });

  it('explains that no node is available for new tasks', () => {
    const { errors } = plan(
      [node('a', { state: 'down' }), node('b', { availability: 'drain' })],
      [task('t1')],
    );
    expect(errors.get('t1')).toBe('no suitable node (2 nodes not available for new tasks)');
  });

  it('says just "no suitable node" in a cluster without nodes', () => {
    expect(plan([], [task('t1')]).errors.get('t1')).toBe('no suitable node');
  });
});

describe('constraints', () => {
  const a = node('node-a', {
    hostname: 'alpha',
    role: 'manager',
    os: 'linux',
    arch: 'x86_64',
    labels: { zone: 'eu', Tier: 'Front' },
    engineLabels: { disk: 'ssd' },
    addr: '10.1.2.3',
  });
  const b = node('node-b', {
    hostname: 'beta',
    role: 'worker',
    os: 'windows',
    arch: 'arm64',
    labels: { zone: 'us' },
    engineLabels: { disk: 'hdd' },
    addr: '192.168.7.8:2377',
  });

  const cases: Array<[string, string]> = [
    ['node.id', 'node-a'],
    ['node.hostname', 'alpha'],
    ['node.role', 'manager'],
    ['node.platform.os', 'linux'],
    ['node.platform.arch', 'x86_64'],
    ['node.labels.zone', 'eu'],
    ['engine.labels.disk', 'ssd'],
    ['node.ip', '10.1.2.3'],
    ['node.ip', '10.0.0.0/8'],
  ];
  for (const [key, value] of cases) {
    it(`places ${key}==${value} on the matching node and ${key}!=${value} on the other`, () => {
      expect([...plan([a, b], [task('t1', constrained(`${key}==${value}`))]).placed.values()]).toEqual([
        'node-a',
      ]);
      expect([...plan([a, b], [task('t1', constrained(`${key}!=${value}`))]).placed.values()]).toEqual([
        'node-b',
      ]);
    });
  }

  it('compares values case-insensitively, as SwarmKit', () => {
    const { placed } = plan(
      [a, b],
      [task('t1', constrained('node.hostname==ALPHA', 'node.labels.Tier==front'))],
    );
    expect(placed.get('t1')).toBe('node-a');
  });

  it('treats a missing label as empty: != holds and == does not', () => {
    const c = node('node-c');
    expect(plan([c], [task('t1', constrained('node.labels.zone!=eu'))]).placed.get('t1')).toBe('node-c');
    expect(plan([c], [task('t1', constrained('node.labels.zone==eu'))]).errors.get('t1')).toBe(
      'no suitable node (scheduling constraints not satisfied on 1 node)',
    );
  });

  it('requires every constraint to hold', () => {
    const { errors } = plan([a, b], [task('t1', constrained('node.role==manager', 'node.labels.zone==us'))]);
    expect(errors.get('t1')).toBe('no suitable node (scheduling constraints not satisfied on 2 nodes)');
  });

  it('matches no node with a constraint that does not parse', () => {
    const { errors } = plan([a, b], [task('t1', constrained('node.label.zone==eu'))]);
    expect(errors.get('t1')).toBe('no suitable node (scheduling constraints not satisfied on 2 nodes)');
  });

  it('reads node.ip from addresses with a port and IPv6 networks', () => {
    const v6 = node('v6', { addr: '[fd00::5]:2377' });
    expect(plan([a, b, v6], [task('t1', constrained('node.ip==fd00::/64'))]).placed.get('t1')).toBe('v6');
    expect(plan([a, b, v6], [task('t1', constrained('node.ip==192.168.7.8'))]).placed.get('t1')).toBe(
      'node-b',
    );
  });
});

describe('platforms', () => {
  const amd = node('amd', { os: 'linux', arch: 'x86_64' });
  const arm = node('arm', { os: 'linux', arch: 'aarch64' });
  const win = node('win', { os: 'windows', arch: 'amd64' });

  it('normalizes x86_64 to amd64 and aarch64 to arm64', () => {
    const onArm = plan(
      [amd, arm, win],
      [task('t1', { placement: { platforms: [{ os: 'linux', architecture: 'arm64' }] } })],
    );
    expect(onArm.placed.get('t1')).toBe('arm');
    const onAmd = plan([amd, arm], [task('t1', { placement: { platforms: [{ architecture: 'amd64' }] } })]);
    expect(onAmd.placed.get('t1')).toBe('amd');
  });

  it('accepts any of the listed platforms, and an empty field matches anything', () => {
    const { placed } = plan(
      [win],
      [task('t1', { placement: { platforms: [{ os: 'linux', architecture: 'arm64' }, { os: 'windows' }] } })],
    );
    expect(placed.get('t1')).toBe('win');
  });

  it('explains an unsupported platform, and refuses nodes that never described themselves', () => {
    const { errors } = plan(
      [amd, node('bare', { bare: true })],
      [task('t1', { placement: { platforms: [{ os: 'linux', architecture: 's390x' }] } })],
    );
    expect(errors.get('t1')).toBe('no suitable node (unsupported platform on 2 nodes)');
  });
});

describe('resources', () => {
  it('fills nodes up to their memory and explains the rest', () => {
    const { placed, errors } = plan(
      [node('a', { memoryGb: 4 }), node('b', { memoryGb: 2 })],
      pendingTasks('t', 4, { memoryGb: 2 }),
    );
    expect(placed.size).toBe(3);
    expect([...placed.values()].filter((n) => n === 'a')).toHaveLength(2);
    expect(errors.get('t4')).toBe('no suitable node (insufficient memory on 2 nodes)');
  });

  it('counts CPU reservations against nanoCpus', () => {
    const { placed, errors } = plan([node('a', { cpus: 2 })], pendingTasks('t', 3, { cpus: 1 }));
    expect(placed.size).toBe(2);
    expect(errors.get('t3')).toBe('no suitable node (insufficient CPU on 1 node)');
  });

  it('subtracts what tasks already on the node reserve, whatever their desired state', () => {
    const running = task('old', { state: 'running', desired: 'shutdown', nodeId: 'a', memoryGb: 6 });
    const { errors } = plan([node('a', { memoryGb: 8 })], [running, task('t1', { memoryGb: 4 })]);
    expect(errors.get('t1')).toBe('no suitable node (insufficient memory on 1 node)');
  });

  it('frees a node’s resources when its task finishes or is deleted', () => {
    const state = SchedulerState.from(
      [node('a', { memoryGb: 4 })],
      [
        task('old1', { state: 'running', nodeId: 'a', memoryGb: 2 }),
        task('old2', { state: 'starting', nodeId: 'a', memoryGb: 2 }),
        task('t1', { memoryGb: 2, slot: 1 }),
        task('t2', { memoryGb: 2, slot: 2 }),
      ],
      () => [],
    );
    expect(commit(state, state.plan(AT)).placed.size).toBe(0);
    expect(state.applyTask(task('old1', { state: 'complete', nodeId: 'a', memoryGb: 2, version: 2 }))).toBe(
      true,
    );
    expect([...commit(state, state.plan(AT)).placed.keys()]).toEqual(['t1']);
    expect(state.deleteTask('old2')).toBe(true);
    expect([...commit(state, state.plan(AT)).placed.keys()]).toEqual(['t2']);
  });

  it('counts discrete generic resources, named ones as one unit each', () => {
    const gpus = node('gpu', {
      generic: [
        { namedResourceSpec: { kind: 'gpu', value: 'GPU-1' } },
        { namedResourceSpec: { kind: 'gpu', value: 'GPU-2' } },
        { discreteResourceSpec: { kind: 'ssd', value: 3 } },
      ],
    });
    const plain = node('plain');
    const { placed, errors } = plan(
      [gpus, plain],
      [
        ...pendingTasks('g', 3, { generic: [{ discreteResourceSpec: { kind: 'gpu', value: 1 } }] }),
        task('s1', {
          service: 'ssd',
          slot: 1,
          generic: [{ discreteResourceSpec: { kind: 'ssd', value: 2 } }],
        }),
        task('s2', {
          service: 'ssd',
          slot: 2,
          generic: [{ discreteResourceSpec: { kind: 'ssd', value: 2 } }],
        }),
      ],
    );
    expect(placed.get('g1')).toBe('gpu');
    expect(placed.get('g2')).toBe('gpu');
    expect(errors.get('g3')).toBe('no suitable node (insufficient generic resources on 2 nodes)');
    expect(placed.get('s1')).toBe('gpu');
    expect(errors.get('s2')).toBe('no suitable node (insufficient generic resources on 2 nodes)');
  });

  it('gives a named generic resource to one task at a time', () => {
    const named = [{ namedResourceSpec: { kind: 'gpu', value: 'GPU-2' } }];
    const gpus = node('gpu', {
      generic: [
        { namedResourceSpec: { kind: 'gpu', value: 'GPU-1' } },
        { namedResourceSpec: { kind: 'gpu', value: 'GPU-2' } },
      ],
    });
    const { placed, errors } = plan([gpus], pendingTasks('t', 2, { generic: named }));
    expect(placed.get('t1')).toBe('gpu');
    expect(errors.get('t2')).toBe('no suitable node (insufficient generic resources on 1 node)');
  });
});

describe('host-mode published ports', () => {
  const ports = (serviceId: string): readonly string[] => (serviceId === 'web' ? ['8080/tcp'] : []);

  it('puts at most one task binding a host port on each node', () => {
    const { placed, errors } = plan([node('a'), node('b')], pendingTasks('t', 3, { service: 'web' }), ports);
    expect(new Set(placed.values())).toEqual(new Set(['a', 'b']));
    expect(errors.get('t3')).toBe('no suitable node (host-mode port already in use on 2 nodes)');
  });

  it('avoids nodes where a running task reported the port bound', () => {
    const other = task('other', { service: 'api', state: 'running', nodeId: 'a', hostPorts: [8080] });
    const { placed } = plan([node('a'), node('b')], [other, task('t1', { service: 'web' })], ports);
    expect(placed.get('t1')).toBe('b');
  });

  it('frees the port when the task holding it stops', () => {
    const holder = task('holder', { service: 'web', state: 'running', nodeId: 'a', slot: 9 });
    const state = SchedulerState.from([node('a')], [holder, task('t1', { service: 'web' })], ports);
    expect(outcome(state, state.plan(AT)).errors.get('t1')).toBe(
      'no suitable node (host-mode port already in use on 1 node)',
    );
    state.applyTask(task('holder', { service: 'web', state: 'shutdown', nodeId: 'a', slot: 9, version: 2 }));
    expect(outcome(state, state.plan(AT)).placed.get('t1')).toBe('a');
  });
});

describe('maxReplicas', () => {
  it('places at most maxReplicas active tasks of the service per node', () => {
    const existing = task('e1', { state: 'running', nodeId: 'a', slot: 10 });
    const { placed, errors } = plan(
      [node('a'), node('b')],
      [existing, ...pendingTasks('t', 4, { placement: { maxReplicas: 2 } })],
    );
    expect(placed.size).toBe(3);
    expect([...placed.values()].filter((n) => n === 'a')).toHaveLength(1);
    expect(errors.get('t4')).toBe('no suitable node (max replicas per node limit exceeded on 2 nodes)');
  });

  it('does not count tasks told to shut down as replicas', () => {
    const leaving = task('e1', { state: 'running', desired: 'shutdown', nodeId: 'a', slot: 10 });
    const { placed } = plan([node('a')], [leaving, task('t1', { placement: { maxReplicas: 1 } })]);
    expect(placed.get('t1')).toBe('a');
  });
});

describe('unplaceable tasks', () => {
  it('aggregates the reasons of every node in filter order, like SwarmKit', () => {
    const { errors } = plan(
      [
        node('down', { state: 'down' }),
        node('eu1', { labels: { zone: 'eu' }, memoryGb: 1 }),
        node('eu2', { labels: { zone: 'eu' }, memoryGb: 1 }),
        node('eu3', { labels: { zone: 'eu' }, memoryGb: 1 }),
        node('us1', { labels: { zone: 'us' } }),
        node('us2', { labels: { zone: 'us' } }),
      ],
      [task('t1', { memoryGb: 2, placement: { constraints: ['node.labels.zone==eu'] } })],
    );
    expect(errors.get('t1')).toBe(
      'no suitable node (1 node not available for new tasks; scheduling constraints not satisfied on 2 nodes; insufficient memory on 3 nodes)',
    );
  });

  it('does not rewrite an error the task already has', () => {
    const err = 'no suitable node (insufficient memory on 1 node)';
    const { decisions } = plan([node('a', { memoryGb: 1 })], [task('t1', { memoryGb: 2, err })]);
    expect(decisions).toEqual([]);
  });

  it('keeps the task PENDING and its other status fields when recording the error', () => {
    const { decisions } = plan([], [task('t1')]);
    expect(decisions[0]!.updated.status).toEqual({
      state: 'pending',
      message: 'pending task scheduling',
      timestamp: AT,
      err: 'no suitable node',
    });
  });

  it('clears the error once the task is assigned', () => {
    const { decisions } = plan([node('a')], [task('t1', { err: 'no suitable node' })]);
    expect(decisions[0]!.updated.status).toEqual({
      state: 'assigned',
      timestamp: AT,
      message: 'scheduler assigned task to node',
    });
    expect(decisions[0]!.updated.nodeId).toBe('a');
  });
});

describe('which tasks are scheduled', () => {
  it('schedules PENDING tasks desired RUNNING or COMPLETE (jobs), not those desired SHUTDOWN', () => {
    const { placed, decisions } = plan(
      [node('a')],
      [
        task('svc', { desired: 'running' }),
        task('job', { desired: 'complete', service: 'job' }),
        task('gone', { desired: 'shutdown', service: 'x' }),
        task('new', { state: 'new', service: 'y' }),
      ],
    );
    expect([...placed.keys()].sort()).toEqual(['job', 'svc']);
    expect(decisions).toHaveLength(2);
  });

  it('confirms a task bound to its node at creation when the node can take it', () => {
    const { decisions } = plan([node('a'), node('b')], [task('g1', { nodeId: 'b', service: 'global' })]);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.nodeId).toBe('b');
    expect(decisions[0]!.updated.status.message).toBe('scheduler confirmed task can run on preassigned node');
  });

  it('leaves a task bound to a node that cannot take it PENDING, saying why', () => {
    const { errors } = plan(
      [node('a', { memoryGb: 1 }), node('b', { availability: 'drain' })],
      [task('g1', { nodeId: 'a', memoryGb: 2 }), task('g2', { nodeId: 'b' }), task('g3', { nodeId: 'zz' })],
    );
    expect(errors.get('g1')).toBe('no suitable node (insufficient memory on 1 node)');
    expect(errors.get('g2')).toBe('no suitable node (1 node not available for new tasks)');
    expect(errors.get('g3')).toBe('no suitable node (node zz is not in the cluster)');
  });
});
