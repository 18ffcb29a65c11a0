import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Minutes of wall clock each: run beside this suite by scripts/test.sh (vitest.long.config.ts).
    exclude: [...configDefaults.exclude, 'test/long/**'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
