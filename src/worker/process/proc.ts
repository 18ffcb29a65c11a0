// Facts about local processes for the process executor: whether a recorded pid is still the
// process we started (/proc/<pid>/stat start time, so a reused pid is not mistaken for ours), and
// signalling a task's whole process group.

import { readFile } from 'node:fs/promises';

interface ProcStat {
  /** One letter: R, S, D, Z (zombie), T, … */
  state: string;
  /** Field 22: clock ticks after boot at which the process started. */
  startTime: number;
}

/** /proc/<pid>/stat, or null when there is no such process (or no /proc). */
export async function readProcStat(pid: number): Promise<ProcStat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseProcStat(text);
}

/** Parses a stat line; the command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // Fields from 3 on, space separated, after "<pid> (<comm>) ".
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const startTime = Number(rest[22 - 3]);
  if (state === undefined || !Number.isInteger(startTime)) return null;
  return { state, startTime };
}

export const hasProcFs = async (): Promise<boolean> => (await readProcStat(process.pid)) !== null;

/**
 * Whether `pid` is alive and is the process that started at `startTime`. Without /proc (not
 * Linux) only existence can be checked, and a reused pid would pass: documented in the README.
 */
export async function isSameProcessAlive(pid: number, startTime: number | undefined): Promise<boolean> {
  const stat = await readProcStat(pid);
  if (stat) return stat.state !== 'Z' && (startTime === undefined || stat.startTime === startTime);
  if (await hasProcFs()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to every process of the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal process group ${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
