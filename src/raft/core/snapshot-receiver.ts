// The follower's side of a chunked InstallSnapshot: reassembles the chunks of one snapshot in
// order and says what to acknowledge. Pure bookkeeping; whether the snapshot is still needed and
// installing it are Raft's decisions (they need the log).

import type { MemberId, Snapshot, SnapshotChunk, SnapshotMetadata, SnapshotResponse } from './messages.js';

/** What to answer the leader for one chunk. */
export type SnapshotChunkReply = Pick<SnapshotResponse, 'received' | 'done' | 'reject'>;

/** The answer to one chunk and, once the last chunk arrived, the whole snapshot. */
export interface ChunkOutcome {
  reply: SnapshotChunkReply;
  snapshot: Snapshot | null;
}

interface IncomingSnapshot {
  from: MemberId;
  metadata: SnapshotMetadata;
  totalSize: number;
  parts: Uint8Array[];
  received: number;
}

export class SnapshotReceiver {
  private incoming: IncomingSnapshot | null = null;

  /** Drops a partly received snapshot at `index` (the member no longer needs it). */
  abandon(index: number): void {
    if (this.incoming?.metadata.index === index) this.incoming = null;
  }

  /** Takes one chunk; with the last one, also hands back the whole snapshot to install. */
  receive(m: SnapshotChunk): ChunkOutcome {
    const answer = (reply: SnapshotChunkReply): ChunkOutcome => ({ reply, snapshot: null });
    let inc = this.incoming;
    if (
      inc === null ||
      inc.from !== m.from ||
      inc.metadata.index !== m.metadata.index ||
      inc.metadata.term !== m.metadata.term ||
      inc.totalSize !== m.totalSize
    ) {
      // Not the snapshot we were assembling: only its first chunk can start it.
      if (m.offset !== 0) return answer({ received: 0, done: false, reject: true });
      inc = this.incoming = {
        from: m.from,
        metadata: m.metadata,
        totalSize: m.totalSize,
        parts: [],
        received: 0,
      };
    }
    // A duplicate: acknowledge what we hold.
    if (m.offset < inc.received) return answer({ received: inc.received, done: false, reject: false });
    if (m.offset > inc.received || inc.received + m.data.length > m.totalSize) {
      // A gap: resume from what we hold.
      return answer({ received: inc.received, done: false, reject: true });
    }
    inc.parts.push(m.data);
    inc.received += m.data.length;
    if (inc.received < m.totalSize) return answer({ received: inc.received, done: false, reject: false });
    this.incoming = null;
    return {
      reply: { received: m.totalSize, done: true, reject: false },
      snapshot: { metadata: m.metadata, data: concatBytes(inc.parts, inc.received) },
    };
  }
}

function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
