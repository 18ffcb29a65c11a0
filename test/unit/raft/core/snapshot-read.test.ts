import { describe, expect, it } from 'vitest';
import type { SnapshotChunk } from '../../../../src/raft/core/messages.js';
import { Network } from '../../../support/raft-network.js';

function compactLeader(net: Network, id: string, data: Uint8Array): void {
  const r = net.raft(id);
  const snap = r.compact(r.log.applied, data);
  net.member(id).disk.snapshot = snap;
}

describe('snapshots', () => {
  it('sends a snapshot in chunks to a follower whose entries were compacted, and it installs it', () => {
    const net = new Network(['a', 'b', 'c'], {
      config: { snapshotChunkBytes: 1000, maxSnapshotChunksInFlight: 2 },
    });
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 10; i++) net.propose('a', `v${i}`);
    const data = new Uint8Array(4500).map((_, i) => i % 251);
    compactLeader(net, 'a', data);
    net.recover();
    net.tick('a');
    const chunks = net.trace.filter((m): m is SnapshotChunk => m.type === 'Snap' && m.to === 'c');
    expect(chunks.map((c) => c.offset)).toEqual([0, 1000, 2000, 3000, 4000]);
    const c = net.member('c');
    expect(c.disk.snapshot?.data).toEqual(data);
    expect(net.raft('c').log.committed).toBe(net.raft('a').log.committed);
    net.propose('a', 'after');
    expect(net.appliedTexts('c')).toEqual(['after']);
  });

  it('resumes a snapshot transfer from the last acknowledged chunk after chunks are lost', () => {
    const net = new Network(['a', 'b', 'c'], {
      config: { snapshotChunkBytes: 100, maxSnapshotChunksInFlight: 1 },
    });
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 3; i++) net.propose('a', `v${i}`);
    compactLeader(net, 'a', new Uint8Array(1000).fill(7));
    net.recover();
    let dropped = 0;
    net.filter = (m) => m.type === 'Snap' && m.offset === 500 && dropped++ < 1;
    net.tick('a'); // transfer stalls at chunk 500
    expect(net.raft('c').log.snapshotIndex).toBe(0);
    // Heartbeat rounds without progress (half an election timeout) make the leader resend from
    // the acknowledged offset.
    net.tickAll(8);
    const offsets = net.trace.filter((m): m is SnapshotChunk => m.type === 'Snap').map((m) => m.offset);
    expect(offsets.filter((o) => o === 0)).toHaveLength(1); // never restarted from scratch
    expect(net.member('c').disk.snapshot?.data.length).toBe(1000);
  });

  it('restarts from its snapshot and log', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    for (let i = 0; i < 5; i++) net.propose('a', `v${i}`);
    compactLeader(net, 'a', new Uint8Array([1, 2, 3]));
    net.member('a').disk.entries = net
      .member('a')
      .disk.entries.filter((e) => e.index > net.raft('a').log.snapshotIndex);
    net.propose('a', 'after');
    const a = net.restart('a');
    expect(a.raft.log.snapshotIndex).toBeGreaterThan(0);
    expect(a.raft.confState().voters).toEqual(['a', 'b', 'c']);
    expect(a.applied.map((e) => new TextDecoder().decode(e.data))).toContain('after');
  });
});

describe('ReadIndex', () => {
  it('serves a read on the leader after a heartbeat round confirms its leadership', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'x');
    net.raft('a').readIndex('r1');
    net.drain('a');
    expect(net.member('a').readStates).toEqual([{ context: 'r1', index: net.raft('a').log.committed }]);
  });

  it('does not serve a read on a leader cut off from its majority', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('a');
    net.raft('a').readIndex('r1');
    net.drain('a');
    net.tick('a');
    expect(net.member('a').readStates).toEqual([]);
  });

  it('serves a follower read through the leader read index', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'x');
    net.raft('c').readIndex('r2');
    net.drain('c');
    expect(net.member('c').readStates).toEqual([{ context: 'r2', index: net.raft('a').log.committed }]);
  });

  it('holds reads on a new leader until it commits an entry of its own term', () => {
    const net = new Network(['a', 'b', 'c']);
    net.filter = (m) => m.type === 'App';
    net.elect('a');
    net.raft('a').readIndex('r3');
    net.drain('a');
    expect(net.member('a').readStates).toEqual([]);
    net.recover();
    net.tick('a');
    expect(net.member('a').readStates.map((r) => r.context)).toEqual(['r3']);
  });

  it('reports reads that a deposed leader can no longer serve', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('a');
    net.raft('a').readIndex('r4');
    net.drain('a');
    net.elect('b');
    net.recover();
    net.tick('b');
    expect(net.member('a').failedReads).toEqual(['r4']);
  });
});
