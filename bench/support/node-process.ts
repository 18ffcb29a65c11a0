// One Flotilla node as its own process for a benchmark: src/daemon/main.ts forked from dist/ with
// its JSON config, awaited until it reports ready over IPC, stopped by its pid (SIGTERM, then
// SIGKILL) within a bound. Its stderr (the JSON log) is kept as a tail and can be followed line by
// line (the converge bench reads the task controllers' debug lines when tracing).

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DaemonConfig, DaemonReport } from '../../src/daemon/main.js';
import { CONTROL_SOCKET } from '../../src/manager/manager.js';
import { findProjectRoot, raceTimeout } from '../support.js';

export const daemonScript = join(findProjectRoot(), 'dist', 'src', 'daemon', 'main.js');

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const KILL_TIMEOUT_MS = 5_000;

export class NodeProcess {
  id = '';
  address = '';
  outputLines = 0;
  readonly outputTail: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDescription: string | null = null;

  constructor(
    readonly name: string,
    readonly config: DaemonConfig,
    /** Called with every line the node writes (stdout and stderr), as it arrives. */
    private readonly onLine?: (line: string) => void,
    /** Another build of the daemon (an A/B comparison); this checkout's dist/ by default. */
    script: string = daemonScript,
  ) {
    this.child = fork(script, [JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('exit', (code, signal) => {
      this.exitDescription = `exited (code ${code}, signal ${signal})`;
    });
    this.child.on('error', (err) => console.log(`  node ${name}: ${String(err)}`));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') continue;
          this.outputLines++;
          this.outputTail.push(line);
          this.onLine?.(line);
        }
        if (this.outputTail.length > 40) this.outputTail.splice(0, this.outputTail.length - 40);
      });
      stream?.on('error', (err) => console.log(`  node ${name}: output stream failed: ${String(err)}`));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The manager's admin socket (the control API without certificates), as a client address. */
  get controlAddress(): string {
    return `unix:${join(this.config.dataDir, CONTROL_SOCKET)}`;
  }

  /** Resolves once the node reports ready; rejects with its output if it fails or exits first. */
  async ready(): Promise<void> {
    const report = await new Promise<DaemonReport>((resolve, reject) => {
      if (this.exitDescription) {
        reject(new Error(`node ${this.name} ${this.exitDescription} before ready`));
        return;
      }
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${READY_TIMEOUT_MS} ms waiting for node ${this.name} to start`));
      }, READY_TIMEOUT_MS);
      const onMessage = (message: unknown): void => {
        if (typeof message !== 'object' || message === null || !('ready' in message)) return;
        cleanup();
        resolve(message as DaemonReport);
      };
      const onExit = (): void => {
        cleanup();
        reject(
          new Error(`node ${this.name} ${this.exitDescription} before ready:\n${this.outputTail.join('\n')}`),
        );
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
    if (!report.ready) {
      const why = 'error' in report ? report.error : 'locked';
      throw new Error(`node ${this.name} failed to start: ${why}`);
    }
    this.id = report.id;
    this.address = report.address;
  }

  /** SIGTERM (a clean stop), then SIGKILL if it still runs after a bound; by this child's pid only. */
  async stop(): Promise<void> {
    if (this.exitDescription) return;
    this.child.kill('SIGTERM');
    if ((await raceTimeout(this.exited, STOP_TIMEOUT_MS)) !== 'timeout') return;
    console.log(`  node ${this.name} did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM: SIGKILL`);
    this.child.kill('SIGKILL');
    if ((await raceTimeout(this.exited, KILL_TIMEOUT_MS)) === 'timeout')
      console.log(
        `  node ${this.name} (pid ${this.child.pid}) still running ${KILL_TIMEOUT_MS} ms after SIGKILL`,
      );
  }
}
