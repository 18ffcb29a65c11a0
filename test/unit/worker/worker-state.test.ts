// The worker's record of itself (worker.json): what a restart or a promotion reads back, and a
// clear error naming the file and the field for anything malformed.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWorkerState, writeWorkerState, WORKER_STATE_FILE } from '../../../src/worker/worker-state.js';

const NODE_ID = 'abcdefghijklmnopqrstuvwxy';

describe('worker state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-worker-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what was written, addresses and the manager port included', async () => {
    const state = {
      format: 1 as const,
      nodeId: NODE_ID,
      managers: ['127.0.0.2:2377'],
      addr: '127.0.0.5',
      listenHost: '127.0.0.5',
      managerPort: 4242,
    };
    await writeWorkerState(dir, state);
    expect(await readWorkerState(dir)).toEqual(state);
  });

  it('is absent from an empty directory', async () => {
    expect(await readWorkerState(dir)).toBeNull();
  });

  it.each([
    [{ managerPort: 0 }, 'managerPort must be a port'],
    [{ managerPort: 70000 }, 'managerPort must be a port'],
    [{ managerPort: '2377' }, 'managerPort must be a port'],
    [{ listenHost: '' }, 'listenHost must be a host'],
    [{ managers: 'a:1' }, 'managers must be a list'],
    [{ nodeId: 'x y' }, 'nodeId is missing or invalid'],
  ])('refuses %j, naming the file and the field', async (change, message) => {
    const base = { format: 1, nodeId: NODE_ID, managers: ['127.0.0.2:2377'] };
    await writeFile(join(dir, WORKER_STATE_FILE), JSON.stringify({ ...base, ...change }));
    await expect(readWorkerState(dir)).rejects.toThrow(`${join(dir, WORKER_STATE_FILE)}: field ${message}`);
  });
});
