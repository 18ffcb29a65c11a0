// Deploying a service from a program and awaiting its convergence: create it, then
// waitForConvergence resolves once every slot runs the current spec and stays so (the same wait
// `flotilla service create` draws), or throws ConvergenceError saying which slot failed and why.
// Run: npm run build && node dist/examples/library/deploy-and-wait.js

import { waitForConvergence } from '../../src/index.js';
import { LONG_RUNNING, startLocalCluster } from './local-cluster.js';

const cluster = await startLocalCluster('127.0.0.151:2377');
try {
  const { id } = await cluster.client.createService({
    name: 'web',
    taskTemplate: { containerSpec: { image: 'ignored-by-the-process-executor', command: LONG_RUNNING } },
    mode: { replicated: { replicas: 3 } },
  });
  const started = Date.now();
  const converged = await waitForConvergence(cluster.client, id, { verifyMs: 1_000 });
  console.log(
    `service web converged in ${Date.now() - started} ms: ${converged.done} of ${converged.desired} tasks running`,
  );
} finally {
  await cluster.stop();
}
