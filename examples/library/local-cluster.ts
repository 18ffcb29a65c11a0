// What the library examples share: a manager embedded in this process, in a temporary directory,
// running its tasks as plain processes (any Linux host can run the examples; give runNode
// `executor: { kind: 'docker' }` to run containers on the local engine instead).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonLogger, runNode, type FlotillaClient, type RunningNode } from '../../src/index.js';

export interface LocalCluster {
  node: RunningNode;
  client: FlotillaClient;
  dataDir: string;
  stop(): Promise<void>;
}

/** A one-manager cluster listening on `address` (host:port on 127.0.0.0/8). */
export async function startLocalCluster(address: string): Promise<LocalCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-example-'));
  const node = await runNode(
    { mode: 'init', dataDir: join(dataDir, 'manager'), listenAddr: address, executor: { kind: 'process' } },
    { logger: createJsonLogger({ level: 'error' }) },
  );
  const client = node.manager!.client();
  return {
    node,
    client,
    dataDir,
    async stop() {
      await removeServices(client);
      client.close();
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Removes every service and waits (up to `timeoutMs`) until none of their tasks runs: the process
 * executor's tasks outlive their node, as containers outlive the engine, so a node that stops
 * first leaves them running.
 */
/** The states of a task whose process may be running, or about to. */
const LAUNCHED = ['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'];

async function removeServices(client: FlotillaClient, timeoutMs = 20_000): Promise<void> {
  for (const service of await client.listServices()) await client.removeService(service.id);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const live = (await client.listTasks()).filter((t) => LAUNCHED.includes(t.status.state));
    if (live.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A task that runs until stopped: a shell loop (the process executor runs the command as is). */
export const LONG_RUNNING = ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'];

/**
 * Waits until `count` nodes are ready (their agents hold a session with the dispatcher): a
 * service created before a node is ready is placed on the nodes that are, and stays there.
 */
export async function waitForReadyNodes(
  client: FlotillaClient,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = (await client.listNodes()).filter((n) => n.status.state === 'ready').length;
    if (ready >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${ready} of ${count} nodes became ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
