import { describe, expect, it } from 'vitest';
import type { Service, ServiceSpec, Task } from '../../../src/api/index.js';
import { task } from './fake-client.js';
import { dependencySatisfied, serviceProgress } from './imports.js';

const meta = { version: { index: 1 }, createdAt: '', updatedAt: '' };
const service = (mode: ServiceSpec['mode']): Service => ({
  id: 'svc1',
  meta,
  spec: { name: 'st_x', taskTemplate: { containerSpec: { image: 'x' } }, ...(mode ? { mode } : {}) },
});
const on = (t: Task, nodeId: string): Task => ({ ...t, slot: undefined, nodeId });

describe('service progress and depends_on conditions', () => {
  it('counts a replicated service converged when every replica runs', () => {
    const s = service({ replicated: { replicas: 3 } });
    const starting = serviceProgress(s, [
      task(s, 1, 'running'),
      task(s, 2, 'running'),
      task(s, 3, 'starting'),
    ]);
    expect(starting).toMatchObject({ desired: 3, running: 2, converged: false });
    expect(dependencySatisfied('service_healthy', starting)).toBe(false);
    expect(dependencySatisfied('created', starting)).toBe(true);
    const up = serviceProgress(s, [task(s, 1, 'running'), task(s, 2, 'running'), task(s, 3, 'running')]);
    expect(up).toMatchObject({ desired: 3, running: 3, converged: true });
    expect(dependencySatisfied('service_started', up)).toBe(true);
  });

  it('ignores tasks being shut down and reports the last failure', () => {
    const s = service(undefined);
    const old = { ...task(s, 1, 'running'), id: 'old', desiredState: 'shutdown' as const };
    const failed = { ...task(s, 1, 'failed'), id: 'failed', desiredState: 'shutdown' as const };
    failed.status = { ...failed.status, err: 'exit code 1', timestamp: '2026-01-02T00:00:00Z' };
    const progress = serviceProgress(s, [old, failed, task(s, 1, 'starting')]);
    expect(progress).toMatchObject({ desired: 1, running: 0, converged: false, lastError: 'exit code 1' });
    expect(progress.tasks.map((t) => t.state)).toEqual(['starting']);
  });

  it('counts a global service by its tasks, one per node', () => {
    const s = service({ global: {} });
    const progress = serviceProgress(s, [on(task(s, 1, 'running'), 'n1'), on(task(s, 1, 'preparing'), 'n2')]);
    expect(progress).toMatchObject({ desired: 2, running: 1, converged: false });
    expect(progress.tasks.map((t) => t.nodeId)).toEqual(['n1', 'n2']);
  });

  it('counts a job done when its completions are, for service_completed_successfully', () => {
    const s = service({ replicatedJob: { maxConcurrent: 1, totalCompletions: 2 } });
    const complete = (slot: number): Task => ({ ...task(s, slot, 'complete'), desiredState: 'complete' });
    const half = serviceProgress(s, [complete(1), task(s, 2, 'running')]);
    expect(dependencySatisfied('service_completed_successfully', half)).toBe(false);
    const done = serviceProgress(s, [complete(1), complete(2)]);
    expect(done).toMatchObject({ desired: 2, completed: 2, converged: true });
    expect(dependencySatisfied('service_completed_successfully', done)).toBe(true);
  });
});
