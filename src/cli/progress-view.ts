// Drawing a convergence (converge.ts) as docker does: "overall progress: 3 out of 6 tasks", one
// line per slot with its state and a bar, then "verify: Service converged". On a TTY the block is
// redrawn in place; otherwise only what changed is printed, one plain line each, so logs of CI
// runs stay readable.

import type { FlotillaClient, TaskState } from '../client/index.js';
import { waitForConvergence, type ConvergenceSnapshot, type WaitOptions } from '../client/converge.js';
import { shortId } from './format.js';

/** docker's numbering of the states a task passes on its way to running (its progress). */
const PROGRESS: Partial<Record<TaskState, number>> = {
  new: 1,
  pending: 3,
  assigned: 4,
  accepted: 5,
  preparing: 6,
  ready: 7,
  starting: 8,
  running: 9,
  complete: 9,
};
const MAX_PROGRESS = 9;
const BAR_WIDTH = 50;
const STATE_WIDTH = 'preparing'.length;
/** Beyond this many slots docker shows only the overall line; so do we. */
export const MAX_SLOT_LINES = 20;

/** docker's bar: `[=====>     ]`, full with the arrow at the end once running. */
export function progressBar(state: TaskState | undefined): string {
  const current = state === undefined ? 0 : (PROGRESS[state] ?? 0);
  if (current === 0) return `[${' '.repeat(BAR_WIDTH)}]`;
  const filled = Math.max(1, Math.round((current / MAX_PROGRESS) * BAR_WIDTH));
  return `[${'='.repeat(filled - 1)}>${' '.repeat(BAR_WIDTH - filled)}]`;
}

/** The block's lines for a snapshot: the overall line, then one per slot. */
export function progressLines(snapshot: ConvergenceSnapshot): string[] {
  const unit = snapshot.job ? 'tasks completed' : 'tasks';
  const lines = [`overall progress: ${snapshot.done} out of ${snapshot.desired} ${unit}`];
  if (snapshot.slots.length > MAX_SLOT_LINES) return lines;
  const replicated = snapshot.slots.every((s) => /^\d+$/.test(s.key));
  for (const slot of snapshot.slots) {
    const key = replicated ? `${slot.key}/${snapshot.desired}` : shortId(slot.key);
    if (slot.error !== undefined && (slot.state === 'failed' || slot.state === 'rejected'))
      lines.push(`${key}: ${slot.error}`);
    else lines.push(`${key}: ${(slot.state ?? '').padEnd(STATE_WIDTH)} ${progressBar(slot.state)}`);
  }
  return lines;
}

export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

/** Draws successive snapshots to a terminal (in place) or a log (changed lines only). */
export class ProgressView {
  private drawn = 0;
  /** The last line printed per key (`overall progress`, `1/3`, `verify`). */
  private printed = new Map<string, string>();
  private verifying = false;

  constructor(
    private readonly out: ProgressSink,
    private readonly verifySeconds: number,
  ) {}

  update(snapshot: ConvergenceSnapshot, phase: 'converging' | 'verifying'): void {
    const lines = progressLines(snapshot);
    if (phase === 'verifying' && !snapshot.job && this.verifySeconds > 0)
      lines.push(
        `verify: Waiting ${this.verifySeconds} second${this.verifySeconds === 1 ? '' : 's'} to verify that tasks are stable...`,
      );
    else if (phase === 'converging' && this.verifying) lines.push('verify: Detected task failure');
    this.verifying = phase === 'verifying';
    if (this.out.isTTY) this.redraw(lines);
    else this.printChanged(lines);
  }

  /** The final line: converged (or the job completed). */
  finish(snapshot: ConvergenceSnapshot): void {
    const last = snapshot.job ? 'job complete' : 'verify: Service converged';
    if (this.out.isTTY) this.redraw([...progressLines(snapshot), last]);
    else {
      this.printChanged(progressLines(snapshot));
      this.out.write(`${last}\n`);
    }
  }

  private redraw(lines: string[]): void {
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of lines) text += `\x1b[2K${line} \n`;
    // A shorter block than last time: clear what is left below it.
    for (let i = lines.length; i < this.drawn; i++) text += '\x1b[2K\n';
    const extra = Math.max(0, this.drawn - lines.length);
    if (extra > 0) text += `\x1b[${extra}A`;
    this.drawn = lines.length;
    this.out.write(text);
  }

  private printChanged(lines: string[]): void {
    for (const line of lines) {
      // Bars are noise in a log: print the slot's state alone.
      const plain = line.replace(/\s+\[[=> ]*\]$/, '').trimEnd();
      // A slot without a task yet says nothing worth a line.
      if (plain.endsWith(':')) continue;
      const key = plain.slice(0, Math.max(0, plain.indexOf(':')));
      if (this.printed.get(key) === plain) continue;
      this.printed.set(key, plain);
      this.out.write(`${plain}\n`);
    }
  }
}

/** docker's verify window: converged must hold this long. */
export const VERIFY_SECONDS = 5;

/**
 * The verification window and timeout, from FLOTILLA_CONVERGE_VERIFY_MS and
 * FLOTILLA_CONVERGE_TIMEOUT_MS when set (tests and impatient scripts), else docker's 5 s and 5 min.
 */
export function convergeSettings(env: Record<string, string | undefined>): {
  verifyMs: number;
  timeoutMs?: number;
} {
  const number = (name: string): number | undefined => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  const timeoutMs = number('FLOTILLA_CONVERGE_TIMEOUT_MS');
  return {
    verifyMs: number('FLOTILLA_CONVERGE_VERIFY_MS') ?? VERIFY_SECONDS * 1000,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/**
 * Waits for a service to converge while drawing docker's view to `out` (null: silently), then
 * prints the final line. What `service create/update/scale/rollback` do unless --detach, and
 * what a stack deploy or a demo calls for each of its services. Throws ConvergenceError.
 */
export async function convergeWithView(
  client: FlotillaClient,
  service: string,
  options: Omit<WaitOptions, 'onProgress'> & { out: ProgressSink | null },
): Promise<ConvergenceSnapshot> {
  const { out, ...wait } = options;
  const view =
    out === null ? null : new ProgressView(out, Math.round((wait.verifyMs ?? VERIFY_SECONDS * 1000) / 1000));
  const snapshot = await waitForConvergence(client, service, {
    ...wait,
    onProgress: (s, phase) => view?.update(s, phase),
  });
  view?.finish(snapshot);
  return snapshot;
}
