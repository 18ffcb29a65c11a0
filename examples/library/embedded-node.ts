// A manager and a worker embedded in your own Node process: runNode starts what `flotilla init`
// and `flotilla join` start (here, both in this process, on two loopback addresses). The manager
// runs tasks too; the worker joins with the cluster's worker token; a service spreads over both.
// Run: npm run build && node dist/examples/library/embedded-node.js

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonLogger, runNode, waitForConvergence } from '../../src/index.js';
import { LONG_RUNNING, waitForReadyNodes } from './local-cluster.js';

const dir = await mkdtemp(join(tmpdir(), 'flotilla-embedded-'));
const logger = createJsonLogger({ level: 'error' });
const manager = await runNode(
  {
    mode: 'init',
    dataDir: join(dir, 'manager'),
    listenAddr: '127.0.0.154:2377',
    executor: { kind: 'process' },
    hostname: 'manager-1',
  },
  { logger },
);
const client = manager.manager!.client();
const worker = await runNode(
  {
    mode: 'worker-join',
    dataDir: join(dir, 'worker'),
    joinAddr: manager.address,
    joinToken: (await client.getCluster()).joinTokens.worker,
    advertiseAddr: '127.0.0.155',
    // Where its routing mesh serves published ports (the manager's is on its listen address).
    listenAddr: '127.0.0.155:0',
    executor: { kind: 'process' },
    hostname: 'worker-1',
  },
  { logger },
);
try {
  await waitForReadyNodes(client, 2);
  const { id } = await client.createService({
    name: 'spread',
    taskTemplate: { containerSpec: { image: 'ignored-by-the-process-executor', command: LONG_RUNNING } },
    mode: { replicated: { replicas: 4 } },
  });
  await waitForConvergence(client, id, { verifyMs: 1_000 });
  const nodes = new Map((await client.listNodes()).map((n) => [n.id, n.description?.hostname ?? n.id]));
  const running = (await client.listTasks({ services: [id] })).filter((t) => t.status.state === 'running');
  for (const task of running) console.log(`task ${task.slot} runs on ${nodes.get(task.nodeId!)}`);
  console.log(`${running.length} tasks running on ${new Set(running.map((t) => t.nodeId)).size} nodes`);
  await client.removeService(id);
  // Give the nodes a moment to stop the tasks before they stop themselves.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
} finally {
  client.close();
  await worker.stop();
  await manager.stop();
  await rm(dir, { recursive: true, force: true });
}
