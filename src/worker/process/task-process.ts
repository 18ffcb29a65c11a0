// Observing and stopping a task's process from its record alone: shared by a task's runner and
// by the executor's removal of orphans (known only by task id).

import { rm } from 'node:fs/promises';
import type { Clock } from '../../util/clock.js';
import type { RunnerStatus } from '../executor.js';
import { isSameProcessAlive, signalGroup } from './proc.js';
import { readRecord, writeRecord, type TaskPaths, type TaskRecord } from './task-files.js';

/** Recorded when a process ended and nothing recorded how (its wrapper was killed). */
export const UNKNOWN_EXIT_CODE = 255;
/** 128 + SIGKILL, as a shell (and Docker) reports a killed process. */
export const KILLED_EXIT_CODE = 137;
/** How long a SIGKILLed group is given to disappear. */
const KILL_WAIT_MS = 5_000;

export interface ProcessTiming {
  clock: Clock;
  pollIntervalMs: number;
}

/** The container id the process executor reports: the task's id (one process tree per task). */
export const containerIdOf = (record: TaskRecord): string => record.taskId;

export async function isRunning(record: TaskRecord): Promise<boolean> {
  if (record.pid === undefined || record.exitCode !== undefined) return false;
  return isSameProcessAlive(record.pid, record.startTime);
}

/** The record and what it means now; a process found dead without an exit code gets one. */
export async function observe(
  paths: TaskPaths,
): Promise<{ record: TaskRecord; status: RunnerStatus } | null> {
  let record = await readRecord(paths);
  if (!record) return null;
  if (record.pid !== undefined && record.exitCode === undefined && !(await isRunning(record))) {
    // Read again: the wrapper may have recorded the exit between the two reads.
    record = (await readRecord(paths)) ?? record;
    if (record.exitCode === undefined) {
      record = {
        ...record,
        exitCode: UNKNOWN_EXIT_CODE,
        exitMessage: 'the process ended without its exit code being recorded',
        finishedAt: new Date().toISOString(),
      };
      await writeRecord(paths, record);
    }
  }
  return { record, status: statusOf(record, record.pid !== undefined && record.exitCode === undefined) };
}

export function statusOf(record: TaskRecord, running: boolean): RunnerStatus {
  const state =
    record.pid === undefined && record.exitCode === undefined ? 'created' : running ? 'running' : 'exited';
  return {
    state,
    containerId: containerIdOf(record),
    pid: state === 'running' ? (record.childPid ?? record.pid ?? 0) : 0,
    exitCode: record.exitCode ?? 0,
    health: 'none',
  };
}

/** Polls until the recorded process is gone or `ms` pass; true when gone. */
export async function waitGone(record: TaskRecord, ms: number, timing: ProcessTiming): Promise<boolean> {
  const deadline = timing.clock.now() + ms;
  for (;;) {
    if (record.pid === undefined || !(await isSameProcessAlive(record.pid, record.startTime))) return true;
    const left = deadline - timing.clock.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) =>
      timing.clock.setTimer(Math.min(timing.pollIntervalMs, left), resolve),
    );
  }
}

/**
 * Stops the task's whole process group: `signal`, then SIGKILL once `graceMs` pass (as `docker
 * stop`). The wrapper records the exit code of a process that ends on the signal; after a
 * SIGKILL, which takes the wrapper too, the exit code 137 is recorded here.
 */
export async function stopProcess(
  paths: TaskPaths,
  signal: NodeJS.Signals,
  graceMs: number,
  timing: ProcessTiming,
): Promise<void> {
  const record = await readRecord(paths);
  if (!record?.pid || !(await isRunning(record))) return;
  let killed = false;
  if (
    signal === 'SIGKILL' ||
    !signalGroup(record.pid, signal) ||
    !(await waitGone(record, graceMs, timing))
  ) {
    killed = signalGroup(record.pid, 'SIGKILL');
    await waitGone(record, KILL_WAIT_MS, timing);
  }
  const after = await readRecord(paths);
  if (after && after.exitCode === undefined && killed)
    await writeRecord(paths, {
      ...after,
      exitCode: KILLED_EXIT_CODE,
      exitMessage: '',
      finishedAt: new Date(timing.clock.now()).toISOString(),
    });
}

/** Kills what runs and deletes everything of the task (logs, secrets, work directory). */
export async function removeTaskDir(paths: TaskPaths, timing: ProcessTiming): Promise<void> {
  await stopProcess(paths, 'SIGKILL', 0, timing);
  await rm(paths.dir, { recursive: true, force: true });
}
