// A replicated key-value store in a few lines: the state machine RaftNode applies on every
// member. Commands are msgpack-encoded; reads are local after a ReadIndex barrier.

import { pack, unpack } from 'msgpackr';
import type { StateMachine } from '../../src/raft/index.js';

export type KvCommand =
  { op: 'put'; key: string; value: string } | { op: 'append'; key: string; value: string };

export function encodeCommand(cmd: KvCommand): Uint8Array {
  return pack(cmd);
}

export class KvStore implements StateMachine<void> {
  private data = new Map<string, string>();

  apply(entry: { data: Uint8Array }): void {
    const cmd = unpack(entry.data) as KvCommand;
    const current = this.data.get(cmd.key) ?? '';
    this.data.set(cmd.key, cmd.op === 'put' ? cmd.value : current + cmd.value);
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  size(): number {
    return this.data.size;
  }

  snapshot(): Uint8Array {
    return pack([...this.data]);
  }

  restore(bytes: Uint8Array): void {
    this.data = new Map(unpack(bytes) as Array<[string, string]>);
  }
}
