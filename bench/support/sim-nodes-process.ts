// The dispatcher benchmark's handle on one sim-nodes process (sim-nodes.ts): fork it from dist/,
// send it typed IPC requests each with a bound, and stop it (ask, then SIGTERM, then SIGKILL)
// within a bound. A process that exits fails every request still waiting, with its output.

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findProjectRoot, raceTimeout } from '../support.js';
// Types only: importing the module itself would start simulating nodes in this process.
import type { SimCalls, SimNodesConfig, SimReply, SimRequestType } from './sim-nodes.js';

export const simNodesScript = join(findProjectRoot(), 'dist', 'bench', 'support', 'sim-nodes.js');

const STOP_TIMEOUT_MS = 10_000;
const KILL_TIMEOUT_MS = 5_000;

interface Pending {
  type: SimRequestType;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

function parseReply(message: unknown): SimReply | null {
  if (typeof message !== 'object' || message === null) return null;
  const m = message as Record<string, unknown>;
  if (typeof m.id !== 'number' || typeof m.ok !== 'boolean') return null;
  if (!m.ok && typeof m.error !== 'string') return null;
  return m as unknown as SimReply;
}

export class SimNodesProcess {
  readonly outputTail: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitDescription: string | null = null;

  constructor(
    readonly name: string,
    readonly config: SimNodesConfig,
  ) {
    this.child = fork(simNodesScript, [JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.outputTail.push(...chunk.split('\n').filter((l) => l !== ''));
        if (this.outputTail.length > 40) this.outputTail.splice(0, this.outputTail.length - 40);
      });
      stream?.on('error', (err) => console.log(`  ${name}: output stream failed: ${String(err)}`));
    }
    this.child.on('error', (err) => console.log(`  ${name}: ${String(err)}`));
    this.child.on('message', (message: unknown) => this.onMessage(message));
    this.child.once('exit', (code, signal) => {
      this.exitDescription = `exited (code ${code}, signal ${signal})`;
      const err = new Error(`${name} ${this.exitDescription}:\n${this.outputTail.join('\n')}`);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request<T extends SimRequestType>(type: T, timeoutMs: number): Promise<SimCalls[T]['result']> {
    return new Promise((resolve, reject) => {
      if (this.exitDescription || !this.child.connected) {
        reject(
          new Error(
            `${this.name}: cannot send ${type}, the process ${this.exitDescription ?? 'disconnected'}`,
          ),
        );
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${this.name} to answer ${type}`));
      }, timeoutMs);
      this.pending.set(id, { type, resolve: resolve as (result: unknown) => void, reject, timer });
      this.child.send({ id, type }, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error(`${this.name}: sending ${type} failed: ${err.message}`));
      });
    });
  }

  /** Asks it to close its sessions and exit, then SIGTERM, then SIGKILL, each within a bound. */
  async stop(): Promise<void> {
    if (this.exitDescription) return;
    await this.request('stop', STOP_TIMEOUT_MS).catch(() => undefined);
    if ((await raceTimeout(this.exited, STOP_TIMEOUT_MS)) !== 'timeout') return;
    this.child.kill('SIGTERM');
    if ((await raceTimeout(this.exited, STOP_TIMEOUT_MS)) !== 'timeout') return;
    console.log(`  ${this.name} (pid ${this.child.pid}) did not stop: SIGKILL`);
    this.child.kill('SIGKILL');
    if ((await raceTimeout(this.exited, KILL_TIMEOUT_MS)) === 'timeout')
      console.log(`  ${this.name} (pid ${this.child.pid}) still running ${KILL_TIMEOUT_MS} ms after SIGKILL`);
  }

  private onMessage(message: unknown): void {
    const reply = parseReply(message);
    if (!reply) {
      console.log(`  ${this.name}: ignored a malformed message`);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return; // its request already timed out, and said so
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(`${this.name}: ${p.type} failed: ${reply.error}`));
  }
}
