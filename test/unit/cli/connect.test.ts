import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnavailableError, type FlotillaClient } from '../../../src/client/index.js';
import { readLocalNodeId, retrying } from '../../../src/cli/connect.js';

function flaky(failures: UnavailableError[]): { client: FlotillaClient; calls: () => number } {
  let calls = 0;
  const client = {
    async getCluster() {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return { id: 'c' };
    },
  } as unknown as FlotillaClient;
  return { client, calls: () => calls };
}

describe('the connection', () => {
  it('retries a call while the cluster elects a leader', async () => {
    const { client, calls } = flaky([
      new UnavailableError('no-leader', 'electing'),
      new UnavailableError('leader-changed', 'moved'),
    ]);
    await expect(retrying(client).getCluster()).resolves.toEqual({ id: 'c' });
    expect(calls()).toBe(3);
  });

  it('does not retry a write that timed out (it may have been applied), nor past its budget', async () => {
    const timedOut = flaky([new UnavailableError('timeout', 'slow')]);
    await expect(retrying(timedOut.client).getCluster()).rejects.toMatchObject({ reason: 'timeout' });
    expect(timedOut.calls()).toBe(1);
    const electing = flaky(Array.from({ length: 50 }, () => new UnavailableError('no-leader', 'electing')));
    await expect(retrying(electing.client, 250).getCluster()).rejects.toMatchObject({ reason: 'no-leader' });
    expect(electing.calls()).toBeLessThan(5);
  });

  it("knows the local node's id from a manager's or a worker's data directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-unit-'));
    try {
      expect(readLocalNodeId(dir)).toBeUndefined();
      await writeFile(join(dir, 'worker.json'), JSON.stringify({ format: 1, nodeId: 'w', managers: [] }));
      expect(readLocalNodeId(dir)).toBe('w');
      await writeFile(join(dir, 'node.json'), JSON.stringify({ format: 1, id: 'm', role: 'manager' }));
      expect(readLocalNodeId(dir)).toBe('m');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
