// Runs one simulation scenario over many seeds and reports failing seeds with a replay line.
// SIM_SEED=n replays one seed; SIM_SEEDS_SCALE scales the seed counts (CI uses 1).

import { expect, it } from 'vitest';
import { checkKvHistory } from './linearizability.js';
import { RaftSimulation, defaultSimOptions, type SimOptions } from './raft-sim.js';

export interface Scenario {
  name: string;
  seeds: number;
  options: Partial<SimOptions>;
}

export function runSeed(seed: number, options: Partial<SimOptions>): string[] {
  const result = new RaftSimulation({ ...defaultSimOptions, ...options, seed }).run();
  const problems = [...result.violations];
  const lin = checkKvHistory(result.history);
  if (!lin.ok) {
    problems.push(
      lin.timedOut
        ? 'the linearizability check gave up'
        : `not linearizable on key ${lin.key}:\n${lin.explanation}`,
    );
  }
  return problems;
}

export function scenarioTest(s: Scenario, file: string): void {
  it(`keeps every safety invariant and a linearizable history: ${s.name}`, () => {
    const only = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);
    const scale = Number(process.env.SIM_SEEDS_SCALE ?? '1');
    const count = Math.max(1, Math.round(s.seeds * scale));
    const seeds = only !== undefined ? [only] : Array.from({ length: count }, (_, i) => i + 1);
    const failures: string[] = [];
    for (const seed of seeds) {
      const problems = runSeed(seed, s.options);
      if (problems.length === 0) continue;
      failures.push(
        `seed ${seed} — replay: SIM_SEED=${seed} npx vitest run ${file} -t "${s.name}"\n  ${problems.slice(0, 5).join('\n  ')}`,
      );
      if (failures.length >= 3) break;
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  });
}
