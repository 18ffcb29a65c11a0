// File-system steps the WAL and snapshot store share: full writes, directory fsync, temp cleanup.

import { open, readdir, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../util/logger.js';

/** Writes all of `buf` at `position`, looping over short writes. */
export async function writeFully(handle: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < buf.length) {
    const { bytesWritten } = await handle.write(buf, written, buf.length - written, position + written);
    if (bytesWritten === 0) throw new Error(`write made no progress at position ${position + written}`);
    written += bytesWritten;
  }
}

/** Makes a directory's entries (created, renamed files) durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes `*.tmp` files a crash left behind (half-written snapshots); returns the other names. */
export async function listRemovingTemp(dir: string, logger: Logger): Promise<string[]> {
  const names = await readdir(dir);
  const kept: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.tmp')) {
      kept.push(name);
      continue;
    }
    await rm(join(dir, name), { force: true });
    logger.warn('removed a leftover temporary file (an interrupted write)', { file: join(dir, name) });
  }
  return kept;
}

export function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

export function errorCode(err: unknown): unknown {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}
