import { describe, expect, it } from 'vitest';
import type { Service, Task, TaskSpec } from '../../../src/api/index.js';
import type { FlotillaClient } from '../../../src/client/index.js';
import { convergenceSnapshot, ConvergenceError, waitForConvergence } from '../../../src/client/converge.js';
import {
  convergeSettings,
  convergeWithView,
  progressBar,
  progressLines,
  ProgressView,
} from '../../../src/cli/progress-view.js';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const template: TaskSpec = { containerSpec: { image: 'busybox:1', args: ['sleep', '60'] } };
const older: TaskSpec = { containerSpec: { image: 'busybox:0', args: ['sleep', '60'] } };

function svc(mode: Service['spec']['mode'], extra: Partial<Service> = {}): Service {
  return {
    id: 'svc',
    meta: {
      version: { index: 1 },
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
    },
    spec: { name: 'web', mode, taskTemplate: template },
    ...extra,
  };
}

let counter = 0;
function task(
  slot: number | undefined,
  state: Task['status']['state'],
  opts: { spec?: TaskSpec; desired?: Task['desiredState']; atMs?: number; err?: string; node?: string } = {},
): Task {
  const at = new Date(opts.atMs ?? T0 + ++counter).toISOString();
  return {
    id: `t${++counter}`,
    meta: { version: { index: 1 }, createdAt: at, updatedAt: at },
    labels: {},
    spec: opts.spec ?? template,
    serviceId: 'svc',
    ...(slot === undefined ? {} : { slot }),
    nodeId: opts.node ?? 'node1',
    status: { timestamp: at, state, message: '', ...(opts.err === undefined ? {} : { err: opts.err }) },
    desiredState: opts.desired ?? 'running',
  };
}

describe('where a service stands', () => {
  it('is converged when every slot runs the current spec and nothing else runs', () => {
    const s = svc({ replicated: { replicas: 2 } });
    const starting = convergenceSnapshot(s, [task(1, 'running'), task(2, 'starting')], { sinceMs: T0 });
    expect(starting).toMatchObject({ desired: 2, done: 1, converged: false });
    expect(starting.slots).toEqual([
      { key: '1', state: 'running' },
      { key: '2', state: 'starting' },
    ]);
    expect(convergenceSnapshot(s, [task(1, 'running'), task(2, 'running')], { sinceMs: T0 }).converged).toBe(
      true,
    );
  });

  it('is not converged while a task of the old spec still runs (a start-first update)', () => {
    const s = svc({ replicated: { replicas: 1 } });
    const tasks = [task(1, 'running', { spec: older }), task(1, 'running')];
    expect(convergenceSnapshot(s, tasks, { sinceMs: T0 }).converged).toBe(false);
    const done = [task(1, 'shutdown', { spec: older, desired: 'shutdown' }), task(1, 'running')];
    expect(convergenceSnapshot(s, done, { sinceMs: T0 }).converged).toBe(true);
  });

  it('counts completions for a replicated job', () => {
    const s = svc({ replicatedJob: { maxConcurrent: 1, totalCompletions: 2 } });
    expect(
      convergenceSnapshot(s, [task(1, 'complete', { desired: 'complete' })], { sinceMs: T0 }),
    ).toMatchObject({ job: true, done: 1, converged: false });
    expect(
      convergenceSnapshot(
        s,
        [task(1, 'complete', { desired: 'complete' }), task(2, 'complete', { desired: 'complete' })],
        { sinceMs: T0 },
      ).converged,
    ).toBe(true);
  });

  it('has one slot per node for a global service', () => {
    const s = svc({ global: {} });
    const snap = convergenceSnapshot(
      s,
      [task(undefined, 'running', { node: 'a' }), task(undefined, 'preparing', { node: 'b' })],
      { sinceMs: T0 },
    );
    expect(snap).toMatchObject({ desired: 2, done: 1, converged: false });
    expect(snap.slots.map((x) => x.key)).toEqual(['a', 'b']);
  });

  it('gives up on a slot whose tasks failed three times since the command began, not before', () => {
    const s = svc({ replicated: { replicas: 1 } });
    const failures = [1, 2, 3].map(() =>
      task(1, 'failed', { desired: 'shutdown', err: 'task: non-zero exit (1)' }),
    );
    expect(convergenceSnapshot(s, failures.slice(0, 2), { sinceMs: T0 }).failure).toBeUndefined();
    expect(convergenceSnapshot(s, failures, { sinceMs: T0 }).failure).toBe(
      'task web.1 failed 3 times: task: non-zero exit (1)',
    );
    // Failures from before the command are history.
    expect(convergenceSnapshot(s, failures, { sinceMs: T0 + 60_000 }).failure).toBeUndefined();
  });

  it('reports a paused or rolled back update as a failure, but not a rollback it asked for', () => {
    const paused = svc(
      { replicated: { replicas: 1 } },
      { updateStatus: { state: 'paused', message: 'update paused due to failure' } },
    );
    expect(convergenceSnapshot(paused, [], { sinceMs: T0 }).failure).toBe(
      'update paused: update paused due to failure',
    );
    const rolledBack = svc(
      { replicated: { replicas: 1 } },
      { updateStatus: { state: 'rollback_completed', message: 'rolled back' } },
    );
    expect(convergenceSnapshot(rolledBack, [], { sinceMs: T0 }).failure).toBe(
      'update rolled back: rolled back',
    );
    expect(convergenceSnapshot(rolledBack, [], { sinceMs: T0, rollback: true }).failure).toBeUndefined();
  });
});

describe('the convergence view', () => {
  it("draws docker's bars and overall line", () => {
    expect(progressBar('running')).toBe(`[${'='.repeat(49)}>]`);
    expect(progressBar(undefined)).toBe(`[${' '.repeat(50)}]`);
    expect(progressBar('preparing')).toMatch(/^\[=+> +\]$/);
    const s = svc({ replicated: { replicas: 2 } });
    const snap = convergenceSnapshot(s, [task(1, 'running'), task(2, 'rejected', { err: 'no such image' })], {
      sinceMs: T0,
    });
    expect(progressLines(snap)).toEqual([
      'overall progress: 1 out of 2 tasks',
      `1/2: running   ${progressBar('running')}`,
      '2/2: no such image',
    ]);
  });

  it('redraws in place on a TTY and prints only changed lines otherwise', () => {
    const s = svc({ replicated: { replicas: 1 } });
    const pending = convergenceSnapshot(s, [task(1, 'pending')], { sinceMs: T0 });
    const running = convergenceSnapshot(s, [task(1, 'running')], { sinceMs: T0 });
    let plain = '';
    const log = new ProgressView({ write: (t) => (plain += t), isTTY: false }, 5);
    log.update(pending, 'converging');
    log.update(pending, 'converging');
    log.update(running, 'verifying');
    log.finish(running);
    expect(plain).toBe(
      'overall progress: 0 out of 1 tasks\n1/1: pending\noverall progress: 1 out of 1 tasks\n1/1: running\n' +
        'verify: Waiting 5 seconds to verify that tasks are stable...\nverify: Service converged\n',
    );
    let tty = '';
    const term = new ProgressView({ write: (t) => (tty += t), isTTY: true }, 5);
    term.update(pending, 'converging');
    term.update(running, 'converging');
    expect(tty).toContain('\x1b[2A');
    expect(tty.split('overall progress').length).toBe(3);
  });
});

describe('waiting for convergence', () => {
  function fakeClient(states: Array<{ service: Service; tasks: Task[] }>): FlotillaClient {
    let i = 0;
    let current = states[0]!;
    return {
      getService: async () => {
        current = states[Math.min(i++, states.length - 1)]!;
        return current.service;
      },
      listTasks: async () => current.tasks,
    } as unknown as FlotillaClient;
  }

  it('resolves once converged for the verification window, and says each step', async () => {
    const s = svc({ replicated: { replicas: 1 } });
    let clock = T0;
    const phases: string[] = [];
    const client = fakeClient([
      { service: s, tasks: [task(1, 'pending')] },
      { service: s, tasks: [task(1, 'running')] },
    ]);
    const snap = await waitForConvergence(client, 'web', {
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
      verifyMs: 2_000,
      onProgress: (_s, phase) => phases.push(phase),
    });
    expect(snap.converged).toBe(true);
    expect(phases).toEqual(['converging', 'verifying', 'verifying', 'verifying', 'verifying', 'verifying']);
  });

  it('fails with the reason when tasks keep failing, and when the timeout passes', async () => {
    const s = svc({ replicated: { replicas: 1 } });
    let clock = T0;
    const failing = [1, 2, 3].map(() =>
      task(1, 'failed', { desired: 'shutdown', err: 'exit 1', atMs: T0 + 10 }),
    );
    await expect(
      waitForConvergence(fakeClient([{ service: s, tasks: failing }]), 'web', {
        now: () => clock,
        sleep: async (ms) => void (clock += ms),
      }),
    ).rejects.toThrow('service web did not converge: task web.1 failed 3 times: exit 1');
    clock = T0;
    const stuck = waitForConvergence(fakeClient([{ service: s, tasks: [task(1, 'pending')] }]), 'web', {
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
      timeoutMs: 10_000,
    });
    await expect(stuck).rejects.toBeInstanceOf(ConvergenceError);
    await expect(stuck).rejects.toThrow('did not converge within 10 s: 0 out of 1 tasks running');
  });
});

describe('waiting with the view (what stack deploy and the demo reuse)', () => {
  it('draws the progress and the final line, and reads its durations from the environment', async () => {
    expect(convergeSettings({})).toEqual({ verifyMs: 5_000 });
    expect(
      convergeSettings({ FLOTILLA_CONVERGE_VERIFY_MS: '0', FLOTILLA_CONVERGE_TIMEOUT_MS: '60000' }),
    ).toEqual({
      verifyMs: 0,
      timeoutMs: 60_000,
    });
    expect(convergeSettings({ FLOTILLA_CONVERGE_VERIFY_MS: 'soon' })).toEqual({ verifyMs: 5_000 });
    const s = svc({ replicated: { replicas: 1 } });
    const client = {
      getService: async () => s,
      listTasks: async () => [task(1, 'running')],
    } as unknown as FlotillaClient;
    let text = '';
    const snapshot = await convergeWithView(client, 'web', {
      out: { write: (t) => (text += t), isTTY: false },
      verifyMs: 0,
    });
    expect(snapshot.converged).toBe(true);
    expect(text).toBe('overall progress: 1 out of 1 tasks\n1/1: running\nverify: Service converged\n');
  });
});
