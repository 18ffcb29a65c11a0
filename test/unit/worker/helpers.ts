// Shared builders for the worker's unit tests: tasks as the dispatcher would assign them.

import type { Task, TaskState, TaskStatus } from '../../../src/api/index.js';
import type { AssignedTask, TaskContext } from '../../../src/worker/executor.js';

export const START = Date.UTC(2026, 0, 1);

export const node: TaskContext['node'] = {
  id: 'node1',
  hostname: 'worker-1',
  platform: { os: 'linux', architecture: 'amd64' },
};

export const service: TaskContext['service'] = { id: 'svc1', name: 'web', labels: {} };

export interface TaskInput {
  id?: string;
  state?: TaskState;
  desiredState?: TaskState;
  message?: string;
  secrets?: Array<{ id: string; name: string }>;
  configs?: Array<{ id: string; name: string }>;
}

export function makeTask(input: TaskInput = {}): Task {
  const at = new Date(START).toISOString();
  return {
    id: input.id ?? 'task1',
    meta: { version: { index: 1 }, createdAt: at, updatedAt: at },
    labels: {},
    spec: {
      containerSpec: {
        image: 'busybox',
        command: ['sleep', '100'],
        ...(input.secrets
          ? {
              secrets: input.secrets.map((s) => ({
                file: { name: s.name },
                secretId: s.id,
                secretName: s.name,
              })),
            }
          : {}),
        ...(input.configs
          ? {
              configs: input.configs.map((c) => ({
                file: { name: c.name },
                configId: c.id,
                configName: c.name,
              })),
            }
          : {}),
      },
    },
    serviceId: service.id,
    slot: 1,
    nodeId: node.id,
    status: {
      state: input.state ?? 'assigned',
      timestamp: at,
      message: input.message ?? 'scheduler assigned task to node',
    },
    desiredState: input.desiredState ?? 'running',
  };
}

export function assigned(input: TaskInput = {}): AssignedTask {
  return { task: makeTask(input), service };
}

export function statesOf(reports: TaskStatus[]): TaskState[] {
  return reports.map((r) => r.state);
}
