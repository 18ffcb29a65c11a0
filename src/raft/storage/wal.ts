// The write-ahead log: Raft entries, hard state and log resets appended to segment files
// `wal/<16-hex seq>-<16-hex first index>.wal`, one write and one fdatasync per save (the group
// commit). The record format lives in wal-record.ts, replaying it on startup in wal-replay.ts.

import { open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { hardStateEqual } from '../core/messages.js';
import type { Entry, HardState } from '../core/messages.js';
import type { Logger } from '../../util/logger.js';
import type { StorageCipher } from './cipher.js';
import { WalCorruptionError } from './errors.js';
import { errorCode, fsyncDirectory, hex16, listRemovingTemp, writeFully } from './fs-util.js';
import {
  entryRecordBytes,
  hardStateRecordBytes,
  logResetRecordBytes,
  sealedEntryRecordBytes,
  writeEntryRecord,
  writeHardStateRecord,
  writeLogResetRecord,
  writeSealedEntryRecord,
} from './wal-record.js';
import type { LogReset } from './wal-record.js';
import { replayWal } from './wal-replay.js';
import type { LogBase, SegmentInfo } from './wal-replay.js';

export interface WalOptions {
  segmentBytes: number;
  sync: boolean;
  logger: Logger;
  /** Seals the data of appended entries, and opens sealed entries on replay; null: plaintext. */
  cipher: StorageCipher | null;
}

export interface OpenedWal {
  wal: Wal;
  hardState: HardState;
  entries: Entry[];
  lastIndex: number;
}

/** The open WAL: appends to the last segment, rolls to a new one, removes covered ones. */
export class Wal {
  private constructor(
    private readonly dir: string,
    private readonly options: WalOptions,
    private readonly segments: SegmentInfo[],
    private handle: FileHandle,
    /** The last hard state written: the one a new segment opens with. */
    private hardState: HardState,
  ) {}

  /**
   * Replays the WAL in `dir`, cuts off a torn tail, opens the last segment for appending, and
   * finishes a log reset that a crash interrupted (see WalReplay.resetPending).
   */
  static async open(dir: string, base: LogBase, options: WalOptions): Promise<OpenedWal> {
    const { logger } = options;
    await listRemovingTemp(dir, logger);
    const replay = await replayWal(dir, base, logger, options.cipher);
    const { hardState, segments } = replay;
    const last = segments.at(-1);
    if (last === undefined) {
      if (base.index > 0) {
        // We never remove the last segment, so files were lost, and with them the term and vote.
        throw new WalCorruptionError(
          dir,
          0,
          `no WAL segment left, yet a snapshot at index ${base.index} exists`,
        );
      }
      const header = encodeHardState(hardState);
      const segment = {
        seq: 0,
        firstIndex: replay.lastIndex + 1,
        size: header.length,
        headerBytes: header.length,
        maxEntryIndex: 0,
        holdsLogReset: false,
      };
      const path = join(dir, segmentName(segment.seq, segment.firstIndex));
      const handle = await createSegment(dir, path, header, options.sync);
      const wal = new Wal(dir, options, [{ ...segment, path }], handle, hardState);
      return { wal, hardState, entries: replay.entries, lastIndex: replay.lastIndex };
    }
    const handle = await open(last.path, 'r+');
    try {
      if (replay.tornTail) {
        const { path, offset, reason } = replay.tornTail;
        await handle.truncate(offset);
        if (options.sync) await handle.datasync();
        logger.warn('truncated a torn write at the end of the WAL (a crash during an unacknowledged write)', {
          file: path,
          offset,
          reason,
        });
      }
      if (last.size === 0) {
        // The tail cut went back to the segment's start: restore its opening hard state record.
        const header = encodeHardState(hardState);
        await writeFully(handle, header, 0);
        if (options.sync) await handle.datasync();
        last.size = last.headerBytes = header.length;
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    const wal = new Wal(dir, options, segments, handle, hardState);
    if (replay.resetPending) {
      try {
        await wal.resetLog({ index: base.index, term: base.term });
      } catch (err) {
        await wal.close();
        throw err;
      }
      logger.warn('finished a log reset that a crash interrupted after its snapshot was saved', {
        snapshotIndex: base.index,
        snapshotTerm: base.term,
      });
    }
    return { wal, hardState, entries: replay.entries, lastIndex: replay.lastIndex };
  }

  /**
   * Appends entries and then the hard state (if it changed) as one buffer with one write and one
   * fdatasync. Entries go first so that a torn write never leaves a commit index past the log.
   * `lastIndex` is the log's last index before this append (it names a new segment).
   */
  async append(entries: Entry[], hardState: HardState | null, lastIndex: number): Promise<void> {
    const writeHardState = hardState !== null && !hardStateEqual(hardState, this.hardState);
    if (entries.length === 0 && !writeHardState) return;
    const { cipher } = this.options;
    let bytes = writeHardState ? hardStateRecordBytes(hardState) : 0;
    if (cipher === null) for (const entry of entries) bytes += entryRecordBytes(entry);
    else for (const entry of entries) bytes += sealedEntryRecordBytes(entry, cipher);
    // etcd's MustSync: entries, a term and a vote must be durable before anything depends on
    // them; a commit index alone need not be (a restarted member learns it again from the
    // leader), so a save that only moves it skips the fdatasync that would stall the pipeline.
    const mustSync =
      entries.length > 0 ||
      (writeHardState && (hardState.term !== this.hardState.term || hardState.vote !== this.hardState.vote));
    const segment = await this.write(bytes, lastIndex + 1, mustSync, (buf, start) => {
      let offset = start;
      if (cipher === null) for (const entry of entries) offset = writeEntryRecord(buf, offset, entry);
      else for (const entry of entries) offset = writeSealedEntryRecord(buf, offset, entry, cipher);
      if (writeHardState) writeHardStateRecord(buf, offset, hardState);
    });
    const lastEntry = entries.at(-1);
    if (lastEntry) segment.maxEntryIndex = Math.max(segment.maxEntryIndex, lastEntry.index);
    if (writeHardState) {
      this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    }
  }

  /**
   * Records that the log now ends at `reset` (Raft §7: a snapshot replaced it), with one write and
   * one fdatasync; replay voids every entry before the record. Call it once that snapshot is
   * durable. The next entry is reset.index + 1, so a segment started here is named after it.
   */
  async resetLog(reset: LogReset): Promise<void> {
    const segment = await this.write(logResetRecordBytes, reset.index + 1, true, (buf, offset) => {
      writeLogResetRecord(buf, offset, reset);
    });
    for (const earlier of this.segments) earlier.maxEntryIndex = 0;
    segment.holdsLogReset = true;
  }

  /** Removes the oldest segments while all their entries are at or below `index`; never the last. */
  async removeSegmentsCoveredBy(index: number): Promise<void> {
    // Oldest first, stopping at the first one still needed, so what remains is a contiguous run.
    // The removals are not fsynced: a segment that reappears after a crash is replayed and its
    // entries dropped as covered by the snapshot, or voided by a later log reset.
    while (this.segments.length > 1 && this.segments[0]!.maxEntryIndex <= index) {
      const segment = this.segments[0]!;
      try {
        // Entries voided by a reset may lie beyond the snapshot: were this segment gone and one
        // of theirs back after a crash, they would count again. So their removals go first, durably.
        if (segment.holdsLogReset && this.options.sync) await fsyncDirectory(this.dir);
        await unlink(segment.path);
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') {
          // Safe to go on: an extra segment only costs disk space and is retried after the next snapshot.
          this.options.logger.warn('could not remove a WAL segment covered by a snapshot', {
            file: segment.path,
            err,
          });
          return;
        }
      }
      this.segments.shift();
      this.options.logger.debug('removed a WAL segment covered by a snapshot', {
        file: segment.path,
        snapshotIndex: index,
      });
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private current(): SegmentInfo {
    return this.segments.at(-1)!;
  }

  /**
   * Writes `bytes` of records, encoded by `encode` at the offset it is given, with one write and one
   * fdatasync; first rolls over to a new segment named `nextIndex` (the log's next index) if they
   * would take the current one past segmentBytes. Returns the segment written to.
   */
  private async write(
    bytes: number,
    nextIndex: number,
    mustSync: boolean,
    encode: (buf: Buffer, offset: number) => void,
  ): Promise<SegmentInfo> {
    const segment = this.current();
    const roll = segment.size > segment.headerBytes && segment.size + bytes > this.options.segmentBytes;
    const headerBytes = roll ? hardStateRecordBytes(this.hardState) : 0;
    const buf = Buffer.allocUnsafe(headerBytes + bytes);
    if (roll) writeHardStateRecord(buf, 0, this.hardState);
    encode(buf, headerBytes);
    if (roll) return this.roll(buf, headerBytes, nextIndex);
    await writeFully(this.handle, buf, segment.size);
    if (this.options.sync && mustSync) await this.handle.datasync();
    segment.size += buf.length;
    return segment;
  }

  private async roll(buf: Buffer, headerBytes: number, firstIndex: number): Promise<SegmentInfo> {
    const seq = this.current().seq + 1;
    const path = join(this.dir, segmentName(seq, firstIndex));
    const handle = await createSegment(this.dir, path, buf, this.options.sync);
    const previous = this.handle;
    this.handle = handle;
    const segment: SegmentInfo = {
      seq,
      firstIndex,
      path,
      size: buf.length,
      headerBytes,
      maxEntryIndex: 0,
      holdsLogReset: false,
    };
    this.segments.push(segment);
    try {
      await previous.close();
    } catch (err) {
      // Safe to go on: all its writes completed (and were synced) before this append began.
      this.options.logger.warn('could not close the previous WAL segment', { err });
    }
    this.options.logger.debug('started a new WAL segment', { file: path });
    return segment;
  }
}

export function segmentName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

function encodeHardState(hardState: HardState): Buffer {
  const buf = Buffer.allocUnsafe(hardStateRecordBytes(hardState));
  writeHardStateRecord(buf, 0, hardState);
  return buf;
}

/** Creates a segment holding `contents`, durably: the data and the directory entry are synced. */
async function createSegment(
  dir: string,
  path: string,
  contents: Buffer,
  sync: boolean,
): Promise<FileHandle> {
  const handle = await open(path, 'wx');
  try {
    await writeFully(handle, contents, 0);
    if (sync) {
      await handle.datasync();
      await fsyncDirectory(dir);
    }
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}
