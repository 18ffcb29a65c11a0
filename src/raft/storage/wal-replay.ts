// Replaying the WAL: reads segment files `wal/<16-hex seq>-<16-hex first index>.wal` in order and
// rebuilds the hard state and the log after the newest snapshot, checking that no entry is missing.
// wal.ts opens the WAL for writing on top of what this reads. Sealed entries are opened only once
// the log is rebuilt: those truncated, voided or covered by the snapshot never need their key.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyHardState } from '../core/messages.js';
import type { Entry, HardState } from '../core/messages.js';
import type { Logger } from '../../util/logger.js';
import type { StorageCipher } from './cipher.js';
import { StorageDecryptionError, StorageEncryptionError, WalCorruptionError } from './errors.js';
import { scanRecords } from './wal-record.js';
import type { LogReset, SealedData, WalRecord } from './wal-record.js';

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export interface SegmentInfo {
  seq: number;
  /** The log's last index + 1 when the segment was started; its first entry may be lower (truncation). */
  firstIndex: number;
  path: string;
  size: number;
  /** Size of the hard state record every segment opens with. */
  headerBytes: number;
  /**
   * Highest index of any entry record in the segment that is still part of the log (0 if none;
   * entries before a log reset are not): at or below a snapshot, the segment can go.
   */
  maxEntryIndex: number;
  /** Holds a log reset record: removing it needs the removals of the segments before it durable. */
  holdsLogReset: boolean;
}

/** What the WAL continues from: the newest snapshot's last entry (index 0, term 0 without one). */
export interface LogBase {
  index: number;
  term: number;
  /** The snapshot replaced the log (Raft §7), so entries written before it are void. */
  replacesLog: boolean;
}

export const emptyLogBase: LogBase = { index: 0, term: 0, replacesLog: false };

export interface WalReplay {
  hardState: HardState;
  /** Entries after `snapshotIndex`, contiguous. */
  entries: Entry[];
  /** The log's last index: the last entry's, or the snapshot's when the WAL does not reach it. */
  lastIndex: number;
  /**
   * The snapshot replaced the log, yet the WAL holds no reset record for it: a crash came between
   * the snapshot file and that record. `entries` are as after the reset; Wal.open writes the record.
   */
  resetPending: boolean;
  segments: SegmentInfo[];
  /** Damage at the end of the last segment that a crash mid-write explains; `segments` excludes it. */
  tornTail: { path: string; offset: number; reason: string } | null;
}

/** Where a sealed entry was read, to open it once replay is done and to name it if that fails. */
interface SealedSource {
  path: string;
  offset: number;
  sealed: SealedData;
}

/**
 * Reads every segment in order and rebuilds the hard state and the entries after `base.index`.
 * Throws WalCorruptionError for damage anywhere but the tail of the last segment (reported in
 * `tornTail`), and for entries that are missing: a gap is only fine below the snapshot, or before
 * a log reset. Opens sealed entries with `cipher`: StorageEncryptionError without one,
 * StorageDecryptionError when one does not open.
 */
export async function replayWal(
  walDir: string,
  base: LogBase,
  logger: Logger,
  cipher: StorageCipher | null = null,
): Promise<WalReplay> {
  const files = await listSegments(walDir, logger);
  const log = new LogReplay(base);
  const segments: SegmentInfo[] = [];
  // Keyed by the entry object the log holds, so the plaintext path pays nothing for it.
  const sealedSources = new Map<Entry, SealedSource>();
  let tornTail: WalReplay['tornTail'] = null;
  for (const [i, file] of files.entries()) {
    const buf = await readFile(file.path);
    const segment: SegmentInfo = {
      ...file,
      size: buf.length,
      headerBytes: 0,
      maxEntryIndex: 0,
      holdsLogReset: false,
    };
    log.beginSegment(file.path, file.firstIndex);
    const problem = scanRecords(buf, (record, offset, end) => {
      if (offset === 0) {
        // Each segment repeats the hard state first, so removing older segments never loses it.
        if (record.type !== 'hardState') {
          throw new WalCorruptionError(file.path, 0, 'segment does not start with a hard state record');
        }
        segment.headerBytes = end;
      }
      log.apply(record, file.path, offset);
      if (record.type === 'entry') {
        segment.maxEntryIndex = Math.max(segment.maxEntryIndex, record.entry.index);
        if (record.sealed !== null && record.entry.index > base.index) {
          sealedSources.set(record.entry, { path: file.path, offset, sealed: record.sealed });
        }
      } else if (record.type === 'logReset') {
        // Every entry before a reset is void: no segment needs keeping for them.
        for (const earlier of segments) earlier.maxEntryIndex = 0;
        segment.maxEntryIndex = 0;
        segment.holdsLogReset = true;
      }
    });
    if (problem) {
      if (!problem.tornTail || i !== files.length - 1) {
        throw new WalCorruptionError(file.path, problem.offset, problem.reason);
      }
      tornTail = { path: file.path, offset: problem.offset, reason: problem.reason };
      segment.size = problem.offset;
    }
    segments.push(segment);
  }
  const result = log.result();
  if (sealedSources.size > 0) openSealedEntries(result.entries, sealedSources, cipher);
  if (result.resetPending) for (const segment of segments) segment.maxEntryIndex = 0;
  return { ...result, segments, tornTail };
}

/** Replaces each sealed entry of `entries` by its opened copy, in place. */
function openSealedEntries(
  entries: Entry[],
  sources: ReadonlyMap<Entry, SealedSource>,
  cipher: StorageCipher | null,
): void {
  for (const [i, entry] of entries.entries()) {
    const source = sources.get(entry);
    if (source === undefined) continue;
    const { path, offset, sealed } = source;
    const what = `entry ${entry.index}`;
    if (cipher === null) throw new StorageEncryptionError(path, what);
    if (!cipher.hasKey(sealed.keyId)) {
      throw new StorageDecryptionError(path, offset, what, sealed.keyId, 'no key with that id was given');
    }
    const data = cipher.open(sealed.keyId, entry.data, sealed.aad);
    if (data === null) {
      throw new StorageDecryptionError(
        path,
        offset,
        what,
        sealed.keyId,
        'the key given under that id does not match the one that sealed it, or the record was altered',
      );
    }
    entries[i] = { term: entry.term, index: entry.index, type: entry.type, data };
  }
}

async function listSegments(
  walDir: string,
  logger: Logger,
): Promise<Array<Pick<SegmentInfo, 'seq' | 'firstIndex' | 'path'>>> {
  const segments: Array<Pick<SegmentInfo, 'seq' | 'firstIndex' | 'path'>> = [];
  for (const name of await readdir(walDir)) {
    const path = join(walDir, name);
    const match = SEGMENT_NAME.exec(name);
    if (!match) {
      if (!name.endsWith('.tmp')) {
        logger.warn('ignoring an unexpected file in the WAL directory', { file: path });
      }
      continue;
    }
    const seq = Number.parseInt(match[1]!, 16);
    const firstIndex = Number.parseInt(match[2]!, 16);
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex) || firstIndex < 1) {
      throw new WalCorruptionError(
        path,
        0,
        'segment name holds an impossible sequence number or first index',
      );
    }
    segments.push({ seq, firstIndex, path });
  }
  segments.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.seq === segments[i - 1]!.seq) {
      throw new WalCorruptionError(
        segments[i]!.path,
        0,
        `two segments share sequence number ${segments[i]!.seq}`,
      );
    }
  }
  return segments;
}

/**
 * Replays records into a log: a later entry at or below the last index truncates the suffix, and a
 * log reset voids everything before it. A hole in the log is only reported once replay is done,
 * since a later reset makes it harmless: segments of void entries are removed in any order.
 */
class LogReplay {
  private hardState: HardState = { ...emptyHardState };
  /** Entries after the snapshot index, contiguous. */
  private readonly entries: Entry[] = [];
  private lastIndex = 0;
  private sawSegment = false;
  /** The first hole found since the last reset; reported by result(). */
  private gap: WalCorruptionError | null = null;
  private lastReset: LogReset | null = null;

  constructor(private readonly base: LogBase) {}

  /**
   * A segment named with first index F was started when the log ended at F - 1. Anything else
   * means a segment is missing, which is fine only if the snapshot covers all it could have held
   * (segments wholly below a snapshot are removed, and the removals may reach the disk in any order).
   */
  beginSegment(path: string, firstIndex: number): void {
    if (this.sawSegment && firstIndex === this.lastIndex + 1) return;
    const oldest = !this.sawSegment;
    this.sawSegment = true;
    const snapshotIndex = this.base.index;
    if (firstIndex > snapshotIndex + 1) {
      const reason = oldest
        ? `the oldest segment starts at index ${firstIndex} but the snapshot ends at index ${snapshotIndex}: entries in between are missing`
        : `segment starts at index ${firstIndex} but the log before it ends at index ${this.lastIndex}: a segment is missing`;
      this.noteGap(new WalCorruptionError(path, 0, reason));
    } else if (!oldest && this.lastIndex > snapshotIndex) {
      const reason = `segment starts at index ${firstIndex} but the log before it ends at index ${this.lastIndex}: a segment is missing`;
      this.noteGap(new WalCorruptionError(path, 0, reason));
    }
    this.lastIndex = firstIndex - 1;
  }

  apply(record: WalRecord, path: string, offset: number): void {
    if (record.type === 'hardState') {
      this.hardState = record.hardState;
      return;
    }
    if (record.type === 'logReset') {
      const { index } = record.reset;
      if (index > this.base.index) {
        // Written only once its snapshot was durable, and snapshots only get newer.
        const reason = `log reset at index ${index} but the newest snapshot ends at index ${this.base.index}: the snapshot it follows is missing`;
        throw new WalCorruptionError(path, offset, reason);
      }
      this.reset(record.reset);
      return;
    }
    const { entry } = record;
    if (entry.index > this.lastIndex + 1) {
      // A gap is fine only below the snapshot: entries appended after installing a snapshot
      // that lies past the end of the log.
      if (entry.index > this.base.index + 1) {
        const reason = `entry ${entry.index} follows entry ${this.lastIndex}: entries in between are missing`;
        this.noteGap(new WalCorruptionError(path, offset, reason));
      }
    } else if (entry.index <= this.lastIndex) {
      // Raft §5.3: a conflicting entry replaces the stored one and everything after it.
      const first = this.entries[0];
      if (first !== undefined) {
        this.entries.length = Math.max(0, Math.min(this.entries.length, entry.index - first.index));
      }
    }
    this.lastIndex = entry.index;
    if (entry.index > this.base.index) this.entries.push(entry);
  }

  /** Throws the first hole not voided by a later reset. */
  result(): Pick<WalReplay, 'hardState' | 'entries' | 'lastIndex' | 'resetPending'> {
    const { index, term, replacesLog } = this.base;
    const resetPending = replacesLog && !(this.lastReset?.index === index && this.lastReset.term === term);
    // The snapshot file is the reset's commit point; the record after it only orders later entries.
    if (resetPending) this.reset({ index, term });
    if (this.gap) throw this.gap;
    return {
      hardState: this.hardState,
      entries: this.entries,
      lastIndex: Math.max(this.lastIndex, index),
      resetPending,
    };
  }

  /** Raft §7: the log now ends at the snapshot's last entry; what came before is void, holes too. */
  private reset(reset: LogReset): void {
    this.entries.length = 0;
    this.lastIndex = reset.index;
    this.gap = null;
    this.lastReset = reset;
  }

  private noteGap(error: WalCorruptionError): void {
    this.gap ??= error;
  }
}
