// Watching the cluster: a store watch streams every change in commit order (create, update,
// delete of services, tasks, nodes …), resumable from a version. Here a service is created,
// scaled and removed while the watch prints what happens to it.
// Run: npm run build && node dist/examples/library/watch-events.js

import { LONG_RUNNING, startLocalCluster } from './local-cluster.js';

const cluster = await startLocalCluster('127.0.0.152:2377');
const abort = new AbortController();
try {
  const { client } = cluster;
  const watching = (async () => {
    for await (const event of client.watch({ kinds: ['service', 'task'] }, { signal: abort.signal })) {
      const what =
        event.kind === 'task'
          ? `task ${event.object.id.slice(0, 12)} ${event.object.status.state} (desired ${event.object.desiredState})`
          : `service ${event.object.spec.name}`;
      console.log(`${event.version} ${event.type.padEnd(6)} ${what}`);
      if (event.kind === 'service' && event.type === 'delete') return;
    }
  })();
  const spec = {
    name: 'events',
    taskTemplate: { containerSpec: { image: 'ignored-by-the-process-executor', command: LONG_RUNNING } },
    mode: { replicated: { replicas: 1 } },
  };
  const { id } = await client.createService(spec);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const current = await client.getService(id);
  await client.updateService(id, current.meta.version.index, {
    ...spec,
    mode: { replicated: { replicas: 2 } },
  });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await client.removeService(id);
  await watching;
  console.log('watched the service from creation to removal');
} finally {
  abort.abort();
  await cluster.stop();
}
