// A rolling update with automatic rollback: the update config says to replace one task at a
// time, watch each for 2 s, and roll back when one fails. The new version exits at once, so the
// orchestrator rolls the service back to its previous spec, and updateStatus says so.
// Run: npm run build && node dist/examples/library/rolling-update-rollback.js

import { waitForConvergence } from '../../src/index.js';
import { LONG_RUNNING, startLocalCluster } from './local-cluster.js';

const cluster = await startLocalCluster('127.0.0.153:2377');
try {
  const { client } = cluster;
  const spec = {
    name: 'api',
    labels: { version: '1' },
    taskTemplate: { containerSpec: { image: 'ignored-by-the-process-executor', command: LONG_RUNNING } },
    mode: { replicated: { replicas: 3 } },
    updateConfig: { parallelism: 1, failureAction: 'rollback' as const, monitor: 2e9, maxFailureRatio: 0 },
    rollbackConfig: { parallelism: 3, monitor: 1e9 },
  };
  const { id } = await client.createService(spec);
  await waitForConvergence(client, id, { verifyMs: 1_000 });
  console.log('version 1 runs on 3 tasks; updating to a version that crashes …');

  const v1 = await client.getService(id);
  await client.updateService(id, v1.meta.version.index, {
    ...spec,
    labels: { version: '2' },
    taskTemplate: {
      containerSpec: { image: 'ignored-by-the-process-executor', command: ['/bin/sh', '-c', 'exit 1'] },
    },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const service = await client.getService(id);
    const state = service.updateStatus?.state;
    if (state === 'rollback_completed') {
      console.log(
        `rolled back: ${service.updateStatus!.message}; running version ${service.spec.labels?.version}`,
      );
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`no rollback within a minute (update state: ${state ?? 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await waitForConvergence(client, id, { verifyMs: 1_000 });
  console.log('version 1 runs on 3 tasks again');
} finally {
  await cluster.stop();
}
