// Deterministic simulation of 3-member Raft clusters under faults (see test/support/raft-sim.ts).

import { describe, expect, it } from 'vitest';
import { checkKvHistory } from '../support/linearizability.js';
import { RaftSimulation, defaultSimOptions } from '../support/raft-sim.js';
import { scenarioTest } from '../support/sim-scenarios.js';

const file = 'test/sim/raft-sim-3.test.ts';

describe('3-member Raft under deterministic simulation', () => {
  scenarioTest(
    { name: 'drops, delays, duplicates, partitions, crashes', seeds: 900, options: { members: 3 } },
    file,
  );
  scenarioTest(
    {
      name: 'growing and shrinking with learners while faults run',
      seeds: 300,
      options: { members: 3, membershipChanges: true },
    },
    file,
  );

  it('makes progress: clients complete operations, members crash, snapshots are shipped', () => {
    const totals = { committed: 0, completed: 0, crashes: 0, snapshotsSent: 0 };
    for (let seed = 41; seed <= 45; seed++) {
      const r = new RaftSimulation({ ...defaultSimOptions, seed, members: 3 }).run();
      expect(r.violations).toEqual([]);
      totals.committed += r.committed;
      totals.completed += r.history.filter((op) => op.output !== null).length;
      totals.crashes += r.stats.crashes;
      totals.snapshotsSent += r.stats.snapshotsSent;
    }
    console.log('simulation seeds 41-45:', JSON.stringify(totals));
    expect(totals.committed).toBeGreaterThan(200);
    expect(totals.completed).toBeGreaterThan(300);
    expect(totals.crashes).toBeGreaterThan(0);
    expect(totals.snapshotsSent).toBeGreaterThan(0);
  });

  it('catches a broken cluster: members that lose fsynced entries and votes on restart', () => {
    // The harness must be able to fail: break durability and look for a reported violation.
    let found = false;
    for (let seed = 1; seed <= 100 && !found; seed++) {
      const sim = new RaftSimulation({
        ...defaultSimOptions,
        seed,
        members: 3,
        durationMs: 8000,
        faultEveryMs: 300,
      });
      sim.brokenDisk = true;
      const r = sim.run();
      found = r.violations.length > 0 || !checkKvHistory(r.history).ok;
    }
    expect(found).toBe(true);
  });
});
