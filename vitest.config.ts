import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // CI machines have 2 cores; subprocess-heavy suites behave better with few workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
