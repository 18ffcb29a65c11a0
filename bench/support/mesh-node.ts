// One node's Mesh for bench:mesh, run as its own process (as it would be on a real node): reads
// its options and the endpoint table from a JSON file, starts, applies the table, says `ready`.
// Usage: node mesh-node.js <config.json>

import { readFileSync } from 'node:fs';
import type { TlsIdentity } from '../../src/ca/index.js';
import { defaultDataPlaneWorkers, Mesh, type EndpointTable, type TaskAddress } from '../../src/mesh/index.js';
import { createJsonLogger } from '../../src/util/logger.js';

export interface MeshNodeConfig {
  nodeId: string;
  host: string;
  tunnelPort: number;
  tls: TlsIdentity | null;
  table: EndpointTable;
  /** task id → where it listens. */
  tasks: Record<string, TaskAddress>;
  /** Data-plane worker processes beside the mesh's own (the daemon's default when absent). */
  dataPlaneWorkers?: number;
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (path === undefined) throw new Error('usage: mesh-node.js <config.json>');
  const config = JSON.parse(readFileSync(path, 'utf8')) as MeshNodeConfig;
  const mesh = new Mesh({
    nodeId: config.nodeId,
    listenAddress: config.host,
    tunnelAddress: { host: config.host, port: config.tunnelPort },
    tls: config.tls,
    encryption: config.tls !== null,
    localTaskAddress: (taskId) => config.tasks[taskId] ?? null,
    dataPlane: { workers: config.dataPlaneWorkers ?? defaultDataPlaneWorkers() },
    logger: createJsonLogger({ level: 'warn' }),
  });
  await mesh.start();
  await mesh.update(config.table);
  const unavailable = mesh.portStatus().filter((s) => s.state !== 'listening');
  if (unavailable.length > 0)
    throw new Error(`ports not bound: ${JSON.stringify(unavailable.map((s) => s.error?.message))}`);
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    mesh.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`mesh-node: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
