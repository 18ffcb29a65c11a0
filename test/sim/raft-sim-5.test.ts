// Deterministic simulation of 5-member Raft clusters under faults (see test/support/raft-sim.ts).

import { describe } from 'vitest';
import { scenarioTest } from '../support/sim-scenarios.js';

const file = 'test/sim/raft-sim-5.test.ts';

describe('5-member Raft under deterministic simulation', () => {
  scenarioTest(
    { name: 'drops, delays, duplicates, partitions, crashes', seeds: 600, options: { members: 5 } },
    file,
  );
  scenarioTest(
    {
      name: 'heavy loss and frequent faults',
      seeds: 250,
      options: { members: 5, dropRate: 0.2, faultEveryMs: 500, durationMs: 8000 },
    },
    file,
  );
});
