import { defineConfig } from 'vitest/config';

// test/long: tests that wait on the wall clock for minutes (a 5-minute idle connection) and use
// next to no CPU. scripts/test.sh runs them in a second vitest process beside the main suite.
export default defineConfig({
  test: {
    include: ['test/long/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
