// Choosing a backend for a new connection or UDP flow: round robin, or least connections (counted
// by this node's mesh: each node balances its own clients, as HAProxy does per process). Pure
// state machines over the candidates a caller passes in; the caller excludes what it already tried.

import type { BalanceMode } from './endpoint-table.js';

export interface Candidate {
  taskId: string;
  /** Connections this node has open to the task now. */
  active: number;
}

export interface Balancer {
  /**
   * The candidate to use among `candidates` (in table order), skipping the task ids in `exclude`;
   * undefined when none is left.
   */
  pick<C extends Candidate>(candidates: readonly C[], exclude?: ReadonlySet<string>): C | undefined;
}

/** Each pick takes the next candidate after the previous pick's position. */
export class RoundRobinBalancer implements Balancer {
  private next = 0;

  pick<C extends Candidate>(candidates: readonly C[], exclude?: ReadonlySet<string>): C | undefined {
    const n = candidates.length;
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      const c = candidates[index] as C;
      if (exclude !== undefined && exclude.has(c.taskId)) continue;
      this.next = (index + 1) % n;
      return c;
    }
    return undefined;
  }
}

/** The candidate with the fewest open connections; ties are broken round robin. */
export class LeastConnectionsBalancer implements Balancer {
  private next = 0;

  pick<C extends Candidate>(candidates: readonly C[], exclude?: ReadonlySet<string>): C | undefined {
    const n = candidates.length;
    let best: C | undefined;
    let bestIndex = 0;
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      const c = candidates[index] as C;
      if (exclude !== undefined && exclude.has(c.taskId)) continue;
      if (best === undefined || c.active < best.active) {
        best = c;
        bestIndex = index;
      }
    }
    if (best !== undefined) this.next = (bestIndex + 1) % n;
    return best;
  }
}

export function createBalancer(mode: BalanceMode): Balancer {
  return mode === 'least-conn' ? new LeastConnectionsBalancer() : new RoundRobinBalancer();
}
