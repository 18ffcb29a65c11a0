// The quick-start demo: a 3-member replicated key-value store, each member its own process on
// 127.0.0.x with its data on disk. It writes, kills the leader with SIGKILL, shows a new leader
// taking over, restarts the dead member from its disk and shows that nothing was lost.

import { KvCluster, waitUntil } from '../test/support/kv-cluster.js';

function say(line: string): void {
  console.log(line);
}

async function main(): Promise<void> {
  say('Starting 3 members (examples/raft-kv/member.ts) on 127.0.0.61-63 …');
  const cluster = await KvCluster.start({ size: 3, hostBase: 60 });
  try {
    let t = Date.now();
    const leader = await cluster.leader();
    say(
      `  ${leader} was elected leader in ${Date.now() - t} ms (term ${(await cluster.status(leader)).term})`,
    );

    for (let i = 1; i <= 100; i++) {
      await cluster.request(leader, {
        cmd: 'write',
        op: { op: 'append', key: 'greeting', value: i % 10 === 0 ? `${i}\n` : `${i},` },
      });
    }
    say(`  wrote 100 appends through ${leader}; commit index is ${(await cluster.status(leader)).commit}`);

    say(`Killing the leader ${leader} with SIGKILL …`);
    t = Date.now();
    await cluster.kill(leader);
    const next = await cluster.leader();
    say(`  ${next} took over in ${Date.now() - t} ms (term ${(await cluster.status(next)).term})`);
    await cluster.request(next, {
      cmd: 'write',
      op: { op: 'append', key: 'greeting', value: 'written-after-failover' },
    });
    say('  a write through the new leader committed');

    say(`Restarting ${leader} from its data directory …`);
    await cluster.spawn(leader);
    const expected = await cluster.request<string>(next, { cmd: 'read', key: 'greeting' });
    await waitUntil(
      `${leader} to catch up`,
      async () =>
        (await cluster.request<string>(leader, { cmd: 'read', key: 'greeting' }).catch(() => '')) ===
        expected,
    );
    const status = await cluster.status(leader);
    say(
      `  ${leader} is back as ${status.role}, applied index ${status.appliedIndex}; a linearizable read on it returns:`,
    );
    say(expected.replace(/^/gm, '    '));
    say('Done: every acknowledged write survived the crash.');
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error('demo failed:', err);
  process.exit(1);
});
