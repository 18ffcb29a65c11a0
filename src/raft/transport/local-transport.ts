// An in-process transport: members of one process exchange messages through a shared hub, with
// links that tests can cut. For tests and embedding; the gRPC transport is the real one.

import type { MemberId, Message } from '../core/messages.js';
import type { RaftTransport } from '../node.js';

export class LocalHub {
  private readonly handlers = new Map<MemberId, (m: Message) => void>();
  private readonly cutLinks = new Set<string>();

  transport(id: MemberId): RaftTransport {
    return {
      send: (messages) => {
        for (const m of messages) {
          if (this.cutLinks.has(`${m.from}->${m.to}`)) continue;
          const handler = this.handlers.get(m.to);
          // Deliver asynchronously, as a network would; a copy keeps members from sharing objects.
          if (handler) setImmediate(() => handler(structuredClone(m)));
        }
      },
      setPeer: () => {},
      removePeer: () => {},
      onMessage: (handler) => {
        this.handlers.set(id, handler);
      },
    };
  }

  /** Drops all traffic between `id` and everyone else. */
  isolate(id: MemberId): void {
    for (const other of this.handlers.keys()) {
      if (other === id) continue;
      this.cutLinks.add(`${id}->${other}`);
      this.cutLinks.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  detach(id: MemberId): void {
    this.handlers.delete(id);
  }
}
