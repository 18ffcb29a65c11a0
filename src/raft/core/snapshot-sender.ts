// The leader's side of a chunked InstallSnapshot: which byte ranges of the snapshot to send next,
// keeping at most a window of unacknowledged bytes in flight. Pure arithmetic; Raft builds and
// sends the chunks and tracks acknowledgements in the follower's Progress.

/** A chunk of snapshot data to send: bytes [offset, end). */
export interface ChunkRange {
  offset: number;
  end: number;
}

export interface ChunkWindow {
  /** Bytes sent so far. */
  sent: number;
  /** Bytes the follower acknowledged holding (acked <= sent). */
  acked: number;
  /** Size of the snapshot data. */
  total: number;
  chunkBytes: number;
  maxChunksInFlight: number;
}

/** The chunks to send now, in order; the last one's `end` is the new `sent`. */
export function nextSnapshotChunks({
  sent,
  acked,
  total,
  chunkBytes,
  maxChunksInFlight,
}: ChunkWindow): ChunkRange[] {
  const window = chunkBytes * maxChunksInFlight;
  const chunks: ChunkRange[] = [];
  // An empty snapshot is still one (empty) chunk; `sent === acked === 0` means "not begun".
  let first = sent === 0;
  while ((sent < total || (first && total === 0)) && sent - acked < window) {
    const end = Math.min(total, sent + chunkBytes);
    chunks.push({ offset: sent, end });
    sent = end;
    first = false;
  }
  return chunks;
}
