import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    // Physics-heavy suites are CPU bound: one fork per core (the default leaves one core idle).
    pool: 'forks',
    maxWorkers: availableParallelism(),
  },
});
